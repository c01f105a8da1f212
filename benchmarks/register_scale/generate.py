"""Generate a register-scale project (participants, comparison group, monthly panel).

Usage::

    .venv/bin/python benchmarks/register_scale/generate.py --persons 1000000 --months 36 \\
        --out benchmarks/register_scale/data/register-1m

writes ``project.yml``, ``participants.csv`` (~2 % of the persons), ``comparison.csv``
(the others, with ``reference_date``) and ``status_monthly.csv`` (persons x months,
``person_id;month;status``) in the raw-data contract of DESIGN.md, semicolon-separated
UTF-8. The data-generating process and its exact truth are in ``truth.py``; the truth
is also written to ``project.yml`` under ``planted_truth``.

Everything is vectorised with numpy (no per-person Python loop): person-level draws
are whole arrays, the panel is simulated month by month for a chunk of persons at a
time and written with ``pyarrow.csv`` chunk by chunk, so memory stays flat. A fixed
seed gives byte-identical files; the chunk size is fixed so the bytes do not depend
on it.

A tiny realistic share of bad rows exercises the cleaning step's quarantine at scale:
``BAD_ID_SHARE`` of the persons carry a personnummer with a wrong check digit in their
person file (their panel rows then belong to no kept person), and ``BAD_STATUS_SHARE``
of the panel rows carry a status label no dictionary knows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import truth

SEED = 20240808
FIRST_MONTH = (2021, 1)  # first month of the panel
PRE_MONTHS = 6  # earliest start month (months of panel before the first possible start)
FOLLOW_MONTHS = 12  # every start leaves at least this many months of panel after it
CHUNK_PERSONS = 50_000  # fixed: the bytes must not depend on it
BAD_ID_SHARE = 1e-4
BAD_STATUS_SHARE = 2e-5
BAD_STATUS_LABELS = ("parental_leave", "Föräldraledig")

EDUCATION = (("compulsory", 0.32), ("upper_secondary", 0.43), ("post_secondary", 0.20), ("unknown", 0.05))
ORIGIN = (("sweden", 0.55), ("nordic", 0.04), ("europe", 0.11), ("outside_europe", 0.27), ("unknown", 0.03))
INCOME_AT_START = (
    ("income_support", 0.45),
    ("activity_support", 0.20),
    ("sickness_benefit", 0.10),
    ("unemployment_insurance", 0.10),
    ("none", 0.10),
    ("other", 0.05),
)
REFERRED_BY = (("soc", 0.40), ("af", 0.30), ("fk", 0.15), ("region", 0.10), ("other", 0.05))
EXIT_NOT_WS = (("job_seeking", 0.50), ("other_programme", 0.20), ("sick", 0.10), ("dropped_out", 0.20))
INCOME_NOT_WS = (
    ("income_support", 0.45),
    ("activity_support", 0.25),
    ("unemployment_insurance", 0.15),
    ("sickness_benefit", 0.10),
    ("other", 0.05),
)
WRITE = pacsv.WriteOptions(include_header=False, delimiter=";", quoting_style="none")


def _choice(rng: np.random.Generator, table, n: int) -> np.ndarray:
    """Codes 0..k-1 drawn with the probabilities of ``table`` ((label, p), ...)."""
    p = np.array([q for _, q in table])
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(p) - 1).astype(np.int8)


def _labels(table, codes: np.ndarray) -> np.ndarray:
    return np.array([lab for lab, _ in table], dtype=object)[codes]


def _month_start(index: np.ndarray) -> np.ndarray:
    """datetime64[D] of the first day of panel month ``index`` (0 = FIRST_MONTH)."""
    base = np.datetime64(f"{FIRST_MONTH[0]:04d}-{FIRST_MONTH[1]:02d}", "M")
    return (base + index.astype("timedelta64[M]")).astype("datetime64[D]")


def _completed_years(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Age in completed years on a date, as the cleaning step computes it."""
    by, bm, bd = _ymd(birth)
    oy, om, od = _ymd(on)
    return oy - by - ((om < bm) | ((om == bm) & (od < bd))).astype(np.int64)


def _ymd(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, day


BIRTH_NUMBERS = 500  # three-digit birth numbers of one parity: persons of one gender born on one day


def _rank_in_day(day: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Each person's rank (0, 1, ...) among the persons of the same gender born on the same day, in input order."""
    n = day.size
    order = np.lexsort((np.arange(n), male, day))
    group = day[order] * 2 + male[order]
    head = np.r_[True, group[1:] != group[:-1]]
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - np.maximum.accumulate(np.where(head, np.arange(n), 0))
    return rank


def spread_births(birth: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Birth dates with at most 500 persons of one gender per day (a personnummer has 500 birth numbers each).

    From about 10 M persons the busiest days overflow. Per gender, in order of birth, a person
    is moved to the day after the one of the person 500 places before, when that day is not
    earlier than theirs (the fewest moves, each forward by a few days). No random draw is used,
    and below the overflow (every size up to 5 M) the dates are unchanged: there the person
    500 places before was always born on an earlier day.
    """
    day = birth.astype("datetime64[D]").astype(np.int64)
    out = day.copy()
    for sex in (False, True):
        idx = np.flatnonzero(male == sex)
        idx = idx[np.argsort(day[idx], kind="stable")]
        d = day[idx]
        a = d.copy()
        for lo in range(BIRTH_NUMBERS, len(a), BIRTH_NUMBERS):
            hi = min(lo + BIRTH_NUMBERS, len(a))
            a[lo:hi] = np.maximum(d[lo:hi], a[lo - BIRTH_NUMBERS : hi - BIRTH_NUMBERS] + 1)
        out[idx] = a
    return out.astype("datetime64[D]")


def personnummer(birth: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Unique, check-digit-valid 12-digit personnummer (``YYYYMMDDNNNC``) as bytes ``S12``.

    The three-digit birth number ``NNN`` is odd for men, even for women (as
    tests/conftest.py make_pnr). Persons born on the same day with the same gender get
    distinct numbers: their rank within the group times a stride coprime with 500.
    """
    n = birth.size
    day = birth.astype(np.int64)
    rank = _rank_in_day(day, male)
    if rank.max(initial=0) >= BIRTH_NUMBERS:
        raise ValueError("more than 500 persons of one gender born on one day; spread the birth dates")
    j = (rank * 211 + day * 37) % 500
    number = 2 * j + male.astype(np.int64)
    y, m, d = _ymd(birth)
    value = ((y * 100 + m) * 100 + d) * 1000 + number  # YYYYMMDDNNN as one integer
    digits = np.empty((n, 12), np.int64)
    digits[:, :11] = value[:, None] // 10 ** np.arange(10, -1, -1) % 10
    nine = digits[:, 2:11]
    prod = nine * np.array([2, 1, 2, 1, 2, 1, 2, 1, 2])
    total = np.where(prod > 9, prod - 9, prod).sum(axis=1)
    digits[:, 11] = (10 - total % 10) % 10
    return (digits + ord("0")).astype(np.uint8).view("S12").ravel()


class _NoAliases(yaml.SafeDumper):
    """Write repeated values (period end = data_end) in full, not as YAML anchors."""

    def ignore_aliases(self, data) -> bool:
        return True


def _calibrate_intercept(eta: np.ndarray, share: float) -> float:
    """Intercept so that the mean participation probability is ``share`` (bisection)."""
    lo, hi = -30.0, 30.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if truth.expit(eta + mid).mean() < share:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def draw_persons(n: int, months: int, seed: int = SEED, participant_share: float = truth.PARTICIPANT_SHARE) -> dict:
    """Every person-level quantity (covariates, participation, finder type, entry month)."""
    import pandas as pd

    rng = np.random.default_rng([seed, 0])
    last_start = months - 1 - FOLLOW_MONTHS
    if last_start < PRE_MONTHS:
        raise ValueError(f"--months must be at least {PRE_MONTHS + FOLLOW_MONTHS + 1}")
    start_month = rng.integers(PRE_MONTHS, last_start + 1, n)
    start = _month_start(start_month) + rng.integers(0, 28, n).astype("timedelta64[D]")
    male = rng.random(n) < 0.52
    # Age 18-64 at the start, skewed young: births spread over ~47 years of days.
    age_days = (18 * 365.25 + rng.beta(1.6, 2.6, n) * 46.9 * 365.25).astype(np.int64)
    birth = spread_births(start - age_days.astype("timedelta64[D]"), male)
    age = _completed_years(birth, start)
    education = _choice(rng, EDUCATION, n)
    origin = _choice(rng, ORIGIN, n)
    outside = origin == 3
    support = np.minimum(np.round(rng.gamma(1.2, 12.0, n) + 6 * outside), 120).astype(np.int64)
    zero_earn = rng.random(n) < np.clip(0.30 + 0.004 * support, 0, 0.9)
    earn_mean = np.maximum(90_000 + 40_000 * (education == 2) + 15_000 * (education == 1) - 800 * support, 20_000)
    earnings_before = np.where(zero_earn, 0, np.round(rng.gamma(1.5, earn_mean / 1.5) / 100) * 100).astype(np.int64)
    cov = pd.DataFrame(
        {
            "age_at_start": age,
            "gender": np.where(male, "male", "female"),
            "education": _labels(EDUCATION, education),
            "origin": _labels(ORIGIN, origin),
            "support_before_months": support,
            "earnings_before": earnings_before,
        }
    )
    terms = truth.design(cov)
    eta_p = truth.linear(terms, truth.PROPENSITY)
    alpha = _calibrate_intercept(eta_p, participant_share)
    propensity = truth.expit(eta_p + alpha)
    treated = rng.random(n) < propensity
    pi0 = truth.untreated_finder_probability(cov)
    finder = rng.random(n) < pi0 + truth.finder_shift() * treated
    # Entry month after the start: finders in 1..12, the others 13 + geometric.
    entry_finder = 1 + np.searchsorted(np.cumsum(truth.entry_pmf_finder()), rng.random(n), side="right").clip(0, 11)
    entry_late = 13 + rng.geometric(truth.LATE_ENTRY_HAZARD, n) - 1
    entry = np.where(finder, entry_finder, entry_late)
    study = rng.random(n) < np.where(age < 25, 0.45, 0.15)  # in work or study: which of the two
    mu0 = truth.earnings_mean0(cov)
    earnings_after = np.round(
        rng.gamma(2.0, mu0 / 2.0) + truth.EARNINGS_FINDER * finder + truth.earnings_direct() * treated
    ).astype(np.int64)
    return {
        "n": n,
        "start_month": start_month,
        "start": start,
        "male": male,
        "birth": birth,
        "cov": cov,
        "treated": treated,
        "propensity": propensity,
        "alpha": alpha,
        "finder": finder,
        "entry": entry,
        "study": study,
        "earnings_after": earnings_after,
        "income_at_start": _choice(rng, INCOME_AT_START, n),
    }


def simulate_panel_chunk(persons: dict, lo: int, hi: int, months: int, seed: int) -> np.ndarray:
    """Status codes (index into ``truth.STATUSES``, or beyond for bad labels), shape (hi - lo, months)."""
    rng = np.random.default_rng([seed, 1, lo // CHUNK_PERSONS])
    n = hi - lo
    a = persons["start_month"][lo:hi]
    entry = persons["entry"][lo:hi]
    ws_code = np.where(persons["study"][lo:hi], 1, 0).astype(np.int8)
    before = np.array([truth.STATUSES.index(s) for s in truth.OUT_BEFORE], np.int8)
    after = np.array([truth.STATUSES.index(s) for s in truth.OUT_AFTER], np.int8)
    cum_before = np.cumsum(list(truth.OUT_BEFORE.values()))
    cum_after = np.cumsum(list(truth.OUT_AFTER.values()))
    # State: 0 waiting for the first entry, 1 in a spell, 2.. out for 1..MIN_MONTHS_OUT months (last: or longer).
    state = np.zeros(n, np.int8)
    last_out = 1 + truth.MIN_MONTHS_OUT
    codes = np.empty((n, months), np.int8)
    for m in range(months):
        k = m - a
        u = rng.random(n)
        new = state.copy()
        in_spell = state == 1
        new[in_spell & (u < truth.LEAVE_HAZARD)] = 2
        out_short = (state >= 2) & (state < last_out)
        new[out_short] = state[out_short] + 1
        new[(state == last_out) & (u < truth.REENTRY_HAZARD)] = 1
        new[(state == 0) & (k == entry)] = 1
        state = np.where(k > 0, new, state)  # nothing happens before the first month after the start
        v = rng.random(n)
        out_code = np.where(
            k < 0,
            before[np.searchsorted(cum_before, v * cum_before[-1], side="right").clip(0, before.size - 1)],
            after[np.searchsorted(cum_after, v * cum_after[-1], side="right").clip(0, after.size - 1)],
        )
        codes[:, m] = np.where(state == 1, ws_code, out_code)
    bad = rng.random(codes.shape) < BAD_STATUS_SHARE
    if bad.any():
        codes[bad] = len(truth.STATUSES) + rng.integers(0, len(BAD_STATUS_LABELS), int(bad.sum()))
    return codes


def _arrow_strings(values: np.ndarray) -> pa.Array:
    return pa.array(values).cast(pa.string())


def _write_table(path: Path, columns: dict[str, object]) -> None:
    """Semicolon CSV with an unquoted header (pyarrow quotes headers; the reader's fast path wants no quotes)."""
    table = pa.table({k: v if isinstance(v, pa.Array) else pa.array(v) for k, v in columns.items()})
    with pa.OSFile(str(path), "wb") as sink:
        sink.write((";".join(columns) + "\n").encode("utf-8"))
        pacsv.write_csv(table, sink, WRITE)


def _date_strings(d: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    text = np.datetime_as_string(d, unit="D").astype(object)
    mask = None if valid is None else ~valid
    return pa.array(text, type=pa.string(), mask=mask)


def generate(
    out: Path,
    persons: int = 1_000_000,
    months: int = 36,
    seed: int = SEED,
    participant_share: float = truth.PARTICIPANT_SHARE,
    name: str | None = None,
) -> dict:
    """Write the project folder ``out`` and return a summary (counts, bad rows, timings).

    Parameters
    ----------
    out : Path
        Project folder to create (files in it are overwritten).
    persons, months : int
        Persons in total (participants + comparison) and months of panel.
    seed : int
        Same seed, same arguments -> byte-identical files.
    participant_share : float
        Expected share of persons who take part.
    """
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    p = draw_persons(persons, months, seed, participant_share)
    n = p["n"]
    rng = np.random.default_rng([seed, 2])
    pnr = personnummer(p["birth"], p["male"])
    bad_id = np.zeros(n, bool)
    bad_id[rng.choice(n, max(1, round(n * BAD_ID_SHARE)), replace=False)] = True
    t_persons = time.perf_counter()

    # Panel, chunk by chunk; remember each participant's status in their end month.
    last_month = months - 1
    length = rng.integers(3, 19, n)  # months in the project
    end_month = p["start_month"] + length
    ended = end_month <= last_month
    end_status = np.full(n, -1, np.int8)
    month_text = pa.array([str(np.datetime64(_month_start(np.array([m]))[0], "M")) for m in range(months)])
    status_dict = pa.array([*truth.STATUSES, *BAD_STATUS_LABELS])
    pnr_arrow = pa.array(pnr, type=pa.binary(12))
    bad_status_rows = 0
    with pa.OSFile(str(out / "status_monthly.csv"), "wb") as sink:
        sink.write(b"person_id;month;status\n")
        for lo in range(0, n, CHUNK_PERSONS):
            hi = min(lo + CHUNK_PERSONS, n)
            codes = simulate_panel_chunk(p, lo, hi, months, seed)
            bad_status_rows += int((codes >= len(truth.STATUSES)).sum())
            rows = np.arange(hi - lo)
            em = np.minimum(end_month[lo:hi], last_month)
            end_status[lo:hi] = np.where(ended[lo:hi], codes[rows, em], -1)
            idx = np.repeat(np.arange(lo, hi), months)
            table = pa.table(
                {
                    "person_id": pnr_arrow.take(pa.array(idx)).cast(pa.string()),
                    "month": month_text.take(pa.array(np.tile(np.arange(months), hi - lo))),
                    "status": status_dict.take(pa.array(codes.ravel().astype(np.int64))),
                }
            )
            pacsv.write_csv(table, sink, WRITE)
    t_panel = time.perf_counter()

    # Person files.
    ids = pnr.copy()
    if bad_id.any():  # a wrong check digit: the cleaning step must quarantine these rows
        last = ids[bad_id].view(np.uint8).reshape(-1, 12)[:, 11] - ord("0")
        fixed = ids[bad_id].view(np.uint8).reshape(-1, 12).copy()
        fixed[:, 11] = (last + 1) % 10 + ord("0")
        ids[bad_id] = fixed.view("S12").ravel()
    id_text = _arrow_strings(ids)
    cov = p["cov"]
    common = lambda sel: {  # noqa: E731
        "gender": cov["gender"].to_numpy()[sel],
        "birth_year": p["birth"][sel].astype("datetime64[Y]").astype(np.int64) + 1970,
        "origin": cov["origin"].to_numpy()[sel],
        "education": cov["education"].to_numpy()[sel],
        "support_before_months": cov["support_before_months"].to_numpy()[sel],
        "income_at_start": _labels(INCOME_AT_START, p["income_at_start"][sel]),
        "earnings_before": cov["earnings_before"].to_numpy()[sel],
        "earnings_after": p["earnings_after"][sel],
    }
    tr = p["treated"]
    part = np.flatnonzero(tr)
    comp = np.flatnonzero(~tr)
    start = p["start"]
    end_date = _month_start(end_month) + rng.integers(0, 28, n).astype("timedelta64[D]")
    referral = start - rng.integers(0, 31, n).astype("timedelta64[D]")
    plan = start + rng.geometric(0.08, n).astype("timedelta64[D]") - np.timedelta64(1, "D")
    es = end_status[part]
    ws_exit = np.where(es == 0, "work", np.where(es == 1, "study", None))
    other_exit = _labels(EXIT_NOT_WS, _choice(rng, EXIT_NOT_WS, n))[part]
    other_income = _labels(INCOME_NOT_WS, _choice(rng, INCOME_NOT_WS, n))[part]
    has_end = ended[part]
    exit_status = np.where(has_end, np.where(ws_exit != None, ws_exit, other_exit), None)  # noqa: E711
    income_exit = np.where(has_end, np.where(es == 0, "wage", np.where(es == 1, "student_aid", other_income)), None)
    _write_table(
        out / "participants.csv",
        {
            "person_id": id_text.take(pa.array(part)),
            "referral_date": _date_strings(referral[part]),
            "start_date": _date_strings(start[part]),
            "end_date": _date_strings(end_date[part], has_end),
            "action_plan_date": _date_strings(plan[part]),
            "referred_by": _labels(REFERRED_BY, _choice(rng, REFERRED_BY, n))[part],
            **common(part),
            "income_at_exit": pa.array(income_exit, type=pa.string()),
            "exit_status": pa.array(exit_status, type=pa.string()),
        },
    )
    _write_table(
        out / "comparison.csv",
        {
            "person_id": id_text.take(pa.array(comp)),
            "reference_date": _date_strings(start[comp]),
            **common(comp),
        },
    )
    t_files = time.perf_counter()

    data_end = (_month_start(np.array([months])) - np.timedelta64(1, "D"))[0].item()
    period_start = _month_start(np.array([PRE_MONTHS]))[0].item()
    cohorts = sorted({int(y) for y in np.unique(start[part].astype("datetime64[Y]").astype(np.int64) + 1970)})
    planted = truth.planted_truth(cohorts, months)
    planted["selection"]["participant_share"] = participant_share
    planted["selection"]["propensity_intercept_calibrated"] = round(float(p["alpha"]), 6)
    planted["generator"] = {
        "command": f"benchmarks/register_scale/generate.py --persons {persons} --months {months} --seed {seed}",
        "seed": seed,
        "persons": persons,
        "months": months,
    }
    n_part = int(tr.sum())
    config = {
        "name": name or f"Register scale benchmark ({persons:,} persons x {months} months)".replace(",", " "),
        "owner": "foljeval benchmark (synthetic register data)",
        "region": "Synthetic region",
        "period": {"start": period_start, "end": data_end},
        "data_end": data_end,
        "planned_participants": max(1, round(persons * participant_share)),
        "target_group": "Persons on public support (synthetic register population)",
        "language": "en",
        "synthetic": True,
        "panel_work_or_study": ["work", "study"],
        "covariates": ["age_at_start", "gender", "education", "origin", "support_before_months", "earnings_before"],
        "outcomes": ["earnings_after"],
        "effect_months_after_start": [6, 12, 24],
        "targets": [
            {
                "id": "reached",
                "metric": "participants_reached",
                "threshold": max(1, round(persons * participant_share)),
                "label_en": "Participants reached",
            },
            {
                "id": "work_or_study_12m",
                "metric": "share_work_or_study_within_months",
                "months": 12,
                "threshold": 0.5,
                "label_en": "Half in work or study within 12 months",
            },
            {
                "id": "action_plan",
                "metric": "action_plan_within_days",
                "days": 14,
                "threshold": 0.8,
                "label_en": "Action plan within 14 days",
            },
        ],
        "planted_truth": planted,
        "files": {
            "participants": {"path": "participants.csv", "delimiter": ";", "encoding": "utf-8"},
            "comparison": {"path": "comparison.csv", "delimiter": ";", "encoding": "utf-8"},
            "status_monthly": {"path": "status_monthly.csv", "delimiter": ";", "encoding": "utf-8"},
        },
    }
    (out / "project.yml").write_text(
        "# Generated by benchmarks/register_scale/generate.py: synthetic register-scale data, do not edit.\n"
        + yaml.dump(config, Dumper=_NoAliases, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    t_end = time.perf_counter()
    bad_part = int((bad_id & tr).sum())
    bad_comp = int((bad_id & ~tr).sum())
    return {
        "persons": n,
        "months": months,
        "participants": n_part,
        "comparison": n - n_part,
        "panel_rows": n * months,
        "bad_id_participants": bad_part,
        "bad_id_comparison": bad_comp,
        "bad_status_rows": bad_status_rows,
        "seconds": {
            "persons": round(t_persons - t0, 2),
            "panel": round(t_panel - t_persons, 2),
            "person_files": round(t_files - t_panel, 2),
            "total": round(t_end - t0, 2),
        },
        "bytes": {f.name: f.stat().st_size for f in sorted(out.iterdir()) if f.is_file()},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--participant-share", type=float, default=truth.PARTICIPANT_SHARE)
    ap.add_argument(
        "--out",
        type=Path,
        required=True,
        help="project folder to write (e.g. benchmarks/register_scale/data/register-1m)",
    )
    args = ap.parse_args(argv)
    summary = generate(args.out, args.persons, args.months, args.seed, args.participant_share)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
