"""E-values against VanderWeele & Ding (2017, Ann Intern Med 167:268), closed form and published example."""

import numpy as np
import pytest

from analysis.effects.sensitivity import evalue_ci, evalue_rd, evalue_rr, evalue_smd


def test_published_example():
    # VanderWeele & Ding's example: RR 3.9 (95 % CI 1.8 to 8.7) -> E-value 7.26, for the lower limit 3.0
    assert evalue_rr(3.9) == pytest.approx(7.26, abs=0.005)
    assert evalue_ci(1.8, 8.7) == pytest.approx(3.0, abs=0.005)


@pytest.mark.parametrize("rr", [1.0, 1.3, 2.0, 5.5])
def test_closed_form_and_protective_effects(rr):
    assert evalue_rr(rr) == pytest.approx(rr + np.sqrt(rr * (rr - 1)))
    assert evalue_rr(1 / rr) == pytest.approx(evalue_rr(rr))
    assert evalue_ci(0.8, 1.2) == 1.0


def test_risk_difference_and_smd():
    ev = evalue_rd(0.5, 0.1, 0.02, 0.18)  # p0 = 0.4 -> RR 1.25
    assert ev["rr"] == pytest.approx(1.25)
    assert ev["evalue"] == pytest.approx(1.25 + np.sqrt(1.25 * 0.25))
    assert ev["evalue_ci"] == pytest.approx(evalue_rr(0.5 / 0.48))
    assert evalue_smd(0.5)["rr"] == pytest.approx(np.exp(0.455))
