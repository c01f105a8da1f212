"""Regenerate what derives from the data contract: docs/data-contract.md and the enums of the results JSON schemas.

    .venv/bin/python tools/generate_contract.py          # write
    .venv/bin/python tools/generate_contract.py --check  # exit 1, naming what differs

tests/test_contract.py fails when either has drifted from the declarations in
src/analysis/project/ (contract.py, codes.py, metrics.py) and the cleaning rules.
"""

from __future__ import annotations

import sys
from pathlib import Path

from analysis.pipeline.contract_doc import render_markdown
from analysis.report.schema_enums import drift, write_enums

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data-contract.md"


def main(argv: list[str]) -> int:
    text = render_markdown()
    if "--check" in argv:
        problems = [] if DOC.is_file() and DOC.read_text(encoding="utf-8") == text else [f"{DOC} is out of date"]
        problems += drift()
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    written = write_enums()
    print(f"wrote {DOC.relative_to(ROOT)}" + (f" and {', '.join(written)}" if written else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
