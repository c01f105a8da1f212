"""The ``foljeval`` command line: report, clean, check, new, list, contract."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from analysis.project import paths
from analysis.project.config import load_project
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


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _projects(root: Path) -> list[str]:
    raw = root / "data" / "raw"
    return sorted(p.name for p in raw.iterdir() if (p / "project.yml").is_file()) if raw.is_dir() else []


def _progress(message: str) -> None:
    err.print(f"[dim]{message}[/]", highlight=False)


@app.command()
def report(
    projects: list[str] = typer.Argument(
        None, help="project folders under data/raw/ to report (default with --all: every one)"
    ),
    all_: bool = typer.Option(False, "--all", help="report every project under data/raw/"),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="projects to run in parallel (one process each)"),
    lang: str | None = typer.Option(None, "--lang", help="report language, sv or en (default: project.yml's language)"),
    root: Path = typer.Option(None, "--root", help="repository root (default: found from the working directory)"),
) -> None:
    """Clean, analyse and report projects: runs the notebooks through papermill and writes
    reports/<project>/report.html, results.json and the executed notebooks, then reports/index.html.

    Exits non-zero when any project fails; the others still finish and the index shows the failure."""
    from analysis.pipeline.runner import run_reports

    root = (root or paths.repo_root()).resolve()
    if lang not in (None, "sv", "en"):
        _fail(f"--lang must be sv or en, got {lang!r}")
    names = _projects(root) if all_ or not projects else list(projects)
    unknown = [p for p in names if not (root / "data" / "raw" / p / "project.yml").is_file()]
    if unknown:
        _fail(
            f"no project.yml for {', '.join(unknown)} under {root / 'data' / 'raw'}; `foljeval list` shows the projects"
        )
    if not names:
        _fail(f"no projects under {root / 'data' / 'raw'}; create one with `foljeval new NAME`")
    runs = run_reports(names, root=root, jobs=jobs, lang=lang, progress=sys.stderr.isatty())
    for run in runs:
        out.print(run.summary_line(), highlight=False, soft_wrap=True)
    index = root / "reports" / "index.html"
    if index.exists():
        out.print(f"index: {index}", highlight=False, soft_wrap=True)
    if not all(r.ok for r in runs):
        raise typer.Exit(1)


@app.command()
def clean(
    project: str = typer.Argument(..., help="project folder under data/raw/"),
    root: Path = typer.Option(None, "--root", help="repository root"),
) -> None:
    """Clean one project's raw exports into data/processed/<project>/ (parquet tables,
    rejected.csv with the rule each quarantined row broke, reconciliation.csv, manifest.json).
    Raw files are only read. Personnummer are replaced by keyed pseudonyms (see README: FOLJEVAL_KEY)."""
    from analysis.clean.run import clean_project

    root = (root or paths.repo_root()).resolve()
    try:
        result = clean_project(load_project(paths.raw_dir(project, root)), progress=_progress)
        result.write(paths.processed_dir(project, root))
    except FoljevalError as e:
        _fail(str(e))
    from analysis.pipeline.check_view import reconciliation_table

    out.print(reconciliation_table(result))
    out.print(f"wrote {paths.processed_dir(project, root)} ({len(result.problems)} problem(s) in rejected.csv)")


@app.command()
def check(
    project: str = typer.Argument(..., help="project folder under data/raw/"),
    root: Path = typer.Option(None, "--root", help="repository root"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when any row would be rejected"),
    all_rows: bool = typer.Option(False, "--all-rows", help="list every quarantined row (default: the first 40)"),
) -> None:
    """Validate a project's project.yml and raw files and show what was understood: how each file was
    read (header row, title and footer rows), which headers became which column and which were ignored
    and why, the date forms per column, the reconciliation, the rows kept with a note, a summary per
    rule with example rows, and the quarantined rows. Writes nothing."""
    from analysis.clean.run import clean_project
    from analysis.pipeline.check_view import ROW_LIMIT, show

    root = (root or paths.repo_root()).resolve()
    try:
        result = clean_project(load_project(paths.raw_dir(project, root)), progress=_progress)
    except FoljevalError as e:
        _fail(str(e))
    show(result, out, limit=0 if all_rows else ROW_LIMIT)
    if strict and not result.problems.empty:
        raise typer.Exit(1)


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
    out.print(
        f"created {target}\nnext: copy the raw exports into {folder}/, edit project.yml, then `foljeval check {project}`"
    )


@app.command()
def contract() -> None:
    """Print the data contract: every file kind, canonical column, the headers and labels understood,
    every code, target metric and cleaning rule (the same text as docs/data-contract.md)."""
    from analysis.pipeline.contract_doc import render_markdown

    sys.stdout.write(render_markdown())


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
            t.add_row(name, f"[red]invalid project.yml[/] ({str(e).splitlines()[0]})", "", "", "", "")
            continue
        c = p.config
        rep = paths.reports_dir(name, root) / "report.html"
        t.add_row(
            name,
            c.name,
            f"{c.period.start}..{c.period.end}",
            ", ".join(c.files),
            "yes" if c.synthetic else "no",
            str(rep.relative_to(root)) if rep.exists() else "-",
        )
    out.print(t)


def main() -> None:  # pragma: no cover - entry point for python -m
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
