"""Raw data tracked by git: the warning of ``foljeval check`` for a real project.

``.gitignore`` keeps every file under ``data/raw/`` out of git except ``project.yml``,
the evaluator's text files (``*.md``) and the bundled synthetic examples. A file
committed before the rule existed, or added with ``git add -f``, is still tracked;
this module finds such files by asking git (``git ls-files``, an argument list, no
shell). Without git, or outside a git repository, there is nothing to warn about.
"""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path

# Files of a project folder that belong in git (as in .gitignore): its description and the evaluator's texts.
PROJECT_FILE = "project.yml"
TEXT_FILES = "*.md"


def is_data_file(relative: str) -> bool:
    """Whether a file under ``data/raw/<project>/`` holds data: anything but project.yml and ``*.md`` texts."""
    return relative != PROJECT_FILE and not fnmatch.fnmatch(relative.rsplit("/", 1)[-1], TEXT_FILES)


def tracked_data_files(project_dir: Path, root: Path) -> list[str] | None:
    """The data files of a project folder that git tracks (paths relative to the folder).

    Returns None when git is not installed or ``root`` is not a git work tree.

    Example
    -------
    >>> tracked_data_files(Path("data/raw/my-project"), Path("."))  # doctest: +SKIP
    ['deltagare.csv']
    """
    project_dir, root = Path(project_dir).resolve(), Path(root).resolve()
    try:
        rel = project_dir.relative_to(root).as_posix()
    except ValueError:
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--", rel],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # git missing (FileNotFoundError) or hanging
        return None
    if done.returncode != 0:
        return None
    names = [n.decode("utf-8", errors="replace") for n in done.stdout.split(b"\0") if n]
    inside = [n[len(rel) + 1 :] for n in names if n.startswith(rel + "/")]
    return sorted(n for n in inside if is_data_file(n))


def tracked_warning(project_id: str, project_dir: Path, root: Path, synthetic: bool) -> str | None:
    """The warning ``check`` prints when a real project's data files are in git, else None."""
    if synthetic:
        return None
    files = tracked_data_files(project_dir, root)
    if not files:
        return None
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    rel = Path(project_dir).resolve().relative_to(Path(root).resolve()).as_posix()
    return (
        f"{len(files)} data file(s) of {project_id} are tracked by git ({shown}): raw data with personnummer "
        f"must never be committed. Stop tracking them (the files stay on disk) with\n"
        f"  git rm -r --cached {rel} && git add {rel}\n"
        "(.gitignore lets only project.yml and the *.md texts back in) "
        "and, if they were ever pushed, ask whoever runs the repository to remove them from its history."
    )
