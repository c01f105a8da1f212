"""One number formatter per language, for tables, text and figure axes.

Swedish: decimal comma, a non-breaking space between thousands ("3 000",
"12 345,6"), percent with a non-breaking space before the sign ("40,0 %").
English: decimal point, comma between thousands ("3,000"), "40.0%".
Both: a real minus sign (U+2212) for negative numbers, one en dash between the
bounds of an interval ("4,1 – 16,3", non-breaking spaces around it so that an
interval never breaks over two lines), p-values as "< 0,001" or "0,023", and
"–" for a value that does not exist. Markers of hidden cells ("<5", "..") are
passed through unchanged.

Example
-------
>>> f = formatter("sv")
>>> f.count(3000), f.share(0.4567), f.interval(-0.006, 0.041, "pp"), f.p_text(0.0002)
('3\\xa0000', '45,7', '−0,6\\xa0–\\xa04,1', 'p\\xa0<\\xa00,001')
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MINUS = "\u2212"
NBSP = "\u00a0"
DASH = "\u2013"
NO_VALUE = "–"  # the value does not exist (not applicable, no data)


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Formatter:
    """Numbers as a reader of ``lang`` writes them (see the module docstring)."""

    lang: str

    @property
    def decimal(self) -> str:
        return "," if self.lang == "sv" else "."

    @property
    def thousands(self) -> str:
        return NBSP if self.lang == "sv" else ","

    # -- plain numbers -------------------------------------------------------------------
    def number(self, x: float | None, digits: int = 1, sign: bool = False) -> str:
        """``x`` with ``digits`` decimals, grouped thousands, a real minus (``sign``: "+" for positives too).

        A negative ``digits`` rounds to tens, hundreds, ... as :func:`round` does (``-2``: to 100).
        """
        if not _finite(x):
            return NO_VALUE
        assert x is not None
        if digits < 0:
            x, digits = round(x, digits), 0
        text = f"{abs(x):,.{digits}f}"
        if float(text.replace(",", "")) == 0:  # "-0,0" is no number a reader writes
            neg = False
        else:
            neg = x < 0
        text = text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.thousands)
        if neg:
            return MINUS + text
        return ("+" + text) if sign and x > 0 else text

    def count(self, n: int | float | None) -> str:
        """A count of persons (or rows): an integer with grouped thousands."""
        return self.number(n, 0)

    def general(self, x: float | None, digits: int = 3) -> str:
        """Up to ``digits`` significant digits without trailing zeros (a median of months: "12", "7,5")."""
        if not _finite(x):
            return NO_VALUE
        assert x is not None
        text = f"{abs(x):.{digits}g}"
        if "e" in text:
            return self.number(x, 0)
        if "." in text:
            decimals = len(text.split(".")[1])
            return self.number(x, decimals)
        return self.number(x, 0)

    # -- shares and differences ----------------------------------------------------------
    def share(self, x: float | None, digits: int = 1) -> str:
        """A fraction (0-1) as a percentage number without the sign: 0.4567 -> "45,7"."""
        return NO_VALUE if not _finite(x) else self.number(100 * x, digits)  # type: ignore[operator]

    def percent(self, x: float | None, digits: int = 1) -> str:
        """A fraction as a percentage with its sign: "45,7 %" / "45.7%"."""
        if not _finite(x):
            return NO_VALUE
        return self.share(x, digits) + (f"{NBSP}%" if self.lang == "sv" else "%")

    def rate(self, x: float | None, max_digits: int = 2) -> str:
        """A rate with as few decimals as it needs (at most ``max_digits``): "3,5 %", "32,37 %", "35 %"."""
        if not _finite(x):
            return NO_VALUE
        assert x is not None
        v = 100 * x
        digits = next((d for d in range(max_digits) if abs(round(v, d) - v) < 1e-9), max_digits)
        return self.percent(x, digits)

    def pp(self, x: float | None, digits: int = 1, sign: bool = False) -> str:
        """A difference of fractions in percentage points: 0.103 -> "10,3" ("+10,3" with ``sign``)."""
        return NO_VALUE if not _finite(x) else self.number(100 * x, digits, sign)  # type: ignore[operator]

    def value(self, x: Any, kind: str, digits: int | None = None) -> str:
        """One value of a published table by its kind (``count``, ``share``, ``pp``, ``number``, ``p``, ``sek``).

        ``sek`` is an amount in kronor without the unit (the header or the sentence names it), rounded to
        ``digits`` (``-2``: to the nearest hundred, as the payback tables show kronor).
        """
        if kind == "count":
            return self.count(x)
        if kind == "share":
            return self.share(x, 1 if digits is None else digits)
        if kind == "pp":
            return self.pp(x, 1 if digits is None else digits)
        if kind == "p":
            return self.p(x)
        if kind == "general":
            return self.general(x)
        if kind == "sek":
            return self.number(x, 0 if digits is None else digits)
        return self.number(x, 2 if digits is None else digits)

    def interval(self, lo: float | None, hi: float | None, kind: str = "number", digits: int | None = None) -> str:
        """Two bounds joined by one en dash: "4,1 – 16,3"."""
        if not (_finite(lo) and _finite(hi)):
            return NO_VALUE
        return f"{self.value(lo, kind, digits)}{NBSP}{DASH}{NBSP}{self.value(hi, kind, digits)}"

    def estimate(self, est: float | None, lo: float | None, hi: float | None, kind: str, digits: int | None = None):
        """An estimate with its interval in brackets: "80 (70 – 90)"."""
        if not _finite(est):
            return NO_VALUE
        text = self.value(est, kind, digits)
        if _finite(lo) and _finite(hi):
            text += f" ({self.interval(lo, hi, kind, digits)})"
        return text

    # -- tests ---------------------------------------------------------------------------
    def p(self, p: float | None) -> str:
        """A p-value for a table cell: "< 0,001" below 0.001, else three decimals."""
        if not _finite(p):
            return NO_VALUE
        assert p is not None
        return f"<{NBSP}{self.number(0.001, 3)}" if p < 0.001 else self.number(p, 3)

    def p_text(self, p: float | None) -> str:
        """A p-value in a sentence: "p < 0,001" or "p = 0,023"."""
        if not _finite(p):
            return f"p = {NO_VALUE}"
        assert p is not None
        return f"p{NBSP}<{NBSP}{self.number(0.001, 3)}" if p < 0.001 else f"p{NBSP}={NBSP}{self.number(p, 3)}"

    # -- money and axes ------------------------------------------------------------------
    def kronor(self, x: float | None, digits: int = -2) -> str:
        """An amount in kronor without the unit, rounded to 100 by default: −40\u00a0100 / −40,100."""
        return self.number(x, digits)

    def sek(self, x: float | None, digits: int = 0) -> str:
        """An amount with its unit: "12\u00a0300 kr" / "SEK 12,300" (``digits`` as in :meth:`number`)."""
        if not _finite(x):
            return NO_VALUE
        text = self.number(x, digits)
        return f"{text}{NBSP}kr" if self.lang == "sv" else f"SEK{NBSP}{text}"

    def tick(self, kind: str = "number", absolute: bool = False) -> Any:
        """A matplotlib tick formatter in this language.

        ``kind``: ``number`` (as many decimals as the tick step needs), ``percent``
        (ticks are fractions, shown as "40 %"), ``percent_points`` (ticks are
        already in per cent). ``absolute`` drops the sign (mirrored histograms).
        """
        from matplotlib.ticker import FuncFormatter

        def fmt(v: float, _pos: int | None = None) -> str:
            v = float(v)  # fixed ticks (set_xticks of integers) arrive as numpy integers
            v = abs(v) if absolute else v
            if kind == "percent":
                return self.percent(v, _decimals_for(100 * v))
            if kind == "percent_points":
                return self.percent(v / 100, _decimals_for(v))
            return self.number(v, _decimals_for(v))

        return FuncFormatter(fmt)


def _decimals_for(v: float) -> int:
    """Decimals a tick value needs (0 for 10, 1 for 2.5, 2 for 0.25)."""
    for d in range(4):
        if abs(round(v, d) - v) < 1e-9:
            return d
    return 3


@lru_cache(maxsize=4)
def formatter(lang: str) -> Formatter:
    """The formatter of ``lang`` (``sv`` or ``en``)."""
    if lang not in ("sv", "en"):
        raise ValueError(f"language must be sv or en, got {lang!r}")
    return Formatter(lang)


def localise_axes(fig: Any, lang: str) -> None:
    """Give every axis of ``fig`` that still has matplotlib's default formatter the number format of ``lang``.

    Axes whose tick labels the plot set itself (categories, a percentage axis set by
    the section) keep theirs; this only replaces the default ``ScalarFormatter``.
    """
    from matplotlib.ticker import ScalarFormatter

    tick = formatter(lang).tick("number")
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_formatter()) is ScalarFormatter and axis.get_scale() == "linear":
                axis.set_major_formatter(tick)


NumberFormat = Callable[[float], str]
