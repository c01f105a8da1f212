"""What notebooks call to publish a table or a figure in the report.

Tables and figures get a caption; numbering ("Tabell 3.", "Figur 2.") is added
when the executed notebooks are merged into one report, so that numbers run
through the whole report. Every table passed here must already have gone through
``analysis.disclosure.suppression`` (the report build scans for small cells anyway).
"""

from __future__ import annotations

import contextlib
import html
import io
from collections.abc import Iterator

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML
from IPython.display import display as _display

APPENDIX = "appendix"
"""Output metadata ``{"foljeval": {"place": "appendix"}}``: the merge moves such outputs to the appendix."""

_place: list[str] = []


@contextlib.contextmanager
def in_appendix() -> Iterator[None]:
    """Publish what is shown inside the block in the report's appendix, not where it is shown.

    Diagnostics (balance tables, Love plots, propensity overlap, proportional-hazards
    tests) are for the reader who checks the method; the body stays readable for a
    board. The notebook still shows them in place (it is run by hand too); the merge
    into ``report.html`` (:func:`analysis.report.merge.merge_notebooks`) moves them.

    Example
    -------
    >>> with in_appendix():  # doctest: +SKIP
    ...     show_text("## Diagnostik")
    """
    _place.append(APPENDIX)
    try:
        yield
    finally:
        _place.pop()


def display(obj) -> None:
    """IPython's display, with the place of the output (body or appendix) in its metadata."""
    if _place:
        _display(obj, metadata={"foljeval": {"place": _place[-1]}})
    else:
        _display(obj)


def show_table(df: pd.DataFrame, caption: str, note: str | None = None, index: bool = True) -> None:
    """Publish a (suppression-safe) table with a caption and an optional note under it."""
    body = df.to_html(index=index, na_rep="–", border=0, classes="fe-table", escape=True)
    parts = [
        f'<figure class="fe-table-figure" tabindex="0"><figcaption class="fe-caption fe-caption-table">{html.escape(caption)}</figcaption>',
        body,
    ]
    if note:
        parts.append(f'<p class="fe-note">{html.escape(note)}</p>')
    parts.append("</figure>")
    display(HTML("".join(parts)))


def show_figure(fig: plt.Figure, caption: str, note: str | None = None, lang: str | None = None) -> None:
    """Publish a matplotlib figure as deterministic SVG with a caption, then close it.

    With ``lang`` every axis still on matplotlib's default number format gets the
    language's (decimal comma and a real minus in Swedish).
    """
    if lang is not None:
        from analysis.report.format import localise_axes

        localise_axes(fig, lang)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    display(
        HTML(
            f'<figure class="fe-figure">{buf.getvalue()}<figcaption class="fe-caption fe-caption-figure">{html.escape(caption)}</figcaption>'
            + (f'<p class="fe-note">{html.escape(note)}</p>' if note else "")
            + "</figure>"
        )
    )


def show_text(markdown_text: str) -> None:
    """Publish generated prose (already translated) as Markdown."""
    from IPython.display import Markdown

    display(Markdown(markdown_text))
