"""Which steps of a build run: each step's inputs now, against the last good build's record.

:class:`StepInputs` collects a step's input fingerprints (:mod:`analysis.pipeline.inputs`);
:func:`decide` compares them with ``steps.json`` (:mod:`analysis.pipeline.state`) and says
whether the step runs and why. ``force`` runs every step; ``only`` runs the named steps
even when up to date, the out-of-date steps they need, and the steps after them whose
inputs change, and leaves every other step as it was (see the README).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from analysis.pipeline import inputs as fp
from analysis.pipeline.state import StepRecord, changed_inputs, changed_outputs, describe_change
from analysis.pipeline.steps import LANGUAGES, REPORT, Step, StepTable, other_language
from analysis.project.config import Project
from analysis.project.errors import FoljevalError

UP_TO_DATE = "inputs unchanged"


@dataclass(frozen=True)
class Decision:
    """Whether a step runs, why, and the inputs it is (or was) built from."""

    step: Step
    run: bool
    reason: str
    inputs: dict[str, str]
    keep_record: bool = False  # --only left an out-of-date step as it was: keep its old record


class StepInputs:
    """The input fingerprints of the steps of one project's build (each computed once)."""

    def __init__(
        self,
        table: StepTable,
        project: Project,
        root: Path,
        lang: str,
        notebooks_dir: Path,
        env: Mapping[str, str] | None = None,
        pdf: bool = False,
        other_language: bool = False,
    ) -> None:
        self.table, self.project, self.root, self.lang = table, project, Path(root), lang
        self.notebooks_dir = Path(notebooks_dir)
        self.pdf = pdf  # the report step prints report.pdf
        self.other_language = other_language  # and builds the report in the other language
        self.env = os.environ if env is None else env
        self.config = project.config.model_dump(mode="json")
        self._cache: dict[str, str] = {}

    def _once(self, name: str, compute) -> str:
        if name not in self._cache:
            self._cache[name] = compute()
        return self._cache[name]

    def params(self) -> dict[str, str]:
        """The notebook parameters, as the runner passes them to papermill."""
        return {"project": self.project.id, "root": str(self.root), "lang": self.lang}

    def of(self, step: Step, upstream_outputs: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
        """Every input fingerprint of ``step``, given what its upstream steps wrote."""
        d: dict[str, str] = {"environment": self._once("environment", fp.environment_digest)}
        if step.notebook:
            path = self.notebooks_dir / step.notebook
            d["notebook"] = fp.notebook_digest(path)
            d["params"] = fp.sha256_json(self.params())
            if self.other_language:  # the step also runs its notebook for the report in the other language
                d["second_language"] = fp.sha256_json(other_language(self.lang))
            modules = fp.notebook_imports(path)
        else:
            params: dict[str, object] = {"lang": self.lang}
            if step.kind == REPORT:
                params["pdf"] = self.pdf
                params["other_language"] = self.other_language
            d["params"] = fp.sha256_json(params)
            modules = set(step.code)
        d.update({f"code:{rel}": digest for rel, digest in fp.code_files(sorted(modules)).items()})
        d.update(fp.config_inputs(self.config, step.config))
        if step.texts:
            d.update(fp.text_inputs(self.project.raw_dir, self.project.config.report.text_file))
        if step.raw:
            d.update(fp.raw_inputs(self.project.data_dir, self.config.get("files") or {}))
            d["key"] = self._once("key", lambda: fp.key_fingerprint(self.project.config.synthetic, self.env, self.root))
        for name in step.upstream:
            outputs = dict(upstream_outputs.get(name, {}))
            if step.kind != REPORT:  # an executed notebook is read by the report step only
                up = self.table[name]
                for executed in (up.executed_notebook, *map(up.executed_in, LANGUAGES)):
                    outputs.pop(executed or "", None)
            d[f"upstream:{name}"] = fp.sha256_json(outputs)
        for extra in step.extra:
            d[extra] = self._once(extra, lambda e=extra: self._extra(e))
        return d

    def _extra(self, name: str) -> str:
        if name == "project_yml":
            return fp.sha256_file(self.project.yml_path)
        if name == "git_commit":
            from analysis.report.provenance import git_commit

            return fp.sha256_json(git_commit(self.root))
        if name == "run_date":
            from analysis.report.provenance import run_date

            return fp.sha256_json(run_date(dict(self.env)).isoformat())
        if name == "previous_delivery":
            return self._previous_delivery()
        raise FoljevalError(f"unknown step input {name!r}")

    def _previous_delivery(self) -> str:
        """The previous delivery's results.json and deliveries.json entry ("none" without one)."""
        from analysis.project import paths
        from analysis.report.delivery_record import entry, read_record

        previous = self.project.previous_delivery
        if previous is None:
            return fp.sha256_json("none")
        base = paths.reports_dir(self.project.id, self.root)
        results = base / previous.isoformat() / "results.json"
        published = (entry(read_record(base), previous.isoformat()) or {}).get("published")
        digest = fp.sha256_file(results) if results.is_file() else "missing"
        return fp.sha256_json({"results": digest, "published": published})


def decide(
    step: Step,
    inputs: dict[str, str],
    record: StepRecord | None,
    live: tuple[Path, Path],
    *,
    force: bool = False,
    only: frozenset[str] = frozenset(),
    wanted: frozenset[str] = frozenset(),
) -> Decision:
    """Run or skip ``step``; ``live`` is (report folder, processed folder) of the last good build.

    ``wanted`` is the set ``only`` asks for: the named steps, their upstream and downstream steps.
    """
    if force:
        return Decision(step, True, "forced (--force)", inputs)
    if step.name in only:
        return Decision(step, True, "asked for (--only)", inputs)
    if record is None:
        return Decision(step, True, "never built", inputs)
    missing = changed_outputs(record, *live)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        return Decision(step, True, f"its outputs changed since the last build ({shown})", inputs)
    changed = changed_inputs(record.inputs, inputs)
    if changed and only and step.name not in wanted:
        reason = f"out of date ({describe_change(changed)}), left as it was (--only)"
        return Decision(step, False, reason, inputs, keep_record=True)
    if changed:
        return Decision(step, True, describe_change(changed), inputs)
    return Decision(step, False, UP_TO_DATE, inputs)


def wanted_steps(table: StepTable, only: tuple[str, ...]) -> frozenset[str]:
    """The steps ``--only`` may run: the named ones, what they need and what depends on them."""
    unknown = [n for n in only if n not in table.names]
    if unknown:
        raise FoljevalError(f"--only {', '.join(unknown)}: no such step; the steps are {', '.join(table.names)}")
    found: set[str] = set(only)
    for n in only:
        found |= table.ancestors(n) | table.descendants(n)
    return frozenset(found)


def notebook_problems(table: StepTable, folder: Path) -> list[str]:
    """Notebooks the table names that are missing, and report notebooks (``NN_*.ipynb``) it does not know."""
    folder = Path(folder)
    missing = [n for n in table.notebooks if not (folder / n).is_file()]
    unknown = sorted(p.name for p in folder.glob("[0-9][0-9]_*.ipynb") if p.name not in table.notebooks)
    out = [f"{folder / n} is missing (a step of the report)" for n in missing]
    out += [
        f"{folder / n} is not a step of the report; add it to the steps table in src/analysis/pipeline/steps.py "
        "(or rename it without the number prefix to keep it out of the report)"
        for n in unknown
    ]
    return out
