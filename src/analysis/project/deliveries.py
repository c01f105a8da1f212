"""A project's deliveries: one folder of raw files per ``data_end``.

A project may keep each delivery's raw exports in its own folder,
``data/raw/<project>/<YYYY-MM-DD>/``, named by the date the data run to (the delivery's
``data_end``), with the file names that ``files:`` in project.yml gives; project.yml and
``text/`` stay at the project folder. Without such folders the exports lie in the project
folder itself, as before, and ``data_end`` comes from project.yml or the data.

**Which folders are deliveries.** A folder whose name starts with a digit is meant as a
delivery and must be named exactly ``YYYY-MM-DD`` with a real date (``2019-06-30``); one
named ``2019-6-30``, ``20190630`` or ``2019-06-30 kopia`` (a copy made in Explorer) is an
error that says how to rename it. Folders whose names start with anything else
(``text``, ``gamla exporter``, ``.git``) are not deliveries and are left alone.

**project.yml's data_end.** With delivery folders the folder name is the delivery's
``data_end``. A ``data_end`` in project.yml (left from before the folders) must be the
newest folder's date; any other date is refused, since it would contradict the folders.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from analysis.project.errors import ConfigError

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Delivery:
    """One delivery: its ``data_end`` and the folder of its raw files."""

    data_end: dt.date
    folder: Path

    @property
    def name(self) -> str:
        return self.data_end.isoformat()


def delivery_date(name: str) -> dt.date | None:
    """The date a delivery folder's name gives (``YYYY-MM-DD``, a real date); None for any other name."""
    return _as_date(name)


def _as_date(name: str) -> dt.date | None:
    m = _DATE.match(name)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def parse_delivery(text: str) -> dt.date:
    """A ``--delivery`` value as a date; refuses anything but ``YYYY-MM-DD``."""
    date = _as_date(str(text).strip())
    if date is None:
        raise ConfigError(f"--delivery {text}: give the delivery's data_end as YYYY-MM-DD, e.g. 2019-06-30")
    return date


def find_deliveries(raw_dir: Path) -> list[Delivery]:
    """The delivery folders of a project, oldest first (empty: the project keeps its files flat).

    Raises
    ------
    ConfigError
        A folder starts with a digit but is not named ``YYYY-MM-DD`` with a real date.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return []
    found, bad = [], []
    for entry in sorted(raw_dir.iterdir()):
        if not entry.is_dir() or not entry.name[:1].isdigit():
            continue
        date = _as_date(entry.name)
        if date is None:
            bad.append(entry.name)
        else:
            found.append(Delivery(date, entry))
    if bad:
        names = ", ".join(f"'{b}'" for b in bad)
        raise ConfigError(
            f"{raw_dir}: folder {names} is not a delivery folder name: a delivery's folder is named by its "
            "data_end as YYYY-MM-DD (e.g. 2019-06-30, with zeros, nothing after it). Rename the folder, or move "
            "it out of the project folder (a folder whose name starts with a letter is not read)"
        )
    return sorted(found, key=lambda d: d.data_end)


def choose_delivery(raw_dir: Path, wanted: dt.date | str | None, yml_data_end: dt.date | None) -> Delivery | None:
    """The delivery to build: ``wanted`` or else the newest; None for a project without delivery folders.

    Raises
    ------
    ConfigError
        ``wanted`` is not one of the folders, or project.yml's ``data_end`` contradicts them.
    """
    deliveries = find_deliveries(raw_dir)
    if isinstance(wanted, str):
        wanted = parse_delivery(wanted)
    if not deliveries:
        if wanted is not None:
            raise ConfigError(
                f"--delivery {wanted.isoformat()}: {raw_dir} has no delivery folders (YYYY-MM-DD); its files lie "
                "in the project folder itself. Leave out --delivery, or put each delivery's files in a folder "
                "named by its data_end"
            )
        return None
    names = ", ".join(d.name for d in deliveries)
    newest = deliveries[-1]
    if yml_data_end is not None and yml_data_end != newest.data_end:
        raise ConfigError(
            f"{raw_dir / 'project.yml'}: data_end {yml_data_end.isoformat()} contradicts the delivery folders "
            f"({names}): with delivery folders each folder's name is its delivery's data_end. Remove data_end "
            f"from project.yml (or set it to the newest folder, {newest.name})"
        )
    if wanted is None:
        return newest
    for d in deliveries:
        if d.data_end == wanted:
            return d
    raise ConfigError(
        f"--delivery {wanted.isoformat()}: no such delivery folder in {raw_dir}; the deliveries are {names}"
    )
