"""ATT estimators over data that come in chunks: register size without a design matrix in memory.

The in-memory estimators of :mod:`analysis.effects.estimators` hold the whole sample and its
design. At register size (10 M persons) the same estimates are sums over persons, so they are
accumulated here chunk by chunk (one parquet row group at a time, say): memory is one chunk's
design plus ``p x p`` matrices, and the data are read a few times (*passes*, counted).

Passes
------
0. Moments (:func:`analysis.effects.chunks.moments`): counts, and per group the Gram matrix of
   ``[1, X, y]`` (shifted by the first chunk's means so that the sums do not cancel). They give
   the column means and standard deviations the propensity logit standardises with (as
   :func:`~analysis.effects.propensity.fit_propensity`), the unadjusted difference (Welch), the
   OLS fit on the comparison group and the logit's first Newton step from the intercept-only solution.
1..K. Newton-Raphson for the propensity logit (:mod:`analysis.effects.chunked_logit`): each pass
   accumulates the log likelihood, ``Z'(d - e)`` and ``Z'WZ`` at the current coefficients (exact
   maximum likelihood, the statsmodels fit's optimum), and the comparison group's score range
   (common support). A binary outcome's logit on the comparison group takes its own Newton passes.
K+1. The weighted means of IPW and AIPW and every sum their influence functions and that of
   regression adjustment need: the standard errors are ``sqrt(sum phi_i^2) / n`` with the
   same ``phi`` as the in-memory estimators, its square expanded into sums that one pass collects.

The definitions, trimming and standard errors are those of ``unadjusted``, ``regression_adjustment``
(OLS, or a logit for ``kind="binary"``), ``ipw_att`` and ``aipw_att``. Not here: matching,
clustered rows, and the exact separation check (a chunked logit that does not converge raises;
the in-memory fit diagnoses such data).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.effects.chunked_logit import LogitState, fit_logit_chunked
from analysis.effects.chunks import Chunk, ChunkSource, Moments, Passes, gram, moments, parquet_chunks
from analysis.effects.logit import P_EDGE
from analysis.effects.result import EffectResult

__all__ = ["Chunk", "ChunkedEffects", "chunked_did", "chunked_effects", "parquet_chunks"]

TRIM_RULES = ("support", "none", "drdid")
DRDID_CAP, DRDID_TRIM = 1 - 1e-6, 0.995  # analysis.effects.did2x2: score cap and comparison trim level


@dataclass
class _Outcome:
    """The comparison group's outcome model: OLS of ``y - y_shift`` on ``[1, Z]`` (from the moments)
    or, for a binary outcome, a logit of ``y`` (its own Newton passes)."""

    kind: str
    b: np.ndarray
    steps: int = 0

    @classmethod
    def fit(cls, passes: Passes, m: Moments, kind: str) -> _Outcome:
        if kind == "binary":
            state, steps = fit_logit_chunked(passes, m, outcome=True)
            return cls(kind, state.beta, steps)
        q = m.gram0.shape[0] - 1
        A, c = m.gram0[:q, :q], m.gram0[:q, q]
        try:
            b = np.linalg.solve(A, c)
        except np.linalg.LinAlgError:
            b = np.linalg.lstsq(A, c, rcond=None)[0]
        return cls(kind, b)

    def residual(self, Z: np.ndarray, y: np.ndarray, y_shift: float) -> tuple[np.ndarray, np.ndarray | None]:
        """``y`` minus the prediction, and for the logit ``m (1 - m)`` (d prediction / d linear predictor)."""
        eta = Z @ self.b
        if self.kind != "binary":
            return y - y_shift - eta, None
        pred = 1 / (1 + np.exp(-eta))
        return y - pred, pred * (1 - pred)


@dataclass
class _Sums:
    """Sums of the final pass (outcomes centred at ``y_shift``)."""

    q: int
    s: dict[str, float] = field(default_factory=dict)
    v: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, name: str, value) -> None:
        if np.ndim(value):
            self.v[name] = self.v.get(name, np.zeros(np.shape(value))) + value
        else:
            self.s[name] = self.s.get(name, 0.0) + float(value)


def _weights(eta: np.ndarray, d: np.ndarray, support: tuple[float, float], trim: str):
    """Score, participants kept ``t`` and comparison weights ``r`` of one chunk under a trimming rule."""
    e = 1 / (1 + np.exp(-eta))
    treated = d == 1
    if trim == "drdid":  # did2x2: cap at 1 - 1e-6, comparison persons at or above 0.995 get no weight
        e = np.minimum(e, DRDID_CAP)
        r = np.where(treated | (e >= DRDID_TRIM), 0.0, e / (1 - e))
        return e, treated, r
    e = np.clip(e, 1e-12, 1 - 1e-12)
    keep = ~treated | ((eta >= support[0]) & (eta <= support[1])) if trim == "support" else np.ones(len(d), bool)
    return e, treated & keep, np.where(treated, 0.0, e / (1 - e))


def _final_pass(passes: Passes, m: Moments, logit: LogitState, model: _Outcome, trim: str) -> _Sums:
    """One pass: every sum the weighted means and the influence functions' squares need."""
    sums = _Sums(len(logit.beta))
    sums.s["r_max"] = 0.0
    for d, y, X in passes:
        _final_chunk(sums, m, logit, model, trim, d, y, X)
    return sums


def _final_chunk(sums: _Sums, m: Moments, logit: LogitState, model: _Outcome, trim: str, d, y, X) -> None:
    Z = m.design(X)
    eta = Z @ logit.beta
    e, t, r = _weights(eta, d, logit.support, trim)
    yc = y - m.y_shift
    res, slope = model.residual(Z, y, m.y_shift)  # y minus the comparison-group model's prediction
    _outcome_sums(sums, Z, d, res, slope)
    for name, value in {
        "t": t.sum(), "ty": (t * yc).sum(), "ty2": (t * yc**2).sum(),
        "r": r.sum(), "ry": (r * yc).sum(), "r2": (r**2).sum(), "r2y": (r**2 * yc).sum(),
        "r2y2": (r**2 * yc**2).sum(), "n_trimmed": ((d == 1) & ~t).sum(), "edge": _at_edge(eta),
        "tR": (t * res).sum(), "tR2": (t * res**2).sum(), "rR": (r * res).sum(),
        "r2R": (r**2 * res).sum(), "r2R2": (r**2 * res**2).sum(),
    }.items():  # fmt: skip
        sums.add(name, value)
    sums.add("A", gram(Z, np.sqrt(e * (1 - e))))  # the logit's information at the clipped score
    sums.add("B", gram(Z, np.abs(d - e)))
    weights = np.column_stack([r * yc, r, t * yc * (1 - e), t * (1 - e), r * yc * e, r * e])
    for name, column in zip(("h1", "h0", "q1", "q0", "s1", "s0"), (Z.T @ weights).T):
        sums.add(name, column)
    sums.s["r_max"] = max(sums.s["r_max"], float(r.max()))


def _outcome_sums(sums: _Sums, Z: np.ndarray, d: np.ndarray, res: np.ndarray, slope: np.ndarray | None) -> None:
    """Regression adjustment's sums: ``phi = (d (res - est) - res_c Z'u) / p`` with ``u = A^-1 g``,
    ``A = E[(1 - d) slope Z Z']`` and ``g = E[d slope Z]`` (``slope`` 1 for OLS: both from the moments)."""
    sums.add("dR", (d * res).sum())
    sums.add("dR2", (d * res**2).sum())
    sums.add("C", gram(Z, (1 - d) * np.abs(res)))  # comparison persons' res^2 Z Z'
    if slope is not None:
        sums.add("g_out", Z.T @ (d * slope))
        sums.add("A_out", gram(Z, np.sqrt((1 - d) * slope)))


def _regression(m: Moments, s: _Sums, model: _Outcome) -> tuple[float, float]:
    """Regression adjustment: the participants' mean residual, and its sandwich standard error."""
    q = m.gram0.shape[0] - 1
    if model.kind == "binary":
        A, g = s.v["A_out"], s.v["g_out"]
    else:
        A, g = m.gram0[:q, :q], m.gram1[0, :q]
    u = np.linalg.lstsq(A / m.n, g / m.n, rcond=None)[0]
    est = s.s["dR"] / m.n1
    square = s.s["dR2"] - 2 * est * s.s["dR"] + m.n1 * est**2 + u @ s.v["C"] @ u
    return float(est), float(np.sqrt(max(square, 0.0)) / m.n1)  # sqrt(sum phi^2) / n with p = n1 / n


def _at_edge(eta: np.ndarray) -> int:
    e = 1 / (1 + np.exp(-eta))
    return int(np.sum((e < P_EDGE) | (e > 1 - P_EDGE)))


def _ipw(m: Moments, s: _Sums) -> tuple[float, float, float, float]:
    """IPW ATT and its standard error: ``phi = t(y - mu1)/p_t - (r(y - mu0) + Z'v (d - e))/c0``."""
    S, V, n = s.s, s.v, m.n
    mu1, mu0 = S["ty"] / S["t"], S["ry"] / S["r"]
    p_t, c0 = S["t"] / n, S["r"] / n
    H = (V["h1"] - mu0 * V["h0"]) / n  # d/d beta of E[(1 - D) r (y - mu0)]
    v = np.linalg.solve(V["A"] / n, H)
    sq1 = (S["ty2"] - 2 * mu1 * S["ty"] + mu1**2 * S["t"]) / p_t**2
    # participants (r = 0): phi0 = Z'v (1 - e) / c0; comparison persons (t = 0): phi0 = (r(y - mu0) - Z'v e) / c0
    cross = v @ (V["q1"] - mu1 * V["q0"]) / (p_t * c0)
    sq0 = (
        S["r2y2"] - 2 * mu0 * S["r2y"] + mu0**2 * S["r2"] - 2 * v @ (V["s1"] - mu0 * V["s0"]) + v @ V["B"] @ v
    ) / c0**2
    se = np.sqrt(max(sq1 - 2 * cross + sq0, 0.0)) / n
    return float(mu1 - mu0), float(se), float(mu1), float(mu0)


def _aipw(m: Moments, s: _Sums) -> tuple[float, float]:
    """AIPW ATT with the efficient influence function ``t(R - a1)/p_t - r(R - a0)/c0`` (``t r = 0``)."""
    S, n = s.s, m.n
    a1, a0 = S["tR"] / S["t"], S["rR"] / S["r"]
    p_t, c0 = S["t"] / n, S["r"] / n
    sq = (S["tR2"] - 2 * a1 * S["tR"] + a1**2 * S["t"]) / p_t**2 + (
        S["r2R2"] - 2 * a0 * S["r2R"] + a0**2 * S["r2"]
    ) / c0**2
    return float(a1 - a0), float(np.sqrt(max(sq, 0.0)) / n)


def _unadjusted(m: Moments, outcome: str) -> EffectResult:
    """Welch difference in means from the moments."""
    q = m.gram1.shape[0] - 1
    stats = []
    for g in (m.gram1, m.gram0):
        k = g[0, 0]
        mean = g[0, q] / k
        stats.append((mean, (g[q, q] - k * mean**2) / (k - 1), k))
    (m1, v1, k1), (m0, v0, k0) = stats
    details = {"mean_treated": m1 + m.y_shift, "mean_control": m0 + m.y_shift}
    return EffectResult(
        "unadjusted", outcome, float(m1 - m0), float(np.sqrt(v1 / k1 + v0 / k0)), m.n1, m.n - m.n1, "Welch", details
    )


@dataclass
class ChunkedEffects:
    """The chunked estimates: ``results`` (unadjusted, regression, ipw, aipw) and how they were reached.

    Attributes
    ----------
    results : list of EffectResult
        Same fields as the in-memory estimators' results; ``weights`` and ``influence`` are None
        (they would be one value per person).
    propensity : ndarray
        Logit coefficients on ``[1, standardised X]`` (the columns of ``fit_propensity``'s design).
    passes : int
        Passes over the chunks (moments, Newton steps incl. halvings, the final pass).
    newton_steps : int
        0 when the logit of an earlier fit was reused (``propensity=``).
    support : tuple of float
        The comparison group's range of the linear predictor (common support).
    """

    results: list[EffectResult]
    propensity: np.ndarray
    passes: int
    newton_steps: int
    support: tuple[float, float]
    logit: LogitState = field(repr=False)
    moments: Moments = field(repr=False)
    outcome_steps: int = 0  # Newton steps of a binary outcome's logit

    def __getitem__(self, estimator: str) -> EffectResult:
        return next(r for r in self.results if r.estimator == estimator)


def chunked_effects(
    source: ChunkSource,
    outcome: str = "y",
    trim: str = "support",
    propensity: ChunkedEffects | None = None,
    kind: str = "continuous",
) -> ChunkedEffects:
    """ATT by the unadjusted difference, regression adjustment, IPW and AIPW over chunks of persons.

    Parameters
    ----------
    source
        A sequence of :class:`Chunk`, or a function returning a fresh iterable of them (e.g.
        :func:`parquet_chunks`); it is read several times.
    outcome
        The outcome's name in the results.
    trim
        ``support`` (participants outside the comparison group's score range are left out, as
        ``ipw_att(trim=True)``), ``none`` (``trim=False``) or ``drdid`` (the rule of
        :mod:`analysis.effects.did2x2`: score capped at ``1 - 1e-6``, comparison persons at or
        above 0.995 get no weight).
    propensity
        An earlier fit on the same persons and covariates (another outcome, or the DiD): its
        propensity logit is reused, saving the Newton passes. The persons are checked to be the
        same by their counts and covariate means and standard deviations.
    kind
        ``continuous`` (the comparison group's outcome model is OLS) or ``binary`` (a logit, by
        its own Newton passes), as ``Sample.kind`` for :func:`regression_adjustment` and AIPW.

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(3000, 2)); d = (rng.random(3000) < 1 / (1 + np.exp(1 - x[:, 0]))).astype(float)
    >>> y = x @ [1.0, 0.5] + 2.0 * d + rng.normal(size=3000)  # the planted ATT is 2
    >>> chunks = [Chunk(d[i : i + 700], y[i : i + 700], x[i : i + 700]) for i in range(0, 3000, 700)]
    >>> fit = chunked_effects(chunks)
    >>> [round(fit[k].estimate, 1) for k in ("regression", "ipw", "aipw")], fit.passes
    ([1.9, 1.9, 1.9], 7)
    """
    return _estimate(Passes(source), outcome, trim, propensity, kind)


def chunked_did(
    source: ChunkSource, outcome: str = "y", trim: str = "drdid", propensity: ChunkedEffects | None = None
) -> ChunkedEffects:
    """2x2 difference-in-differences: the estimators of :func:`chunked_effects` on ``y - y_before``.

    With the default ``trim="drdid"`` the IPW and regression estimates and standard errors are those
    of :func:`analysis.effects.did2x2.did_panel` (``method="ipw"`` and ``"reg"``) on the same persons;
    ``unadjusted`` is the plain DiD (difference in mean changes, Welch standard error).
    ``propensity`` reuses the logit of an earlier fit on the same persons (see :func:`chunked_effects`).

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(2000, 1)); d = (rng.random(2000) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
    >>> before = 3 * x[:, 0] + rng.normal(size=2000); after = before + 0.5 * x[:, 0] + 1.0 * d + rng.normal(size=2000)
    >>> fit = chunked_did([Chunk(d, after, x, before)])
    >>> round(fit["ipw"].estimate, 1), round(fit["regression"].estimate, 1)
    (0.9, 1.0)
    """
    return _estimate(Passes(source, change=True), outcome, trim, propensity)


def _estimate(
    passes: Passes, outcome: str, trim: str, reuse: ChunkedEffects | None, kind: str = "continuous"
) -> ChunkedEffects:
    if trim not in TRIM_RULES:
        raise ValueError(f"unknown trimming rule {trim!r}; allowed: {', '.join(TRIM_RULES)}")
    if kind not in ("continuous", "binary"):
        raise ValueError(f"unknown outcome kind {kind!r}; allowed: continuous, binary")
    with np.errstate(over="ignore"):  # exp of a very negative score: the probability is 0, as intended
        return _estimate_all(passes, outcome, trim, reuse, kind)


def _same_persons(m: Moments, other: Moments) -> bool:
    return (m.n, m.n1) == (other.n, other.n1) and bool(
        np.allclose(m.mean, other.mean, rtol=1e-10, atol=1e-12 * float(np.max(m.sd)))
        and np.allclose(m.sd, other.sd, rtol=1e-10)
    )


def _estimate_all(passes: Passes, outcome: str, trim: str, reuse: ChunkedEffects | None, kind: str) -> ChunkedEffects:
    m = moments(passes)
    model = _Outcome.fit(passes, m, kind)
    if reuse is not None:
        if not _same_persons(m, reuse.moments):
            raise ValueError("propensity= is a fit on other persons or covariates (counts, means or sds differ)")
        logit, steps = reuse.logit, 0
    else:
        logit, steps = fit_logit_chunked(passes, m)
    s = _final_pass(passes, m, logit, model, trim)
    S, n0 = s.s, m.n - m.n1
    common = {"passes": passes.count}
    reg_est, reg_se = _regression(m, s, model)
    mean_treated = m.gram1[0, -1] / m.n1 + m.y_shift
    name = "logit" if kind == "binary" else "OLS"
    reg = EffectResult(
        "regression", outcome, reg_est, reg_se, m.n1, n0, f"sandwich ({name})",
        {"outcome_model": name, "mean_treated": mean_treated, "mean_counterfactual": mean_treated - reg_est,
         **common},
    )  # fmt: skip
    est, se, _, _ = _ipw(m, s)
    n_t = int(round(S["t"]))
    trimmed = {"n_trimmed": int(round(S["n_trimmed"])), **common}
    ipw = EffectResult(
        "ipw", outcome, est, se, n_t, n0, "influence function (incl. propensity score)",
        {**trimmed, "ess_control": S["r"] ** 2 / S["r2"], "max_weight_share": S["r_max"] / S["r"],
         "n_at_boundary": int(S["edge"])},
    )  # fmt: skip
    a_est, a_se = _aipw(m, s)
    aipw = EffectResult("aipw", outcome, a_est, a_se, n_t, n0, "efficient influence function", trimmed)
    unadj = _unadjusted(m, outcome)
    unadj.details.update(common)
    return ChunkedEffects(
        [unadj, reg, ipw, aipw], logit.beta, passes.count, steps, logit.support, logit, m, model.steps
    )
