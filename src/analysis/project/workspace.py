"""A project's derived files on disk: where they are, how they are replaced whole, and the lock.

Everything the code writes for a project is derived from its raw data and can be rebuilt:

* ``data/processed/<project>/`` — the processed tables (the cleaning step);
* ``reports/<project>/`` — the report (``error.html`` and ``error/`` after a failed run);
* ``data/processed/.<project>.lock`` — the lock of a running ``foljeval report``/``clean``;
* ``.<project>.new-*`` beside either folder — a folder being written by a run;
* ``.<project>.old`` beside either folder — the previous folder during a swap;
* ``data/processed/<project>.work/`` — DuckDB's database and spill files (out-of-core path);
* ``reports/.scratch/<project>/`` and ``data/processed/.scratch/<project>/`` — what a notebook
  run by hand (``foljeval lab``, JupyterLab, a script) writes: the report sections and
  processed tables of interactive work, never the project's report or processed data.

**Replacing a folder whole.** A run writes into a temporary folder beside the live one
and swaps it in only when complete, so an interrupted run (Ctrl-C, a killed process,
a power cut) leaves the previous folder. Windows cannot rename a folder over an
existing one, so the swap is three steps: rename the live folder away (``.old``),
rename the new one in, delete the old one. A run killed between the first two steps
leaves ``.old`` and no live folder; :func:`recover` (run under the lock when the next
run starts) renames it back, and deletes temporary folders that runs left behind.

**The lock** (the ``filelock`` package: an OS lock on a file, released by the operating
system when its process ends, so a killed run never leaves a stale lock) lets one run
at a time write a project's folders.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from analysis.project import paths
from analysis.project.errors import FoljevalError, ProjectBusyError

# The runner tells the notebooks of one run where to write (see analysis.pipeline.notebook).
RUN_PROJECT_ENV = "FOLJEVAL_RUN_PROJECT"
RUN_REPORT_DIR_ENV = "FOLJEVAL_RUN_REPORT_DIR"
RUN_PROCESSED_DIR_ENV = "FOLJEVAL_RUN_PROCESSED_DIR"
RUN_DELIVERY_ENV = "FOLJEVAL_RUN_DELIVERY"  # the delivery (YYYY-MM-DD) the run builds; empty: the flat files
# The project a notebook run by hand is for when its ``project`` parameter is empty (foljeval lab).
PROJECT_ENV = "FOLJEVAL_PROJECT"
SCRATCH = ".scratch"


def scratch_report_dir(project: str, root: Path | None = None) -> Path:
    """``reports/.scratch/<project>/``: where a notebook run by hand saves its report sections."""
    return paths.reports_dir(None, root) / SCRATCH / project


def scratch_processed_dir(project: str, root: Path | None = None) -> Path:
    """``data/processed/.scratch/<project>/``: where a cleaning notebook run by hand writes its tables."""
    return paths.processed_dir(project, root).parent / SCRATCH / project


def lock_path(project: str, root: Path | None = None) -> Path:
    """``data/processed/.<project>.lock``."""
    processed = paths.processed_dir(project, root)
    return processed.with_name(f".{project}.lock")


@contextlib.contextmanager
def project_lock(project: str, root: Path | None = None) -> Iterator[Path]:
    """Hold the project's lock for the ``with`` block, or refuse at once.

    Raises
    ------
    ProjectBusyError
        Another process (a ``foljeval report``, ``clean`` or ``erase``) holds it.

    Example
    -------
    >>> with project_lock("alv-vast"):  # doctest: +SKIP
    ...     pass  # write data/processed/alv-vast/ and reports/alv-vast/
    """
    from filelock import FileLock, Timeout

    path = lock_path(project, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ProjectBusyError(
            f"project {project} is being built by another foljeval run (report, clean or erase); "
            "wait until it has finished and run again. The lock is released as soon as that run ends "
            f"(lock file: {path})"
        ) from None
    try:
        yield path
    finally:
        lock.release()


def is_locked(project: str, root: Path | None = None) -> bool:
    """Whether another process holds the project's lock right now."""
    try:
        with project_lock(project, root):
            return False
    except ProjectBusyError:
        return True


def _old(live: Path) -> Path:
    return live.with_name(f".{live.name}.old")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def new_staging(live: Path) -> Path:
    """A new, empty temporary folder beside ``live`` (same file system, so it can be renamed in).

    It gets the permissions of an ordinary new folder (mkdtemp's are owner-only), so the
    swapped-in folder looks like the one it replaces.
    """
    live.parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".{live.name}.new-{os.getpid()}-", dir=live.parent))
    os.chmod(path, 0o777 & ~_umask())
    return path


def remove_tree(path: Path) -> None:
    """Delete a folder (or file); read-only files too (Windows); missing is fine."""

    def writable_again(func, name, _exc) -> None:
        os.chmod(name, stat.S_IWRITE)
        func(name)

    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=writable_again)
    elif path.exists() or path.is_symlink():
        path.unlink()


def replace_folder(new: Path, live: Path) -> None:
    """Put the complete folder ``new`` in the place of ``live``: rename old away, new in, delete old.

    Raises
    ------
    FoljevalError
        A file in ``live`` is open in another program (Windows refuses to move it); ``live``
        is then left as it was.
    """
    old = _old(live)
    if old.exists():
        remove_tree(old)
    moved_away = False
    try:
        if live.exists():
            os.replace(live, old)
            moved_away = True
        os.replace(new, live)
    except OSError as err:
        if moved_away and not live.exists():
            os.replace(old, live)
        raise FoljevalError(
            f"could not replace {live} ({err.strerror or err}); a file in it may be open in another "
            "program (e.g. rejected.csv in Excel): close it and run again"
        ) from None
    with contextlib.suppress(OSError):
        remove_tree(old)


@contextlib.contextmanager
def staged_folder(live: Path) -> Iterator[Path]:
    """Write a folder's new contents into a temporary folder that replaces ``live`` when the block succeeds.

    On an exception (Ctrl-C included) the temporary folder is deleted and ``live`` is untouched.
    """
    staging = new_staging(live)
    try:
        yield staging
        replace_folder(staging, live)
    except BaseException:
        with contextlib.suppress(OSError):
            remove_tree(staging)
        raise


def atomic_write_text(path: Path, text: str) -> Path:
    """Write a text file via a temporary file and ``os.replace``: readers see the old or the new file, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.new-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # an ordinary file's permissions, not mkstemp's owner-only
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def leftovers(live: Path) -> list[Path]:
    """Temporary and old folders of ``live`` that runs left beside it (not the lock)."""
    parent, name = live.parent, live.name
    if not parent.is_dir():
        return []
    return sorted(
        p
        for p in parent.iterdir()
        if p.name.startswith(".") and p.name.lstrip(".").startswith(f"{name}.") and not p.name.endswith(".lock")
    )


def recover(live: Path) -> list[str]:
    """Undo what an interrupted run left around ``live``; call it holding the project's lock.

    A run killed in the middle of :func:`replace_folder` leaves ``.old``: renamed back when
    the live folder is missing, deleted when the new one made it in. Temporary folders are
    deleted. Returns what was done, one line each.
    """
    done = []
    old = _old(live)
    if old.exists():
        if live.exists():
            remove_tree(old)
            done.append(f"removed {old.name} (left by an interrupted swap)")
        else:
            os.replace(old, live)
            done.append(f"restored {live.name} from {old.name} (a run was interrupted while replacing it)")
    for p in leftovers(live):
        remove_tree(p)
        done.append(f"removed {p.name} (left by an interrupted run)")
    return done


def _delivery_names(folder: Path) -> set[str]:
    """The deliveries (``YYYY-MM-DD``) with a folder, or a run's leftovers, inside ``folder``."""
    if not folder.is_dir():
        return set()
    names = {p.name.lstrip(".")[:10] for p in folder.iterdir() if p.name.lstrip(".")[:1].isdigit()}
    return {n for n in names if len(n) == 10 and n[4] == "-" and n[7] == "-"}


def recover_project(project: str, root: Path | None = None) -> list[str]:
    """:func:`recover` for the project's processed and report folders, and those of each delivery in them."""
    done = recover(paths.processed_dir(project, root)) + recover(paths.reports_dir(project, root))
    for base in (paths.processed_dir(project, root), paths.reports_dir(project, root)):
        for name in sorted(_delivery_names(base)):
            done += recover(base / name)
    return done


def derived_paths(project: str, root: Path | None = None) -> list[Path]:
    """Everything on disk derived from one project that exists now (never its raw data)."""
    processed = paths.processed_dir(project, root)
    report = paths.reports_dir(project, root)
    found = [processed, report, *leftovers(processed), *leftovers(report)]
    found += [processed.with_name(f"{project}.work"), lock_path(project, root)]
    found += [scratch_processed_dir(project, root), scratch_report_dir(project, root)]
    raw = paths.raw_dir(project, root).resolve()
    out = []
    for p in found:
        if (p.exists() or p.is_symlink()) and p not in out:
            if p.resolve() == raw or raw in p.resolve().parents:  # never, whatever the links say
                raise FoljevalError(f"{p} points into the raw data folder {raw}; refusing to treat it as derived")
            out.append(p)
    return out
