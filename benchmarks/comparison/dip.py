"""A planted labour-market panel with Ashenfelter's dip, and the two comparison designs estimated on it.

Data-generating process (monthly, vectorised over persons)
----------------------------------------------------------
States: ``income_support`` (S, the only eligible status), ``work`` (W), ``job_seeking`` (J) and,
for three months after a start, the programme (panel status ``other``).

* Background: female (1/2), age 20-60 at month 0, education compulsory / upper secondary /
  post-secondary (0.4 / 0.35 / 0.25).
* From S a person finds work with the monthly hazard ``expit(-2.0 + 0.35 post + 0.2 upper
  - 0.02 (age - 40) - 0.3 log(duration))`` (the longer on support, the lower), leaves for J with
  0.03. From W: back to S with 0.025, to J with 0.01. From J: to W 0.08, to S 0.06.
* **Selection (the dip)**: only persons on S can start, in months 12-35, with the monthly hazard
  ``expit(-4.6 + 0.7 log(duration) + 0.4 female)``: more likely the longer on support. Each person
  starts at most once.
* **Effect**: a start means three months in the programme (not working), then back to S with the
  work hazard raised by ``+0.9`` on the log-odds scale for good.

The truth of the estimand *start now vs not now* (Sianesi) for the persons who started in month
``t``: from their state in ``t - 1``, ``reps`` continuations each start in ``t`` (arm 1) or do not
start in ``t`` but follow the same start policy from ``t + 1`` on (arm 0, may start later); the
truth is the mean over participants of ``P(work at t + k | arm 1) - P(work at t + k | arm 0)``.

The static comparison is what a comparison file with one ``reference_date`` gives: everybody who
never starts, at a fixed reference month (the first recruitment month), adjusted for the
background and the months on support in the 12 months before time zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

S, W, J, P = 0, 1, 2, 3
STATUS = {S: "income_support", W: "work", J: "job_seeking", P: "other"}
MONTHS = 60
RECRUIT = (12, 35)
LOCK_IN = 3
BOOST = 0.9
ORIGIN_MONTH = 2015 * 12  # month 0 = January 2015


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _hazard_work(x: dict, dur: np.ndarray, treated: np.ndarray) -> np.ndarray:
    z = -2.0 + 0.35 * x["post"] + 0.2 * x["upper"] - 0.02 * (x["age"] - 40) - 0.3 * np.log(np.maximum(dur, 1))
    return _expit(z + BOOST * treated)


def _hazard_start(x: dict, dur: np.ndarray) -> np.ndarray:
    return _expit(-4.6 + 0.7 * np.log(np.maximum(dur, 1)) + 0.4 * x["female"])


def _background(rng, n):
    edu = rng.choice(3, n, p=[0.4, 0.35, 0.25])
    return {
        "female": (rng.random(n) < 0.5).astype(float),
        "age": rng.uniform(20, 60, n),
        "upper": (edu == 1).astype(float),
        "post": (edu == 2).astype(float),
        "edu": edu,
    }


def simulate(n: int = 3000, seed: int = 0, reps: int = 40, followup=(6, 12)) -> dict:
    """One planted data set: panel, participants, static comparison and the truth of the estimand."""
    rng = np.random.default_rng(seed)
    x = _background(rng, n)
    state = rng.choice([S, W, J], n, p=[0.55, 0.25, 0.20])
    dur = np.where(state == S, 1, 0)  # spells start with the panel: the time in status is observed exactly
    lock = np.zeros(n, int)
    treated = np.zeros(n, bool)
    started = np.zeros(n, bool)
    start_m = np.full(n, -1)
    hist = np.zeros((n, MONTHS), dtype=np.int8)
    durs = np.zeros((n, MONTHS), dtype=np.int32)
    for m in range(MONTHS):
        state, dur, lock, treated, started, now = _step(rng, state, dur, lock, treated, started, x, m, None)
        start_m[now] = m
        hist[:, m] = state
        durs[:, m] = dur
    truth = _truth(rng, x, hist, durs, start_m, reps, followup)
    return {"x": x, "status": hist, "start": start_m, "truth": truth, "n": n}


def _truth(rng, x, hist, durs, start_m, reps, followup) -> dict[int, float]:
    """Monte Carlo truth of start now vs not now among the participants, per follow-up month."""
    who = np.flatnonzero(start_m >= 0)
    rows = np.repeat(who, reps)
    t = start_m[rows]
    xs = {k: v[rows] for k, v in x.items()}
    out = {}
    arms = {}
    for arm in (1, 0):
        state = hist[rows, t - 1].astype(int)
        dur = durs[rows, t - 1].astype(int)
        lock = np.zeros(len(rows), int)
        treated = np.zeros(len(rows), bool)
        started = np.zeros(len(rows), bool)
        work = {k: np.zeros(len(rows), bool) for k in followup}
        for step in range(max(followup) + 1):
            month = t + step
            force = arm if step == 0 else None
            state, dur, lock, treated, started, _ = _step(rng, state, dur, lock, treated, started, xs, month, force)
            for k in followup:
                if step == k:
                    work[k] = state == W
        arms[arm] = work
    for k in followup:
        out[k] = float(arms[1][k].mean() - arms[0][k].mean())
    return out


def _step(rng, state, dur, lock, treated, started, x, month, force):
    """One month for every row (``month`` a number or one per row); ``force`` = 1 (start now),
    0 (not now) or None (the start policy)."""
    n = len(state)
    u = rng.random(n)
    new = state.copy()
    on_s = state == S
    can = on_s & ~started & (RECRUIT[0] <= month) & (month <= RECRUIT[1])
    start = can & ((rng.random(n) < _hazard_start(x, dur + 1)) if force is None else bool(force))
    hw = _hazard_work(x, dur + 1, treated)
    to_w = on_s & ~start & (u < hw)
    to_j = on_s & ~start & ~to_w & (u < hw + 0.03)
    new[to_w], new[to_j] = W, J
    w = state == W
    new[w & (u < 0.025)] = S
    new[w & (u >= 0.025) & (u < 0.035)] = J
    j = state == J
    new[j & (u < 0.08)] = W
    new[j & (u >= 0.08) & (u < 0.14)] = S
    in_p = state == P
    lock = np.where(in_p, lock - 1, lock)
    new[in_p & (lock <= 0)] = S
    new[in_p & (lock > 0)] = P
    new[start] = P
    lock = np.where(start, LOCK_IN - 1, lock)
    dur = np.where(new == S, np.where(state == S, dur + 1, 1), 0)
    return new, dur, lock, treated | start, started | start, start


def tables(sim: dict) -> dict[str, pd.DataFrame]:
    """The simulated data as processed tables: participants, comparison (static) and the panel."""
    n = sim["n"]
    x = sim["x"]
    keys = np.array([f"p{i:06d}" for i in range(n)])
    month = pd.to_datetime(
        pd.DataFrame({"year": (ORIGIN_MONTH + np.arange(MONTHS)) // 12, "month": np.arange(MONTHS) % 12 + 1, "day": 1})
    )
    status = sim["status"]
    panel = pd.DataFrame(
        {
            "person_key": pd.Categorical(np.repeat(keys, MONTHS)),
            "month": np.tile(month.to_numpy(), n),
            "status": pd.Categorical.from_codes(status.ravel().astype(int), [STATUS[k] for k in (S, W, J, P)]),
        }
    )
    gender = np.where(x["female"] == 1, "female", "male")
    edu = np.array(["compulsory", "upper_secondary", "post_secondary"])[x["edu"]]
    birth = (ORIGIN_MONTH // 12 - np.floor(x["age"])).astype(int)
    base = pd.DataFrame({"person_key": keys, "gender": gender, "education": edu, "birth_year": birth})
    part = sim["start"] >= 0
    start = month.to_numpy()[np.maximum(sim["start"], 0)]
    p = base[part].assign(start_date=start[part])
    ref = RECRUIT[0]
    c = base[~part].assign(reference_date=month.iloc[ref])
    on_s = status == S
    before = lambda rows, t0: np.array([on_s[i, max(0, t - 12) : t].sum() for i, t in zip(rows, t0)])  # noqa: E731
    p["support_before_months"] = before(np.flatnonzero(part), sim["start"][part]).astype(float)
    c["support_before_months"] = before(np.flatnonzero(~part), np.full((~part).sum(), ref)).astype(float)
    for frame, t0 in ((p, sim["start"][part]), (c, np.full((~part).sum(), ref))):
        frame["age_at_start"] = (ORIGIN_MONTH + t0) // 12 - frame["birth_year"]
    return {"participants": p.reset_index(drop=True), "comparison": c.reset_index(drop=True), "status_monthly": panel}
