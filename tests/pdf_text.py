"""Read what the tests need from a PDF without a PDF library: pages, MediaBox, the text of each page.

Chromium writes an uncompressed object structure with Flate-compressed streams and fonts
with ToUnicode maps; that is all this reader handles (it is not a general PDF parser).
The text of a page is its shown strings decoded with each ToUnicode map of the file in turn
(glyph numbers belong to a font), so a test looks for its words in any of the decodings.
"""

from __future__ import annotations

import re
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj")
_STREAM = re.compile(rb"/Length (\d+)(?!\s+\d+\s+R).*?stream\r?\n", re.DOTALL)
_HEX = re.compile(rb"<([0-9A-Fa-f\s]+)>")


class Pdf:
    """The pages of a PDF file (``pages``: [{'mediabox': (x0, y0, x1, y1), 'texts': [str, ...]}])."""

    def __init__(self, data: bytes):
        if not data.startswith(b"%PDF-"):
            raise ValueError("not a PDF file")
        # each object runs to the next one's start (a stream's bytes may hold "endobj" by chance)
        starts = [
            (int(m.group(1)), m.start()) for m in _OBJ.finditer(data) if data[m.start() - 1 : m.start()] in b"\n\r"
        ]
        ends = [s for _, s in starts[1:]] + [len(data)]
        self.objects = {n: data[s:e] for (n, s), e in zip(starts, ends)}
        self.maps = [_cmap(s) for s in map(self.stream, self.objects) if s and b"beginbf" in s]
        self.pages = [self._page(b) for _, b in sorted(self.objects.items()) if re.search(rb"/Type\s*/Page\b", b)]

    def stream(self, number: int) -> bytes | None:
        body = self.objects.get(number, b"")
        m = _STREAM.search(body)
        if not m:
            return None
        raw = body[m.end() : m.end() + int(m.group(1))]
        return zlib.decompress(raw) if b"/FlateDecode" in body[: m.start()] else raw

    def _page(self, body: bytes) -> dict:
        box = re.search(rb"/MediaBox\s*\[([^\]]*)\]", body)
        mediabox = tuple(float(x) for x in box.group(1).split()) if box else ()
        contents = re.search(rb"/Contents\s*(\[[^\]]*\]|\d+ 0 R)", body)
        numbers = [int(n) for n in re.findall(rb"(\d+) 0 R", contents.group(1))] if contents else []
        shown = b"".join(self.stream(n) or b"" for n in numbers)
        glyphs = [g for h in _HEX.findall(shown) for g in _split(re.sub(rb"\s", b"", h))]
        texts = ["".join(m.get(g, "") for g in glyphs) for m in self.maps]
        return {"mediabox": mediabox, "texts": texts}


def _split(hexes: bytes) -> list[int]:
    return [int(hexes[i : i + 4], 16) for i in range(0, len(hexes) - 3, 4)]


def _cmap(text: bytes) -> dict[int, str]:
    """A ToUnicode map: glyph number -> text (bfchar and bfrange entries)."""
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.DOTALL):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.DOTALL):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for k in range(int(lo, 16), int(hi, 16) + 1):
                out[k] = chr(start + k - int(lo, 16))
    return out
