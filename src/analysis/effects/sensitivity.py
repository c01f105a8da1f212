"""E-values (VanderWeele & Ding 2017, Annals of Internal Medicine 167:268-274).

The E-value is the minimum strength of association, on the risk-ratio scale,
that an unmeasured confounder would need to have with both taking part and the
outcome, beyond the measured covariates, to fully explain away an observed
effect. For a risk ratio ``RR >= 1``: ``E = RR + sqrt(RR * (RR - 1))``; for
``RR < 1`` the same formula is applied to ``1 / RR``. The E-value of a
confidence interval is that of the limit closest to 1, and 1 when the interval
includes 1.
"""

from __future__ import annotations

import numpy as np


def evalue_rr(rr: float) -> float:
    """E-value of a risk ratio (closed form of VanderWeele & Ding)."""
    if not np.isfinite(rr) or rr <= 0:
        return np.nan
    rr = rr if rr >= 1 else 1 / rr
    return float(rr + np.sqrt(rr * (rr - 1)))


def evalue_ci(rr_lower: float, rr_upper: float) -> float:
    """E-value of the confidence limit closest to the null (1 if the interval contains 1)."""
    if rr_lower <= 1 <= rr_upper:
        return 1.0
    return evalue_rr(rr_lower if rr_lower > 1 else rr_upper)


def evalue_rd(p_treated: float, att: float, lower: float, upper: float) -> dict[str, float]:
    """E-values of a risk-difference ATT.

    The risk ratio among participants is ``p1 / (p1 - att)``: observed share over the
    estimated share without the programme. Its interval is obtained from the
    interval of the difference with ``p1`` held fixed (participants' observed share).
    """
    p0 = p_treated - att

    def rr(a):
        q = p_treated - a
        return p_treated / q if q > 0 else np.inf

    if not (0 < p0 <= 1) or p_treated <= 0:
        return {"rr": np.nan, "evalue": np.nan, "evalue_ci": np.nan}
    r = p_treated / p0
    lo, hi = sorted((rr(lower), rr(upper)))
    return {
        "rr": float(r),
        "rr_lower": float(lo),
        "rr_upper": float(hi),
        "evalue": evalue_rr(r),
        "evalue_ci": evalue_ci(lo, hi),
    }


def evalue_smd(smd: float, se: float | None = None) -> dict[str, float]:
    """E-value of a standardised mean difference (continuous outcome) via ``RR ~ exp(0.91 d)`` (VanderWeele & Ding)."""
    r = float(np.exp(0.91 * smd))
    out = {"rr": r, "evalue": evalue_rr(r)}
    if se is not None:
        lo, hi = np.exp(0.91 * (smd - 1.959964 * se)), np.exp(0.91 * (smd + 1.959964 * se))
        out.update(rr_lower=float(lo), rr_upper=float(hi), evalue_ci=evalue_ci(lo, hi))
    return out
