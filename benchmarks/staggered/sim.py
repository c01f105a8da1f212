"""A planted staggered-start panel with a known ATT(g, t): the data-generating process of the benchmark.

``n`` persons x ``T`` months. Two covariates, ``x1`` (normal, cut at +-2.2) and ``x2`` (0/1). The start month is
drawn from a multinomial logit in the covariates: never (about 40 %) or one of ``COHORTS``; persons
with a high ``x1`` start earlier. The outcome is 0/1 with

    P(Y_it = 1) = a_i + b_t + c_t * (x1_i + 2.2) + tau(t - g_i) * 1[t >= g_i]

``a_i`` depends on the cohort and on ``x1`` (selection on levels, which DiD allows); ``c_t`` grows
with ``t``, so persons with a high ``x1`` have steeper trends: parallel trends hold only given ``x1``
(the unconditional DiD is biased). The outcome regression of ``dy`` on ``(1, x1, x2)`` is correct and
so is the logit of each cohort against the never-starters; the planted effect is
``tau(e) = 0.05 + 0.01 e`` for ``e >= 0``, the same in every cohort, so
ATT(g, t) = tau(t - g), theta(e) = tau(e) and the overall effects are known exactly.
"""

from __future__ import annotations

import numpy as np

COHORTS = (4, 6, 8)
T = 12


def tau(e: np.ndarray | int) -> np.ndarray:
    e = np.asarray(e, dtype=float)
    return np.where(e >= 0, 0.05 + 0.01 * e, 0.0)


def simulate(n: int = 1000, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x1 = np.clip(rng.normal(size=n), -2.2, 2.2)  # bounded, so that no probability needs clipping
    x2 = (rng.random(n) < 0.5).astype(float)
    # multinomial logit: never, then the cohorts
    z = np.column_stack([np.zeros(n)] + [-1.2 + (1.0 - 0.5 * k) * x1 + 0.3 * x2 for k in range(len(COHORTS))])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    u = rng.random(n)[:, None]
    choice = (u > np.cumsum(p, axis=1)).sum(axis=1)
    G = np.where(choice == 0, np.inf, np.array((np.inf, *COHORTS), dtype=float)[choice])
    t = np.arange(T)
    a = 0.25 + 0.04 * x1 + 0.05 * np.isfinite(G) - 0.03 * x2 + rng.uniform(-0.04, 0.04, n)
    b = 0.01 * t
    c = 0.006 * t
    prob = a[:, None] + b[None, :] + c[None, :] * (x1[:, None] + 2.2) + tau(t[None, :] - G[:, None])
    prob = np.clip(prob, 0.0, 1.0)
    Y = (rng.random((n, T)) < prob).astype(float)
    X = np.column_stack([np.ones(n), x1, x2])
    return {"Y": Y, "G": G, "X": X, "clipped": float(((prob == 0) | (prob == 1)).mean())}
