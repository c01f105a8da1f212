"""``report.pdf``: the report page printed to A4 by a Chromium-based browser already on the computer.

The PDF is made from the same ``report.html`` by Chromium through Playwright's driver
(no browser is downloaded): the page's print stylesheet (``@media print`` in
``foljeval.css``) lays it out, and Chromium writes a footer with the report's name and
"Sida 3 av 12" on every page. The browser is found by :func:`find_browser`: the
environment variable ``FOLJEVAL_BROWSER`` when set, otherwise Edge or Chrome in their
usual places on Windows and macOS and ``chromium``, ``chromium-browser``,
``google-chrome`` or ``microsoft-edge`` on the ``PATH``. Without one the report is built
all the same and the build says, in one line, that the PDF was not made and why.

Chromium stamps the time of printing into the PDF's information dictionary, and writes a link
to a file beside the page (the other language's PDF) as an absolute ``file://`` address of the
run's temporary folder. The stamp is replaced by a fixed one of the same length and such a link
by the file's name (the cross-reference table is rewritten for the new offsets), so that the
same page gives the same PDF bytes wherever it was printed, incremental builds equal full ones
and the links work where the report is published.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis.report.i18n import t

BROWSER_ENV = "FOLJEVAL_BROWSER"
LINUX_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge")
MARGIN: Any = {"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"}  # as @page in foljeval.css
_STAMP = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")


def _windows_candidates(env: Mapping[str, str]) -> list[Path]:
    bases = [env.get(k) for k in ("ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA")]
    tails = (("Microsoft", "Edge", "Application", "msedge.exe"), ("Google", "Chrome", "Application", "chrome.exe"))
    return [Path(b, *tail) for b in bases if b for tail in tails]


def _mac_candidates() -> list[Path]:
    apps = ("Google Chrome.app/Contents/MacOS/Google Chrome", "Microsoft Edge.app/Contents/MacOS/Microsoft Edge")
    return [Path("/Applications") / a for a in (*apps, "Chromium.app/Contents/MacOS/Chromium")]


def find_browser(env: Mapping[str, str] | None = None, platform: str | None = None) -> tuple[str | None, str]:
    """The Chromium-based browser that prints the PDF, and where it was looked for.

    Returns
    -------
    (str or None, str)
        The browser's path (None when there is none) and a sentence saying where it was
        found or everywhere it was looked for.

    Example
    -------
    >>> find_browser({"FOLJEVAL_BROWSER": "/no/such/browser"})
    (None, 'FOLJEVAL_BROWSER names /no/such/browser, which is not a file')
    """
    env = os.environ if env is None else env
    platform = platform or sys.platform
    named = env.get(BROWSER_ENV)
    if named:
        if Path(named).is_file():
            return named, f"{BROWSER_ENV}={named}"
        return None, f"{BROWSER_ENV} names {named}, which is not a file"
    if platform.startswith("win"):
        candidates = _windows_candidates(env)
    elif platform == "darwin":
        candidates = _mac_candidates()
    else:
        candidates = [Path(p) for p in (shutil.which(n, path=env.get("PATH")) for n in LINUX_NAMES) if p]
    for c in candidates:
        if c.is_file():
            return str(c), str(c)
    looked = ", ".join(str(c) for c in candidates) if candidates else ", ".join(LINUX_NAMES) + " on the PATH"
    return None, f"no Chromium-based browser found (looked for {looked}; {BROWSER_ENV} names one)"


def footer_template(title: str, lang: str) -> str:
    """Chromium's footer: the report's name and "Sida N av M" (Chromium fills in the numbers)."""
    page = t("rep_pdf_page", lang, page='<span class="pageNumber"></span>', pages='<span class="totalPages"></span>')
    return (
        "<div style=\"font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 8pt; color: #333; width: 100%;"
        ' margin: 0 15mm; display: flex; justify-content: space-between;">'
        f"<span>{html.escape(title)}</span><span>{page}</span></div>"
    )


def fix_stamps(pdf: bytes) -> bytes:
    """The PDF with its creation and modification times replaced by a fixed time of the same length, and the
    ids of its structure elements (Chromium's DOM node numbers, which differ from run to run) numbered in
    the order they first occur, with as many digits."""
    pdf = _STAMP.sub(lambda m: b"/" + m.group(1) + b" (D:20000101000000", pdf)
    numbers: dict[bytes, bytes] = {}

    def renumber(m: re.Match) -> bytes:
        digits = m.group(1)
        new = numbers.setdefault(digits, b"%0*d" % (len(digits), len(numbers) + 1))
        return b"(node" + new + b")"

    return re.sub(rb"\(node(\d+)\)", renumber, pdf)


def relative_links(pdf: bytes, folder: Path) -> bytes:
    """Links to files in ``folder`` (absolute ``file://`` addresses) as bare file names."""
    base = re.escape(Path(folder).resolve().as_uri().encode() + b"/")
    new, n = re.subn(rb"/URI \(" + base + rb"([^/()\\]+)\)", rb"/URI (\1)", pdf)
    return _rewrite_xref(new) if n else pdf


def _rewrite_xref(pdf: bytes) -> bytes:
    """The classic cross-reference table and ``startxref`` computed again from where the objects now start."""
    at = pdf.rindex(b"\nxref\n") + 1
    trailer = pdf.index(b"trailer", at)
    count = int(pdf[at:trailer].split(b"\n")[1].split()[1])
    starts = {int(m.group(1)): m.start() for m in re.finditer(rb"(?m)^(\d+) 0 obj", pdf[:at])}
    rows = [b"0000000000 65535 f \n"] + [
        (b"%010d 00000 n \n" % starts[i]) if i in starts else b"0000000000 65535 f \n" for i in range(1, count)
    ]
    table = b"xref\n0 %d\n" % count + b"".join(rows)
    tail = re.sub(rb"startxref\s+\d+", b"startxref\n%d" % at, pdf[trailer:])
    return pdf[:at] + table + tail


def _launch(pw: Any, browser: str) -> Any:
    return pw.chromium.launch(executable_path=browser, headless=True, args=["--no-sandbox", "--disable-gpu"])


def _print_page(b: Any, html_path: Path, pdf_path: Path, *, lang: str, title: str) -> None:
    """Print one page with the launched browser ``b``."""
    page = b.new_page()
    try:
        page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
        page.emulate_media(media="print")
        pdf = page.pdf(
            format="A4",
            margin=MARGIN,
            print_background=True,
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=footer_template(title, lang),
            outline=True,
            tagged=True,
        )
    finally:
        page.close()
    Path(pdf_path).write_bytes(relative_links(fix_stamps(pdf), Path(html_path).parent))


def write_pdf(html_path: Path, pdf_path: Path, browser: str, *, lang: str, title: str) -> float:
    """Print ``html_path`` to ``pdf_path`` (A4, page numbers in the footer) with ``browser``; the seconds it took."""
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    with sync_playwright() as pw:
        b = _launch(pw, browser)
        try:
            _print_page(b, html_path, pdf_path, lang=lang, title=title)
        finally:
            b.close()
    return time.perf_counter() - started


class PdfPrinter:
    """Prints pages to PDF in a thread of its own, with one browser for all of them.

    The build goes on (the next page's export) while Chromium lays out the last one. A page that
    fails leaves no PDF and its error in :attr:`failed`; the HTML report stands without it. With
    ``browser`` None nothing is printed.

    Example
    -------
    >>> with PdfPrinter(None) as printer:
    ...     printer.submit(Path("report.html"), Path("report.pdf"), "sv", "Projekt")
    >>> printer.printed
    0
    """

    def __init__(self, browser: str | None) -> None:
        import queue

        self.browser, self.seconds, self.printed = browser, 0.0, 0
        self.failed: list[tuple[Path, Exception]] = []  # the PDFs not made, with the browser's error
        self.jobs: queue.Queue = queue.Queue()
        self.thread: Any = None

    def __enter__(self) -> PdfPrinter:
        return self

    def submit(self, html_path: Path, pdf_path: Path, lang: str, title: str) -> None:
        """Queue one page (printed after the ones queued before it)."""
        if self.browser is None:
            return
        if self.thread is None:
            import threading

            self.thread = threading.Thread(target=self._work, name="foljeval-pdf", daemon=True)
            self.thread.start()
        self.jobs.put((Path(html_path), Path(pdf_path), lang, title))

    def _work(self) -> None:
        from playwright.sync_api import sync_playwright

        b: Any = None
        with sync_playwright() as pw:
            while (job := self.jobs.get()) is not None:
                html_path, pdf_path, lang, title = job
                started = time.perf_counter()
                try:
                    b = b or _launch(pw, str(self.browser))
                    _print_page(b, html_path, pdf_path, lang=lang, title=title)
                    self.printed += 1
                except Exception as e:  # noqa: BLE001 - the HTML report stands without its PDF
                    pdf_path.unlink(missing_ok=True)
                    self.failed.append((pdf_path, e))
                self.seconds += time.perf_counter() - started
            if b is not None:
                b.close()

    def __exit__(self, *exc: object) -> None:
        if self.thread is not None:
            self.jobs.put(None)
            self.thread.join()
