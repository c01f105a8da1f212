"""A planted simulation for the payback calculation: the true net effect per actor is known exactly.

Data-generating process (one replication)
-----------------------------------------
* ``n`` persons with covariates ``x1 ~ N(0, 1)`` (clipped to [-2, 2]) and ``x2 ~ Bernoulli(0.4)``.
* Taking part: ``logit P(D = 1) = -1.4 + 0.6 x1 - 0.5 x2`` (selection on observables: participants
  have a higher x1, which also raises the chance of a wage, so the raw difference is biased).
* Each person is observed for months ``-1 .. L-1`` after time zero, ``L`` uniform on 40..60,
  independent of everything (late starters are followed for a shorter time).
* In month ``k`` a person has one income source, drawn with probabilities (r = min(1, k/12))

      wage              0.15 + 0.10 min(1, k/24) + 0.05 x1            + 0.12 r D
      income support    0.25                     - 0.05 x1 + 0.05 x2  - 0.08 r D
      activity support  0.20                               - 0.02 x2  - 0.04 r D
      none              the rest (>= 0.27; the effect on it is zero)

  and in month -1 the same without the ``D`` terms. The months of a person are tied by a Gaussian
  copula (AR(1) latent with correlation 0.9 from month to month), which leaves these marginal
  probabilities exact. The wage share rises over time for everyone, which a before/after
  calculation takes for an effect.
* The effect on the shares is the same for every person, so the average effect on the participants
  (ATT) in month ``k`` is exactly ``(+0.12, -0.08, -0.04, 0) * r``; priced with the cost table and
  discounted it gives the true net effect per actor (:func:`truth`).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats

from analysis.effects.propensity import fit_propensity
from analysis.payback.analysis import payback_from_effects
from analysis.payback.costs import cost_table
from analysis.payback.estimate import ComparisonWeights, before_after_effects, month_effects
from analysis.payback.pricing import discount, price_matrix
from analysis.project.payback import PaybackConfig

SOURCES = ["activity_support", "income_support", "none", "wage"]
MONTHS = 60
EFFECT = {"wage": 0.12, "income_support": -0.08, "activity_support": -0.04, "none": 0.0}


def config(rate: float = 0.035) -> SimpleNamespace:
    cfg = PaybackConfig(
        basis="income",
        cost={"per_participant_sek": 60000},
        discount_rate=rate,
        horizons_months=[12, MONTHS],
        min_persons_per_month=10,
    )
    return SimpleNamespace(payback=cfg, min_cell=5, budget_sek=None)


def truth(rate: float = 0.035, horizon: int = MONTHS) -> dict[str, float]:
    """The true net effect per participant after ``horizon`` months, per column (actors and totals)."""
    k = np.arange(horizon)
    r = np.minimum(1.0, k / 12)
    prices = price_matrix(SOURCES, {s: s for s in SOURCES}, cost_table(config(rate).payback))
    tau = np.array([[EFFECT[s] * rk for s in SOURCES] for rk in r])
    total = discount(horizon, rate) @ (tau @ prices.values)
    return dict(zip(prices.columns, total))


def _probabilities(x1: np.ndarray, x2: np.ndarray, d: np.ndarray, k: int) -> np.ndarray:
    r = min(1.0, k / 12) if k >= 0 else 0.0
    dd = d * r
    wage = 0.15 + 0.10 * min(1.0, max(k, 0) / 24) + 0.05 * x1 + 0.12 * dd
    income = 0.25 - 0.05 * x1 + 0.05 * x2 - 0.08 * dd
    activity = 0.20 - 0.02 * x2 - 0.04 * dd
    return np.column_stack([activity, income, 1 - activity - income - wage, wage])  # SOURCES order


def draw(rng: np.random.Generator, n: int = 2000) -> dict:
    """One replication: person-month tables of participants and comparison persons, covariates, treatment."""
    x1 = np.clip(rng.normal(size=n), -2, 2)
    x2 = (rng.random(n) < 0.4).astype(float)
    d = (rng.random(n) < 1 / (1 + np.exp(-(-1.4 + 0.6 * x1 - 0.5 * x2)))).astype(np.int8)
    length = rng.integers(40, MONTHS + 1, size=n)
    z = rng.normal(size=n)
    keys = np.array([f"p{i}" for i in range(n)])
    parts = []
    for k in range(-1, MONTHS):
        if k > -1:
            z = 0.9 * z + np.sqrt(1 - 0.81) * rng.normal(size=n)
        u = stats.norm.cdf(z)
        cum = np.cumsum(_probabilities(x1, x2, d, k), axis=1)
        src = (u[:, None] > cum).sum(axis=1)
        seen = k < length
        parts.append(pd.DataFrame({"person_key": keys[seen], "k": k, "source": np.asarray(SOURCES)[src[seen]]}))
    rows = pd.concat(parts, ignore_index=True)
    treated = pd.Index(keys[d == 1])
    in_t = rows["person_key"].isin(treated)
    return {"rows_t": rows[in_t], "rows_c": rows[~in_t], "X": pd.DataFrame({"x1": x1, "x2": x2}), "d": d, "keys": keys}


def estimate(sim: dict, rate: float = 0.035, score_correction: bool = True):
    """The payback result of one replication with IPW weights from a logit on x1, x2 (correct model)."""
    ps = fit_propensity(sim["X"], sim["d"])
    d, keys = sim["d"], sim["keys"]
    e = ps.ps
    weights = pd.Series(e[d == 0] / (1 - e[d == 0]), index=keys[d == 0])
    w = ComparisonWeights(weights, "ipw", ps.design, d, ps.ps, keys) if score_correction else ComparisonWeights(weights)
    net = month_effects(sim["rows_t"], sim["rows_c"], w, MONTHS, 10, SOURCES)
    gross = before_after_effects(sim["rows_t"], MONTHS, 10, SOURCES)
    return payback_from_effects(net, gross, config(rate), basis="income")
