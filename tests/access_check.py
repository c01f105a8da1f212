"""Accessibility checks for the report pages (WCAG 2.1 AA) beside axe-core (tests/test_axe.py).

axe cannot judge whether a figure's text alternative says anything, nor the contrast of SVG
graphics; these rules and :func:`figure_problems` (with tests/test_figure_access.py) check them.

``PAGE_CHECK_JS`` runs in the browser on a loaded page and returns its problems, one string
each, by rule: ``html-has-lang``, ``document-title``, ``duplicate-id``, ``aria-ref`` (an
``aria-labelledby`` naming no element), ``page-has-one-h1``, ``heading-order`` (a level
skipped), ``table-header`` (a table without ``th``), ``svg-img-alt`` (a figure's SVG not an
image with a name), ``image-alt``, ``link-name``, ``landmark-main`` and ``color-contrast``
(text against its nearest opaque background: 4.5:1, large text 3:1). :func:`figure_problems`
checks the figures of a page's source without a browser.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

PAGE_CHECK_JS = r"""
() => {
  const out = [];
  const add = (rule, what) => out.push(rule + ": " + what);
  const lang = document.documentElement.getAttribute('lang');
  if (!lang || !/^(sv|en)\b/.test(lang)) add('html-has-lang', String(lang));
  if (!document.title.trim()) add('document-title', 'empty');
  const ids = {};
  for (const el of document.querySelectorAll('[id]')) ids[el.id] = (ids[el.id] || 0) + 1;
  for (const [id, n] of Object.entries(ids)) if (n > 1) add('duplicate-id', id + ' x' + n);
  for (const el of document.querySelectorAll('[aria-labelledby]'))
    for (const ref of el.getAttribute('aria-labelledby').split(/\s+/))
      if (!document.getElementById(ref)) add('aria-ref', ref);
  const hs = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')];
  const h1 = hs.filter(h => h.tagName === 'H1').length;
  if (h1 !== 1) add('page-has-one-h1', h1 + ' h1');
  let last = 0;
  for (const h of hs) {
    const level = +h.tagName[1];
    if (level > last + 1) add('heading-order', h.tagName + ' after h' + last + ': ' + h.textContent.trim().slice(0, 40));
    last = level;
  }
  for (const t of document.querySelectorAll('table'))
    if (!t.querySelector('th')) add('table-header', (t.closest('figure')?.querySelector('figcaption')?.textContent || '?').slice(0, 50));
  for (const s of document.querySelectorAll('figure svg')) {
    if (s.parentElement.closest('svg')) continue;
    const ref = (s.getAttribute('aria-labelledby') || '').split(/\s+/).map(i => document.getElementById(i)).filter(Boolean);
    const name = ref.map(e => e.textContent).join(' ').trim() || (s.getAttribute('aria-label') || '').trim();
    if (s.getAttribute('role') !== 'img' || !name) add('svg-img-alt', (s.closest('figure').textContent || '').trim().slice(0, 50));
  }
  for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) add('image-alt', img.src.slice(0, 40));
  for (const a of document.querySelectorAll('a[href]'))
    if (!a.textContent.trim() && !a.getAttribute('aria-label') && getComputedStyle(a).display !== 'none') add('link-name', a.href);
  if (document.querySelectorAll('main').length !== 1) add('landmark-main', document.querySelectorAll('main').length + ' main');
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('svg') || seen.has(el)) continue;
    seen.add(el);
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || !el.getClientRects().length) continue;
    const fg = rgb(st.color), bg = background(el);
    const [a, b] = [lum(fg.slice(0, 3)), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(st.fontSize), bold = +st.fontWeight >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) add('color-contrast', ratio.toFixed(2) + ' < ' + need + ': ' + node.textContent.trim().slice(0, 40));
  }
  return out;
}
"""


class _Figures(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.svgs: list[dict] = []
        self.ids: dict[str, str] = {}
        self._in_figure, self._svg_depth, self._capture = 0, 0, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self._in_figure += 1
        if tag == "svg":
            self._svg_depth += 1
            if self._svg_depth == 1 and self._in_figure:
                self.svgs.append({"role": a.get("role"), "labelledby": (a.get("aria-labelledby") or "").split()})
        if tag in ("title", "desc") and self._svg_depth and a.get("id"):
            self._capture = a["id"]
            self.ids[a["id"]] = ""

    def handle_endtag(self, tag):
        if tag == "figure":
            self._in_figure -= 1
        if tag == "svg":
            self._svg_depth -= 1
        if tag in ("title", "desc"):
            self._capture = None

    def handle_data(self, data):
        if self._capture:
            self.ids[self._capture] += data


def figure_problems(page: str) -> list[str]:
    """Every figure SVG of ``page`` that is not ``role="img"`` with a non-empty ``<title>`` it is labelled by."""
    p = _Figures()
    p.feed(page)
    problems = []
    for i, svg in enumerate(p.svgs, start=1):
        titles = [p.ids.get(ref, "").strip() for ref in svg["labelledby"]]
        if svg["role"] != "img" or not svg["labelledby"] or not titles[0]:
            problems.append(f"figure {i}: role={svg['role']!r}, name={' '.join(titles)!r}")
    ids = re.findall(r'\sid="([^"]+)"', page)
    problems += [f"id {i!r} occurs {ids.count(i)} times" for i in sorted(set(ids)) if ids.count(i) > 1]
    return problems


def contrast(a: str, b: str = "#ffffff") -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours."""

    def lum(c: str) -> float:
        rgb = [int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
