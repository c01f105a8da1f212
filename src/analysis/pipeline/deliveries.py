"""Building a project with delivery folders: every delivery's report kept, the newest at the usual place.

A project whose raw files lie in delivery folders (``data/raw/<project>/<YYYY-MM-DD>/``, see
:mod:`analysis.project.deliveries`) is built per delivery, under the project's lock:

* each delivery's report goes to ``reports/<project>/<data_end>/`` and its processed tables to
  ``data/processed/<project>/<data_end>/``, through the runner's usual temporary folders and
  swap, with its own ``steps.json`` (so the steps runner skips what is up to date);
* the earlier deliveries are built first, oldest first (each up-to-date one in a moment): the
  change section of a report (:mod:`analysis.report.change`) compares with the previous
  delivery recomputed with the current code;
* the newest delivery is also copied (not linked: Windows) to ``reports/<project>/``, where the
  index and every earlier tool look; building an older delivery never changes that copy;
* ``reports/<project>/deliveries.json`` (:mod:`analysis.report.delivery_record`) records per
  delivery the fingerprint of the pseudonymisation key, the commit and the headline numbers as
  published. A delivery whose key differs from the one the other deliveries were built with is
  refused before anything is written: the same person would get another pseudonym. ``new_key``
  rebuilds every delivery with the key in use instead.

A project without delivery folders is built exactly as before (:func:`build_deliveries` hands
it to the runner unchanged).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Protocol

from analysis.pipeline.kernel import one_line
from analysis.pipeline.run_result import ProjectRun
from analysis.project import paths, workspace
from analysis.project.deliveries import find_deliveries
from analysis.project.errors import FoljevalError
from analysis.report.delivery_record import RECORD_FILE, other_keys, read_record, record_text, updated_record


class Builder(Protocol):
    """What builds one delivery (:class:`analysis.pipeline.runner.Options`), under the lock the caller holds."""

    def build(self, project: str, root: Path, delivery: str | None = None, force: bool = False) -> ProjectRun: ...


def key_in_use(project, root: Path) -> str:
    """The fingerprint of the key this build would pseudonymise with (raises when there is no key)."""
    from analysis.clean.identity import key_fingerprint, resolve_key

    key, _ = resolve_key(project.config.synthetic, os.environ, root)
    return key_fingerprint(key)


def key_refusal(project: str, delivery: str, fingerprint: str, record: list[dict]) -> str | None:
    """The message refusing ``delivery`` when other deliveries were built with another key (None: fine)."""
    others = other_keys(record, delivery, fingerprint)
    if not others:
        return None
    theirs = sorted({e.get("key_fingerprint") or "?" for e in record if e["data_end"] in others})
    return (
        f"delivery {delivery} would be pseudonymised with another key than delivery {', '.join(others)} "
        f"(key fingerprint {fingerprint}; they were built with {', '.join(theirs)}), so the same person would get "
        "another pseudonym and the deliveries could not be linked. Use the key they were built with "
        "(FOLJEVAL_KEY or FOLJEVAL_KEY_FILE, or put it back in ~/.config/foljeval/key) and run again; only if "
        f"that key is lost, rebuild every delivery with the new key: foljeval report {project} --new-key"
    )


def build_deliveries(
    project: str, root: Path, options: Builder, delivery: str | None = None, new_key: bool = False
) -> ProjectRun:
    """Build ``delivery`` (default the newest) of ``project``, the earlier ones first; see the module docstring."""
    from analysis.project.config import load_project

    try:
        proj = load_project(paths.raw_dir(project, root), delivery)
        if proj.delivery is None:
            return options.build(project, root)
        fingerprint = key_in_use(proj, root)
    except FoljevalError as e:
        return ProjectRun(project, ok=False, message=one_line(e), delivery=delivery)
    wanted = str(proj.delivery_name)
    base = paths.reports_dir(project, root)
    refusal = None if new_key else key_refusal(project, wanted, fingerprint, read_record(base))
    if refusal:
        return ProjectRun(project, ok=False, message=refusal, refused=True, delivery=wanted)
    names = [d.isoformat() for d in proj.deliveries]
    todo = names if new_key else [n for n in names if n <= wanted]
    earlier, run = [], None
    for name in todo:
        run = options.build(project, root, name, force=new_key)
        run.delivery = name
        if not run.ok:
            if names[-1] in (name, wanted):  # the index shows the newest delivery: it shows the failure too
                _mark_failure(base, paths.reports_dir(project, root, name))
            break
        _record(project, root, name, fingerprint, newest=name == names[-1])
        if name == names[-1]:
            mirror_newest(project, root, name)
        if name != wanted:
            earlier.append(f"delivery {name}: " + ("up to date" if run.up_to_date else f"{len(run.ran)} steps run"))
    assert run is not None
    if not run.ok and run.delivery != wanted:
        run.message = f"the earlier delivery {run.delivery} failed, so {wanted} was not built: {run.message}"
        run.delivery = wanted
    run.earlier = earlier
    return run if run.delivery == wanted else _requested(run, wanted, earlier, project, root)


def _requested(last: ProjectRun, wanted: str, earlier: list[str], project: str, root: Path) -> ProjectRun:
    """With ``new_key`` the requested delivery is not the last one built: report it and name the others."""
    report = paths.reports_dir(project, root, wanted) / "report.html"
    done = [line for line in earlier if not line.startswith(f"delivery {wanted}:")]
    return ProjectRun(project, ok=last.ok, report=report, delivery=wanted, earlier=done, ran=last.ran)


def _record(project: str, root: Path, name: str, fingerprint: str, newest: bool) -> None:
    """Write the delivery's entry of ``deliveries.json`` (unchanged bytes when nothing changed)."""
    import json

    from analysis.report.provenance import git_commit

    base = paths.reports_dir(project, root)
    results_path = paths.reports_dir(project, root, name) / "results.json"
    results = json.loads(results_path.read_text(encoding="utf-8"))
    record = updated_record(read_record(base), name, fingerprint, git_commit(root), results, newest)
    text = record_text(project, record)
    path = base / RECORD_FILE
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        workspace.atomic_write_text(path, text)


def _same_file(a: Path, b: Path) -> bool:
    return a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()


def mirror_newest(project: str, root: Path, name: str) -> bool:
    """Copy the newest delivery's report to ``reports/<project>/`` (replaced whole); False when it is there already.

    The delivery folders and ``deliveries.json`` in ``reports/<project>/`` are carried over unchanged.
    """
    base = paths.reports_dir(project, root)
    source = base / name
    if (
        all(_same_file(source / f, base / f) for f in ("steps.json", "run.json", "report.html"))
        and not (base / "error.html").exists()
    ):
        return False
    kept = {d.name for d in _delivery_report_folders(base)} | {RECORD_FILE}
    staging = workspace.new_staging(base)
    try:
        for item in sorted(source.iterdir()):
            _copy(item, staging / item.name)
        for item in sorted(base.iterdir()) if base.is_dir() else []:
            if item.name in kept:
                _copy(item, staging / item.name)
        workspace.replace_folder(staging, base)
    except BaseException:
        workspace.remove_tree(staging)
        raise
    return True


def _copy(item: Path, target: Path) -> None:
    if item.is_dir():
        shutil.copytree(item, target)
    else:
        shutil.copy2(item, target)


def _delivery_report_folders(base: Path) -> list[Path]:
    """The delivery folders (``YYYY-MM-DD``) inside ``reports/<project>/``."""
    try:
        return [d.folder for d in find_deliveries(base)]
    except FoljevalError:  # a stray folder named like a date is not ours to judge here
        return [p for p in base.iterdir() if p.is_dir() and len(p.name) == 10 and p.name[:4].isdigit()]


def _mark_failure(base: Path, folder: Path) -> None:
    """The newest delivery failed: its error page and run.json also at the usual place, beside the last good report."""
    for name in ("error.html", "run.json"):
        if (folder / name).is_file():
            workspace.atomic_write_text(base / name, (folder / name).read_text(encoding="utf-8"))
