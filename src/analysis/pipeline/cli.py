"""The ``foljeval`` command line: report, lab, clean, check, new, list, contract, erase and key init.

Everything it prints passes the personnummer mask
(:func:`analysis.clean.identity.mask_personnummer`), messages and table cells alike.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from analysis.clean.identity import mask_personnummer
from analysis.project import paths, workspace
from analysis.project.config import TEXT_FILES, TEXT_FOLDER, load_project
from analysis.project.errors import FoljevalError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=(
        "foljeval: reproducible evaluation reports for labour-market projects (följeforskning).\n\n"
        "Each project is a folder data/raw/<project>/ with its raw exports and a project.yml. "
        "Typical use: `foljeval new my-project`, edit project.yml, copy the exports in, "
        "`foljeval check my-project`, then `foljeval report my-project`."
    ),
)
out = Console()
err = Console(stderr=True)


@app.callback()
def _setup() -> None:
    """Route Python warnings and library logs through one handler that masks personnummer."""
    from analysis.pipeline.runner import mask_logs

    mask_logs()


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(mask_personnummer(message))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _say(text: str, console: Console = out) -> None:
    """Print plain text (masked, no markup, never wrapped inside a number)."""
    console.print(escape(mask_personnummer(text)), highlight=False, soft_wrap=True)


def _row(table: Table, *cells: object) -> None:
    table.add_row(*(escape(mask_personnummer(c)) for c in cells))


def _projects(root: Path) -> list[str]:
    raw = root / "data" / "raw"
    return sorted(p.name for p in raw.iterdir() if (p / "project.yml").is_file()) if raw.is_dir() else []


def _progress(message: str) -> None:
    err.print(f"[dim]{escape(mask_personnummer(message))}[/]", highlight=False)


def _report_names(root: Path, projects: list[str] | None, all_: bool) -> list[str]:
    """The projects to report (every one with ``--all`` or none named); refuses unknown or no projects."""
    names = _projects(root) if all_ or not projects else list(projects)
    unknown = [p for p in names if not (root / "data" / "raw" / p / "project.yml").is_file()]
    if unknown:
        _fail(
            f"no project.yml for {', '.join(unknown)} under {root / 'data' / 'raw'}; `foljeval list` shows the projects"
        )
    if not names:
        _fail(f"no projects under {root / 'data' / 'raw'}; create one with `foljeval new NAME`")
    return names


def _check_only(only: list[str] | None, force: bool) -> None:
    """Refuse ``--only`` with a step that does not exist, and ``--only`` together with ``--force``."""
    from analysis.pipeline import steps

    unknown_steps = [s for s in only or [] if s not in steps.STEPS.names]
    if unknown_steps:
        _fail(f"--only {', '.join(unknown_steps)}: no such step; the steps are {', '.join(steps.STEPS.names)}")
    if force and only:
        _fail("--force runs every step; give --force or --only, not both")


DELIVERY_OPTION = typer.Option(
    None,
    "--delivery",
    help="the delivery to build, YYYY-MM-DD (the name of its folder under data/raw/PROJECT/; "
    "default: the newest); its report goes to reports/PROJECT/YYYY-MM-DD/",
)
NEW_KEY_OPTION = typer.Option(
    False,
    "--new-key",
    help="rebuild every delivery with the key in use, when the earlier deliveries were built with another "
    "key (only when that key is lost: pseudonyms change)",
)


@app.command()
def report(
    projects: list[str] = typer.Argument(
        None, help="project folders under data/raw/ to report (default with --all: every one)"
    ),
    all_: bool = typer.Option(False, "--all", help="report every project under data/raw/"),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="projects to run in parallel (one process each)"),
    lang: str | None = typer.Option(None, "--lang", help="report language, sv or en (default: project.yml's language)"),
    force: bool = typer.Option(False, "--force", help="run every step, even those whose inputs are unchanged"),
    only: list[str] = typer.Option(
        None,
        "--only",
        help="run this step even if it is up to date (repeatable), with what it needs and what depends on it; "
        "other steps are left as they are",
    ),
    root: Path = typer.Option(None, "--root", help="repository root (default: found from the working directory)"),
    no_pdf: bool = typer.Option(
        False, "--no-pdf", help="do not print report.pdf (A4, made by a Chromium-based browser: Edge, Chrome, Chromium)"
    ),
    one_language: bool = typer.Option(
        False, "--one-language", help="build the report in its language only, not also report.en.html (report.sv.html)"
    ),
    delivery: str | None = DELIVERY_OPTION,
    new_key: bool = NEW_KEY_OPTION,
) -> None:
    """Clean, analyse and report projects: runs the steps (notebooks through papermill) and writes
    reports/<project>/report.html, report.pdf, results.json and the executed notebooks, then reports/index.html.

    A step whose inputs (raw files, the parts of project.yml it reads, its code, the outputs it
    reads) are unchanged since the last good build is skipped and its outputs are kept; the
    output says which steps ran and why. Steps: clean, participants, outcomes, effects,
    survival, appendix, results, summary, report.

    With delivery folders (data/raw/PROJECT/YYYY-MM-DD/) each delivery's report is kept in
    reports/PROJECT/YYYY-MM-DD/, the newest also at reports/PROJECT/.

    Exits non-zero when any project fails; the others still finish and the index shows the failure."""
    from analysis.pipeline.runner import run_reports

    root = (root or paths.repo_root()).resolve()
    names = _report_projects(root, projects, all_, lang, only, force)
    delivery = _delivery_argument(delivery, new_key, names)
    runs = run_reports(
        names,
        root=root,
        jobs=jobs,
        lang=lang,
        progress=sys.stderr.isatty(),
        force=force,
        only=tuple(only or ()),
        pdf=not no_pdf,
        other_language=not one_language,
        delivery=delivery,
        new_key=new_key,
    )
    _print_runs(runs, root)
    if not all(r.ok for r in runs):
        raise typer.Exit(1)


def _print_runs(runs, root: Path) -> None:
    """One line per project, the steps that ran and why (earlier deliveries first), then the index."""
    for run in runs:
        _say(run.summary_line())
        for line in run.step_lines() if not run.up_to_date else [f"    {x}" for x in run.earlier]:
            _say(line)
        if run.pdf_note:
            _say(f"    {run.pdf_note}")
    index = root / "reports" / "index.html"
    if index.exists():
        _say(f"index: {index}")


def _delivery_argument(delivery: str | None, new_key: bool, names: list[str]) -> str | None:
    """``--delivery`` as YYYY-MM-DD; refuses it (and ``--new-key``) with more than one project."""
    if (delivery or new_key) and len(names) != 1:
        _fail(
            "--delivery and --new-key are for one project: name it, e.g. foljeval report c2-lycksele --delivery 2008-12-31"
        )
    if not delivery:
        return None
    from analysis.project.deliveries import parse_delivery

    try:
        return parse_delivery(delivery).isoformat()
    except FoljevalError as e:
        _fail(str(e))


def _report_projects(
    root: Path, projects: list[str] | None, all_: bool, lang: str | None, only: list[str] | None, force: bool
) -> list[str]:
    """The projects ``foljeval report`` builds; fails with the reason when the arguments cannot be run."""

    if lang not in (None, "sv", "en"):
        _fail(f"--lang must be sv or en, got {lang!r}")
    names = _report_names(root, projects, all_)
    _check_only(only, force)
    busy = [p for p in names if workspace.is_locked(p, root)]
    if busy:
        _fail(
            f"{', '.join(busy)}: another foljeval run (report, clean or erase) is working on "
            f"{'this project' if len(busy) == 1 else 'these projects'}; wait until it has finished and run again"
        )
    return names


@app.command()
def lab(
    project: str = typer.Argument(None, help="project folder under data/raw/ that the notebooks run for"),
    port: int = typer.Option(0, "--port", help="port on 127.0.0.1 (default: a free one)"),
    browser: bool = typer.Option(True, "--browser/--no-browser", help="open the address in a browser"),
    root: Path = typer.Option(None, "--root", help="repository root"),
) -> None:
    """Open JupyterLab on notebooks/ with every notebook bound to PROJECT: a notebook whose
    project parameter is empty runs for it. What notebooks run there write goes to
    reports/.scratch/PROJECT/ and data/processed/.scratch/PROJECT/, never to the project's report.
    Prints the address (with its token). Works as root. Ctrl-C stops it."""
    from analysis.pipeline.lab import run_lab

    root = (root or paths.repo_root()).resolve()
    names = _projects(root)
    if not project:
        _fail(f"name the project to work on: foljeval lab PROJECT (projects: {', '.join(names) or 'none yet'})", 2)
    if project not in names:
        _fail(f"no project.yml for {project} under {root / 'data' / 'raw'}; projects: {', '.join(names) or 'none'}")
    try:
        code = run_lab(project, root, _say, port=port, browser=browser)
    except FoljevalError as e:
        _fail(str(e))
    raise typer.Exit(code)


@app.command()
def clean(
    project: str = typer.Argument(..., help="project folder under data/raw/"),
    root: Path = typer.Option(None, "--root", help="repository root"),
    delivery: str | None = typer.Option(
        None, "--delivery", help="the delivery folder YYYY-MM-DD (default: the newest)"
    ),
) -> None:
    """Clean one project's raw exports into data/processed/<project>/ (parquet tables,
    rejected.csv with the rule each quarantined row broke, reconciliation.csv, manifest.json).
    Raw files are only read. Personnummer are replaced by keyed pseudonyms (see README: FOLJEVAL_KEY)."""
    from analysis.clean.run import clean_project

    root = (root or paths.repo_root()).resolve()
    try:
        proj = load_project(paths.raw_dir(project, root), delivery)
        target = paths.processed_dir(project, root, proj.delivery_name)
        with workspace.project_lock(project, root):
            workspace.recover_project(project, root)
            result = clean_project(proj, progress=_progress)
            result.write(target)
    except FoljevalError as e:
        _fail(str(e))
    from analysis.pipeline.check_view import reconciliation_table

    out.print(reconciliation_table(result))
    _say(f"wrote {target} ({len(result.problems)} problem(s) in rejected.csv)")


@app.command()
def check(
    project: str = typer.Argument(..., help="project folder under data/raw/"),
    root: Path = typer.Option(None, "--root", help="repository root"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when any row would be rejected"),
    all_rows: bool = typer.Option(False, "--all-rows", help="list every quarantined row (default: the first 40)"),
    delivery: str | None = typer.Option(
        None, "--delivery", help="the delivery folder YYYY-MM-DD (default: the newest)"
    ),
) -> None:
    """Validate a project's project.yml and raw files and show what was understood: how each file was
    read (header row, title and footer rows), which headers became which column and which were ignored
    and why, the date forms per column, the reconciliation, the rows kept with a note, a summary per
    rule with example rows, and the quarantined rows; then check every project.yml field the report
    uses (covariates, outcomes, propensity_formula, tracks, targets, survey) against the cleaned data.
    Writes nothing. Exits 1 when the report could not use project.yml."""
    from analysis.clean.run import clean_project
    from analysis.pipeline.check_view import ROW_LIMIT, show
    from analysis.pipeline.preflight import ERROR, check_report_inputs
    from analysis.pipeline.tracked import tracked_warning

    root = (root or paths.repo_root()).resolve()
    try:
        proj = load_project(paths.raw_dir(project, root), delivery)
        result = clean_project(proj, progress=_progress)
    except FoljevalError as e:
        _fail(str(e))
    show(result, out, limit=0 if all_rows else ROW_LIMIT)
    tracked = tracked_warning(proj.id, proj.raw_dir, root, proj.config.synthetic)
    if tracked:
        _say(f"warning: {tracked}", err)
    config_problems = check_report_inputs(proj, result.report_tables, result.data_end)
    for p in config_problems:
        _say(f"{p.severity}: {p}", err if p.severity == ERROR else out)
    errors = [p for p in config_problems if p.severity == ERROR]
    text_errors = _check_texts(proj, root)
    if errors:
        _fail(f"{len(errors)} project.yml field(s) the report cannot use (listed above); fix them and run check again")
    if text_errors:
        _fail(
            f"{len(text_errors)} text file(s) under text/ the report cannot use (listed above); fix them and run check again"
        )
    if not config_problems:
        out.print("[green]project.yml fits the data[/]: every field the report uses was found")
    if strict and not result.problems.empty:
        raise typer.Exit(1)


def _check_texts(proj, root: Path) -> list[str]:
    """Check the evaluator's texts (and their references against the last report's results.json); print problems."""
    import json

    from analysis.report.evaluator_text import text_problems

    results_path = paths.reports_dir(proj.id, root, proj.delivery_name) / "results.json"
    results = json.loads(results_path.read_text(encoding="utf-8")) if results_path.is_file() else None
    problems = text_problems(proj, results, proj.config.language)
    for p in problems:
        _say(f"error: {p}", err)
    if results is None and any(proj.text_path(p).is_file() for p in TEXT_FILES):
        _say("note: the references {{ ... }} in text/ are checked once a report has been built (no results.json yet)")
    return problems


@app.command()
def new(
    project: str = typer.Argument(..., help="name of the new project folder (lower case, dashes)"),
    root: Path = typer.Option(None, "--root", help="repository root"),
) -> None:
    """Create data/raw/<project>/project.yml from a template whose comments explain every field."""
    import re
    from importlib import resources

    root = (root or paths.repo_root()).resolve()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", project):
        _fail("project names use lower-case letters, digits and dashes, e.g. 'alv-vast'")
    folder = paths.raw_dir(project, root)
    target = folder / "project.yml"
    if target.exists():
        _fail(f"{target} exists already; edit it instead")
    folder.mkdir(parents=True, exist_ok=True)
    template = (resources.files("analysis") / "resources" / "project_template.yml").read_text(encoding="utf-8")
    target.write_text(template.replace("{project}", project), encoding="utf-8")
    texts = _new_texts(folder)
    _say(
        f"created {target} and {len(texts)} text files in {folder / TEXT_FOLDER}/ (the evaluator's own sections)\n"
        f"next: copy the raw exports into {folder}/, edit project.yml, then `foljeval check {project}`"
    )


def _new_texts(folder: Path) -> list[Path]:
    """Write the evaluator's text files (guidance in HTML comments, no text yet) into ``folder/text/``."""
    from importlib import resources

    source = resources.files("analysis") / "resources" / "text_templates"
    (folder / TEXT_FOLDER).mkdir(exist_ok=True)
    written = []
    for name in TEXT_FILES.values():
        path = folder / TEXT_FOLDER / name
        if not path.exists():  # never overwrite what an evaluator wrote
            path.write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
            written.append(path)
    return written


@app.command("list")
def list_(root: Path = typer.Option(None, "--root", help="repository root")) -> None:
    """List the projects under data/raw/ with their period, files and last report."""
    root = (root or paths.repo_root()).resolve()
    t = Table(title=f"projects in {root / 'data' / 'raw'}", title_justify="left")
    for col in ("project", "name", "period", "files", "synthetic", "report"):
        t.add_column(col)
    for name in _projects(root):
        try:
            p = load_project(paths.raw_dir(name, root))
        except FoljevalError as e:
            _row(t, name, f"invalid project.yml ({str(e).splitlines()[0]})", "", "", "", "")
            continue
        c = p.config
        rep = paths.reports_dir(name, root) / "report.html"
        _row(
            t,
            name,
            c.name,
            f"{c.period.start}..{c.period.end}",
            ", ".join(c.files),
            "yes" if c.synthetic else "no",
            str(rep.relative_to(root)) if rep.exists() else "-",
        )
    out.print(t)


@app.command()
def contract() -> None:
    """Print the data contract: every file kind, canonical column, the headers and labels understood,
    every code, target metric and cleaning rule (the same text as docs/data-contract.md)."""
    from analysis.pipeline.contract_doc import render_markdown

    sys.stdout.write(render_markdown())


def _size(path: Path) -> str:
    files = [path] if path.is_file() else [f for f in path.rglob("*") if f.is_file()]
    total = sum(f.stat().st_size for f in files)
    return f"{len(files)} file(s), {total / 1e6:.1f} MB" if path.is_dir() else f"{total / 1e3:.1f} kB"


@app.command()
def erase(
    project: str = typer.Argument(..., help="project whose derived files to delete (its raw data are kept)"),
    yes: bool = typer.Option(False, "--yes", "-y", help="delete without asking"),
    root: Path = typer.Option(None, "--root", help="repository root"),
) -> None:
    """Delete everything derived from one project: data/processed/<project>/, reports/<project>/,
    temporary folders and the lock of interrupted runs, the out-of-core work folder. Lists what it
    will remove and asks first (--yes skips the question). The raw data in data/raw/<project>/ and
    the key are never touched; reports/index.html is rebuilt without the project's figures.

    For when an evaluation ends: personal data are kept no longer than needed (GDPR art. 5(1)(e))."""
    import re

    root = (root or paths.repo_root()).resolve()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", project) or ".." in project:
        _fail(f"{project!r} is not a project folder name")
    try:
        with workspace.project_lock(project, root):
            found = [p for p in workspace.derived_paths(project, root) if p != workspace.lock_path(project, root)]
            if not found:
                _say(f"nothing to erase for {project}: no processed data, report or temporary files")
                return
            _say(f"foljeval erase {project} will remove:")
            for p in found:
                _say(f"  {p.relative_to(root).as_posix()}{'/' if p.is_dir() else ''}  ({_size(p)})")
            _say(f"kept: the raw data in {paths.raw_dir(project, root).relative_to(root).as_posix()}/ and the key")
            if not yes and not typer.confirm("Remove these?", default=False):
                _say("nothing removed")
                raise typer.Exit(1)
            for p in found:
                workspace.remove_tree(p)
            with contextlib.suppress(OSError):  # POSIX: while still held, so no other run can be using it
                workspace.lock_path(project, root).unlink()
    except FoljevalError as e:
        _fail(str(e))
    with contextlib.suppress(OSError):  # Windows: a held lock file cannot be deleted
        workspace.lock_path(project, root).unlink(missing_ok=True)
    index = root / "reports" / "index.html"
    if index.exists():
        from analysis.report.index import build_index

        build_index(root)
    _say(
        f"removed {len(found)} item(s) derived from {project}"
        + ("; reports/index.html rebuilt" if index.exists() else "")
    )


key_app = typer.Typer(
    no_args_is_help=True,
    help="The pseudonymisation key: create it once, back it up, use it for every delivery.",
)
app.add_typer(key_app, name="key")


@key_app.command("init")
def key_init(
    file: Path = typer.Option(
        None, "--file", help="where to write it (default: $FOLJEVAL_KEY_FILE, else ~/.config/foljeval/key)"
    ),
    root: Path = typer.Option(None, "--root", help="repository root (the key must live outside it)"),
) -> None:
    """Create the secret pseudonymisation key (64 random hex characters), readable by you only.

    Refuses to replace an existing key: a new key gives every person a new pseudonym."""
    import os

    from analysis.clean.identity import create_key_file, default_key_file

    root = (root or paths.repo_root()).resolve()
    target = file or (Path(os.environ["FOLJEVAL_KEY_FILE"]) if os.environ.get("FOLJEVAL_KEY_FILE") else None)
    target = target or default_key_file(os.environ)
    if target is None:
        _fail("no home folder (HOME or USERPROFILE) to put the key in; give one with --file PATH")
    try:
        path = create_key_file(target, root)
    except FoljevalError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"could not write {target}: {e.strerror or e}")
    hint = (
        ""
        if file is None or os.environ.get("FOLJEVAL_KEY_FILE") == str(file)
        else (f"\nThis is not the default place: set FOLJEVAL_KEY_FILE={path} wherever you run foljeval.")
    )
    _say(
        f"created {path} (readable by you only).{hint}\n"
        "Back it up now: copy the file to a safe place that is not this computer and not the repository "
        "(e.g. your organisation's password manager or an encrypted USB stick kept locked away).\n"
        "Use the same key for every delivery of a project, now and later: with another key the same "
        "person gets another pseudonym and deliveries can no longer be linked. Never commit or e-mail it."
    )


def main() -> None:  # pragma: no cover - entry point for python -m
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
