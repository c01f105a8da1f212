"""The effect of taking part on the months spent in each status or income source, by month after start.

This is the interface the payback calculation prices: any comparison design plugs in here by giving
the participants' and the comparison persons' person-month tables and the comparison weights.

For month ``k`` after time zero and source ``j`` (a status or income code) the effect on the
participants (ATT) is the difference between the share of participants observed in month ``k`` who
have source ``j`` and the weighted share among the comparison persons observed in month ``k``
(weights normalised within the month, i.e. a Hájek estimator per month):

    tau[k, j] = sum_T O_ik I_ikj / sum_T O_ik  -  sum_C w_c O_ck I_ckj / sum_C w_c O_ck

with ``O`` = observed, ``I`` = has the source. Everything the payback section publishes is a linear
function of ``tau`` (prices, discounting, extrapolation), so its variance is ``c' V c`` with ``V`` the
covariance of ``vec(tau)`` computed here from per-person influence values (delta method, clustered on
persons so that a person's months may be correlated in any way). When the weights are the odds
``e/(1-e)`` of a logit propensity score, ``V`` includes the estimation of the score (stacked
M-estimation, as :func:`analysis.effects.estimators.ipw_att`); with one month and one source the
standard error equals ``ipw_att``'s (a test checks it). Weights from matching are treated as fixed.

Why the delta method and not a bootstrap: the estimator is a smooth function of person-level sums,
its influence function is exact and costs one pass over the persons, while a bootstrap over persons
would refit the propensity score hundreds of times (slow on a register comparison group) and is not
valid for nearest-neighbour matching with replacement (Abadie & Imbens 2008). The planted-simulation
benchmark (``benchmarks/payback``) checks the coverage of the resulting intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class ComparisonWeights:
    """Weights of the comparison persons (participants have weight 1).

    Attributes
    ----------
    weights : Series
        ``person_key`` -> weight (>= 0); comparison persons without a weight are left out.
    method : str
        How the weights were made (``ipw``, ``matching``, ...), for the report.
    design, treated, ps, keys : ndarray, optional
        The propensity logit the weights ``e/(1-e)`` come from: its design matrix (with intercept),
        treatment indicator, fitted probabilities and the person key of each row. With them the
        variance accounts for the estimated score; without them the weights are taken as fixed.
    """

    weights: pd.Series
    method: str = "given"
    design: np.ndarray | None = None
    treated: np.ndarray | None = None
    ps: np.ndarray | None = None
    keys: np.ndarray | None = None


@dataclass
class MonthEffects:
    """Effects on the share of persons with each source, month by month after time zero.

    Attributes
    ----------
    design : str
        ``comparison`` (participants against weighted comparison persons) or ``before_after``
        (participants' change since the month before their start).
    sources : list of str
    months : ndarray
        The months ``0..K-1`` with at least ``min_persons`` observed persons in every group.
    tau : ndarray (K, J)
        Effect on the share with each source (comparison) or change since month -1 (before/after).
    cov : ndarray (K*J, K*J)
        Covariance of ``tau.ravel()`` (month-major).
    mean_treated, mean_control : ndarray (K, J)
        Participants' shares and the (weighted) comparison shares or the shares in month -1.
    n_treated, n_control : ndarray (K,)
        Persons observed in each month (comparison: with a positive weight).
    """

    design: str
    sources: list[str]
    months: np.ndarray
    tau: np.ndarray
    cov: np.ndarray
    mean_treated: np.ndarray
    mean_control: np.ndarray
    n_treated: np.ndarray
    n_control: np.ndarray
    n_persons_treated: int = 0
    n_persons_control: int = 0

    @property
    def n_months(self) -> int:
        return len(self.months)

    def se(self) -> np.ndarray:
        """Standard errors of ``tau`` (K, J)."""
        return np.sqrt(np.clip(np.diag(self.cov), 0, None)).reshape(self.tau.shape)

    def summary(self) -> pd.DataFrame:
        """One row per month and source: effect, standard error, means and persons observed."""
        K, J = self.tau.shape
        return pd.DataFrame(
            {
                "k": np.repeat(self.months, J),
                "source": np.tile(self.sources, K),
                "effect": self.tau.ravel(),
                "se": self.se().ravel(),
                "mean_treated": self.mean_treated.ravel(),
                "mean_control": self.mean_control.ravel(),
                "n_treated": np.repeat(self.n_treated, J),
                "n_control": np.repeat(self.n_control, J),
            }
        ).set_index(["k", "source"])


def _grid(rows: pd.DataFrame, keys: pd.Index, sources: list[str], lo: int, months: int):
    """Indicator array (persons x months x sources) and observed mask (persons x months) for k in [lo, months)."""
    span = months - lo
    ind = np.zeros((len(keys), span, len(sources)))
    obs = np.zeros((len(keys), span), dtype=bool)
    k = rows["k"].to_numpy(np.int64)
    inside = (k >= lo) & (k < months)
    p = keys.get_indexer(rows["person_key"].astype(str).to_numpy()[inside])
    s = pd.Index(sources).get_indexer(rows["source"].astype(str).to_numpy()[inside])
    kk = k[inside] - lo
    ok = (p >= 0) & (s >= 0)
    ind[p[ok], kk[ok], s[ok]] = 1.0
    obs[p[ok], kk[ok]] = True
    return ind, obs


def _cov(infl: np.ndarray) -> np.ndarray:
    return infl.T @ infl


def _leading(ok: np.ndarray) -> int:
    """Number of leading True values."""
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if len(bad) else len(ok)


def _group(ind: np.ndarray, obs: np.ndarray, w: np.ndarray, K: int):
    """Weighted means per month and the per-person influence rows (persons x K*J) of one group."""
    ind, obs = ind[:, :K], obs[:, :K]
    wo = obs * w[:, None]
    tot = wo.sum(axis=0)
    mean = np.einsum("ik,ikj->kj", wo, ind) / np.where(tot > 0, tot, 1)[:, None]
    infl = wo[:, :, None] * (ind - mean[None]) / np.where(tot > 0, tot, 1)[None, :, None]
    return mean, infl.reshape(len(w), -1)


def _clustered(infl: np.ndarray, rows: pd.DataFrame, keys: pd.Index) -> np.ndarray:
    """Influence rows summed within clusters (the ``cluster`` column, e.g. a person used as a comparison
    at several time zeros under different unit ids); unchanged without that column."""
    if "cluster" not in rows:
        return infl
    first = rows.drop_duplicates("person_key").set_index(rows.drop_duplicates("person_key")["person_key"].astype(str))
    cluster = first["cluster"].reindex(keys).astype(str).to_numpy()
    codes, uniques = pd.factorize(cluster)
    out = np.zeros((len(uniques), infl.shape[1]))
    np.add.at(out, codes, infl)
    return out


def _score_correction(
    weights: ComparisonWeights, infl_t: np.ndarray, keys_t: pd.Index, infl_c: np.ndarray, keys_c: pd.Index
) -> np.ndarray:
    """The covariance terms from estimating the propensity score (zero matrix when it is not given)."""
    n_out = infl_c.shape[1]
    if weights.design is None or weights.ps is None or weights.treated is None or weights.keys is None:
        return np.zeros((n_out, n_out))
    Z = np.asarray(weights.design, dtype=float)
    e = np.clip(np.asarray(weights.ps, dtype=float), 1e-12, 1 - 1e-12)
    resid = np.asarray(weights.treated, dtype=float) - e
    row_of = pd.Index(pd.Series(weights.keys).astype(str))
    rc, rt = row_of.get_indexer(keys_c), row_of.get_indexer(keys_t)
    Zc = np.where((rc >= 0)[:, None], Z[np.maximum(rc, 0)], 0.0)
    A = (Z * (e * (1 - e))[:, None]).T @ Z
    G = infl_c.T @ Zc  # derivative of the weighted control means with respect to the coefficients
    g = np.linalg.solve(A, G.T).T  # G A^-1
    zr = Z * resid[:, None]
    R = np.zeros((n_out, Z.shape[1]))
    for infl, rows, sign in ((infl_t, rt, 1.0), (infl_c, rc, -1.0)):
        ok = rows >= 0
        R += sign * infl[ok].T @ zr[rows[ok]]
    M = zr.T @ zr
    return -R @ g.T - g @ R.T + g @ M @ g.T


def month_effects(
    participants: pd.DataFrame,
    comparison: pd.DataFrame,
    weights: ComparisonWeights,
    months: int,
    min_persons: int = 10,
    sources: list[str] | None = None,
) -> MonthEffects:
    """Effects of taking part on the months in each source, participants against a weighted comparison group.

    Parameters
    ----------
    participants, comparison
        Person-month tables ``person_key, k, source`` (an observed month has at least one row;
        see :mod:`analysis.payback.inputs`). Rows with ``k < 0`` are ignored. ``person_key`` names
        the unit; an optional ``cluster`` column groups units of one person (a comparison person
        used at several time zeros) for the variance. The score correction assumes one unit per person.
    weights
        The comparison persons' weights (:class:`ComparisonWeights`).
    months
        Months after time zero to estimate (``0..months-1``); estimation stops at the first month
        where fewer than ``min_persons`` persons of either group are observed.

    Returns
    -------
    MonthEffects

    Example
    -------
    >>> import pandas as pd
    >>> from analysis.payback.estimate import ComparisonWeights, month_effects
    >>> part = pd.DataFrame({"person_key": ["a", "b"], "k": [0, 0], "source": ["wage", "none"]})
    >>> comp = pd.DataFrame({"person_key": ["c", "d"], "k": [0, 0], "source": ["none", "none"]})
    >>> w = ComparisonWeights(pd.Series({"c": 1.0, "d": 1.0}))
    >>> float(month_effects(part, comp, w, months=1, min_persons=1).tau[0, 1])
    0.5
    """
    sources = sources or sorted(set(participants["source"].astype(str)) | set(comparison["source"].astype(str)))
    keys_t = pd.Index(pd.unique(participants["person_key"].astype(str)))
    comparison, keys_c, w_c = _weighted_comparison(comparison, weights)
    ind_t, obs_t = _grid(participants, keys_t, sources, 0, months)
    ind_c, obs_c = _grid(comparison, keys_c, sources, 0, months)
    n_t, n_c = obs_t.sum(axis=0), obs_c.sum(axis=0)
    K = _leading((n_t >= min_persons) & (n_c >= min_persons))
    mean_t, infl_t = _group(ind_t, obs_t, np.ones(len(keys_t)), K)
    mean_c, infl_c = _group(ind_c, obs_c, w_c, K)
    cov = _effect_cov(weights, (infl_t, participants, keys_t), (infl_c, comparison, keys_c))
    return MonthEffects(
        design="comparison",
        sources=list(sources),
        months=np.arange(K),
        tau=mean_t - mean_c,
        cov=cov,
        mean_treated=mean_t,
        mean_control=mean_c,
        n_treated=n_t[:K],
        n_control=n_c[:K],
        n_persons_treated=len(keys_t),
        n_persons_control=len(keys_c),
    )


def _weighted_comparison(
    comparison: pd.DataFrame, weights: ComparisonWeights
) -> tuple[pd.DataFrame, pd.Index, np.ndarray]:
    """The comparison rows of persons with a positive weight, their keys and their weights in key order."""
    w_all = weights.weights.astype(float)
    w_all = w_all[w_all > 0]
    comparison = comparison[comparison["person_key"].astype(str).isin(w_all.index.astype(str))]
    keys_c = pd.Index(pd.unique(comparison["person_key"].astype(str)))
    return comparison, keys_c, w_all.reindex(keys_c).to_numpy(float)


def _effect_cov(weights: ComparisonWeights, treated: tuple, control: tuple) -> np.ndarray:
    """Covariance of the month effects: both groups' clustered influence functions plus the score correction.

    ``treated`` and ``control`` are (influence functions, person-month rows, person keys).
    """
    infl_t, participants, keys_t = treated
    infl_c, comparison, keys_c = control
    cov = _cov(_clustered(infl_t, participants, keys_t)) + _cov(_clustered(infl_c, comparison, keys_c))
    cov += _score_correction(weights, infl_t, keys_t, infl_c, keys_c)
    return cov


def before_after_effects(
    participants: pd.DataFrame, months: int, min_persons: int = 10, sources: list[str] | None = None
) -> MonthEffects:
    """What a before/after calculation claims: the participants' change since the month before their start.

    ``tau[k, j]`` is the mean, over participants observed both in month ``k`` and in month -1, of
    (has source ``j`` in month ``k``) minus (had it in month -1): it assumes that without the project
    everyone would have stayed where they were before the start.
    """
    sources = sources or sorted(set(participants["source"].astype(str)))
    keys = pd.Index(pd.unique(participants["person_key"].astype(str)))
    ind, obs = _grid(participants, keys, sources, -1, months)
    before, obs_before = ind[:, :1], obs[:, :1]
    diff, both = ind[:, 1:] - before, obs[:, 1:] & obs_before
    n = both.sum(axis=0)
    K = _leading(n >= min_persons)
    mean, infl = _group(diff, both, np.ones(len(keys)), K)
    tot = np.where(n[:K] > 0, n[:K], 1)
    shares_after = np.einsum("ik,ikj->kj", both[:, :K], ind[:, 1 : K + 1]) / tot[:, None]
    return MonthEffects(
        design="before_after",
        sources=list(sources),
        months=np.arange(K),
        tau=mean,
        cov=infl.T @ infl,
        mean_treated=shares_after,
        mean_control=shares_after - mean,
        n_treated=n[:K],
        n_control=np.zeros(K, dtype=int),
        n_persons_treated=len(keys),
    )
