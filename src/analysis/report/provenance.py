"""The appendix "How this report was made": method notes and provenance (notebook 99).

Everything needed to reproduce the report: the raw files with their SHA-256 and
rows read/kept/rejected (as the cleaning section published them in results.json,
so the appendix cannot show a count the cleaning section hides), the parameters, the git
commit, package versions, the run date and the command. The run date is the only
value that changes between reruns on unchanged input; ``SOURCE_DATE_EPOCH`` fixes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import pandas as pd

from analysis.disclosure.published import PublishedTable, is_table_node
from analysis.report.i18n import t

PACKAGES = (
    "foljeval",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "pyarrow",
    "papermill",
    "nbconvert",
    "pandera",
    "pydantic",
)


def run_date(env: Mapping[str, str] | None = None) -> dt.date:
    """Today, or the UTC date of ``SOURCE_DATE_EPOCH`` when it is set (reproducible builds)."""
    epoch = (os.environ if env is None else env).get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def git_commit(root: Path) -> str | None:
    """The commit of the repository at ``root``, with "+changes" if src/ or notebooks/ differ from it."""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src", "notebooks"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return head.stdout.strip() + ("+changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def package_versions() -> pd.DataFrame:
    rows = [("python", platform.python_version())]
    for name in PACKAGES:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return pd.DataFrame(rows, columns=["package", "version"])


def published_files(sections: dict) -> PublishedTable | None:
    """The raw files table of the cleaning section, back from its saved node (the counts as published there)."""
    node = (sections.get("cleaning") or {}).get("files")
    if not isinstance(node, dict) or not is_table_node(node):
        return None
    return PublishedTable.from_results(node, "/cleaning/files", "files")


def config_sha256(path: Path) -> str:
    """The SHA-256 of project.yml as it is now (the appendix step reruns when the file changes)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def command(project: str, lang: str, config_lang: str) -> str:
    return f"foljeval report {project}" + ("" if lang == config_lang else f" --lang {lang}")


def parameters_table(ctx, lang: str) -> pd.DataFrame:
    m = ctx.manifest
    commit = git_commit(ctx.root)
    rows = [
        (t("rep_prov_project", lang), ctx.project.id),
        (t("rep_prov_language", lang), ctx.lang),
        (t("rep_prov_min_cell", lang), str(ctx.config.min_cell)),
        (t("rep_prov_config_sha", lang), config_sha256(ctx.project.yml_path)),
        (t("rep_prov_key_source", lang), m.get("key_source", "–")),
        (t("rep_prov_data_end", lang), m.get("data_end", "–")),
        (t("rep_prov_commit", lang), commit or t("rep_prov_no_git", lang)),
        (t("rep_prov_run_date", lang), run_date().isoformat()),
        (t("rep_prov_command", lang), command(ctx.project.id, ctx.lang, ctx.config.language)),
    ]
    return pd.DataFrame(rows, columns=[t("rep_prov_what", lang), t("rep_prov_value", lang)])


def show_appendix(ctx) -> None:
    """Publish the appendix for a :class:`analysis.pipeline.notebook.NotebookContext`."""
    from analysis.report.display import show_table, show_text
    from analysis.report.labels import Labels
    from analysis.report.results import load_sections
    from analysis.report.sections.cleaning import headers
    from analysis.report.tables import show_published

    lang = ctx.lang
    show_text(f"# {t('rep_appendix_heading', lang)}")
    show_text(t("rep_appendix_intro", lang))
    show_text(f"## {t('rep_methods_heading', lang)}")
    for key in (
        "rep_method_cleaning",
        "rep_method_disclosure",
        "rep_method_intervals",
        "rep_method_targets",
        "rep_method_effects",
        "rep_method_survival",
        "rep_method_payback",
        "rep_method_pointers",
    ):
        show_text(t(key, lang, min_cell=ctx.config.min_cell))
    show_text(f"## {t('rep_provenance_heading', lang)}")
    files = published_files(load_sections(ctx.report_dir))  # results.json is merged after this notebook
    if files is not None:
        show_published(
            files,
            t("rep_cap_files", lang),
            lang,
            labels=Labels(lang),
            columns=["kind", "rows_read", "rows_kept", "rows_rejected", "sha256"],
            headers=headers(lang),
            row_header=t("col_file", lang),
            note=t("rep_note_files", lang),
        )
    show_table(parameters_table(ctx, lang), t("rep_cap_parameters", lang), index=False)
    versions = package_versions()
    versions.columns = [t("rep_prov_package", lang), t("rep_prov_version", lang)]
    show_table(versions, t("rep_cap_versions", lang), index=False)
    show_text(t("rep_reproduce", lang, command=command(ctx.project.id, ctx.lang, ctx.config.language)))
