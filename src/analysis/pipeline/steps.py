"""The steps of a report build, declared as data: what each step runs, reads and writes.

``foljeval report`` runs the steps in the order of :data:`STEPS` and skips a step whose
inputs are unchanged since the last good build (see :mod:`analysis.pipeline.inputs` for
how inputs are fingerprinted and :mod:`analysis.pipeline.state` for the record kept in
``reports/<project>/steps.json``). A step's inputs are

* its notebook (code cells, markdown and metadata; not outputs a hand run may have saved)
  and the notebook parameters (``project``, ``root``, ``lang``);
* the **parts of project.yml it reads, by key** (``config``): a dotted path into the
  validated project.yml, ``*`` standing for every element of a list or mapping, so
  ``survey.items.*.text_sv`` is every survey question's Swedish text. A changed survey
  question text therefore reruns ``outcomes`` (which shows it), not ``clean`` (which
  reads only the items' ids and scales);
* with ``raw``, the raw files named in ``files:`` (SHA-256) and the pseudonymisation key
  (a keyed fingerprint, never the key);
* with ``texts``, the evaluator's text files (``text/*.md``, one input per point of the report,
  ``missing`` for an absent file: see :mod:`analysis.report.evaluator_text`);
* the code version: the source of every ``analysis`` module the notebook imports, followed
  through the package's imports (lazy ones included), with the resource files those modules
  name (label dictionary, schemas, templates), and the installed package versions;
* the outputs of its ``upstream`` steps (what they wrote, by content: a step rerun that
  writes the same files does not rerun the steps after it);
* ``extra`` inputs named by the step: ``project_yml`` (the bytes of the whole file, for the
  appendix's checksum), ``git_commit`` and ``run_date`` (both shown in the appendix), and
  ``previous_delivery`` (the previous delivery's ``results.json`` and its entry in
  ``deliveries.json``, which the summary's change section compares with).

The two steps without a notebook are done by the runner: ``results`` merges the sections
into ``results.json`` and validates it; ``report`` merges the executed notebooks in the order
of its ``upstream`` (with the evaluator's texts at their places; it also reads ``results.json``,
which the texts quote), exports ``report.html`` and prints it to ``report.pdf`` (when a browser
is there and ``--no-pdf`` is not given), and the same from the notebooks executed in the other
language into ``report.en.html`` / ``report.en.pdf`` (``report.sv.*`` beside an English report)
unless ``--one-language`` is given. Those notebooks are run by each notebook step right after its
own, in a second kernel (:mod:`analysis.pipeline.second_language`; the cleaning step's saved
section is shown, the raw data are not cleaned again), and are the step's outputs
(``notebooks/<lang>/``). Whether a PDF and a second language are made are inputs of the report
step; a second language is also an input of every notebook step. The summary (``00_summary``) reads
``results.json`` and therefore comes after ``results`` in the table, while the report places
it first: execution order and report order are both declared here, not taken from file names.

A notebook added to ``notebooks/`` must be added to this table (the runner refuses a
notebook it does not know); :meth:`StepTable.check` says what a new step still needs.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from analysis.project.errors import FoljevalError

NOTEBOOK, RESULTS, REPORT = "notebook", "results", "report"
LANGUAGES = ("sv", "en")  # a report's languages; the second one's notebooks go to notebooks/<lang>/


def other_language(lang: str) -> str:
    """The language of the second report: English beside a Swedish one, Swedish beside an English one."""
    return "en" if lang == "sv" else "sv"


EXTRA_INPUTS = ("project_yml", "git_commit", "run_date", "previous_delivery")


@dataclass(frozen=True)
class Step:
    """One step of a report build.

    Parameters
    ----------
    name : str
        Short name, used by ``foljeval report --only NAME`` and in ``steps.json``.
    notebook : str, optional
        File name in ``notebooks/`` (notebook steps).
    kind : {"notebook", "results", "report"}
        ``results`` and ``report`` are done by the runner.
    upstream : tuple of str
        Steps whose outputs this step reads; for ``report``, the notebooks in report order.
    config : tuple of str
        The project.yml fields the step reads (dotted paths, ``*`` for every element).
    raw : bool
        Whether the step reads the raw files and the pseudonymisation key.
    texts : bool
        Whether the step reads the evaluator's text files (``data/raw/<project>/text/*.md``, the
        files ``report.text`` names; a missing file is an input too: adding it reruns the step).
    outputs : tuple of str
        What the step writes, as patterns relative to the report folder, or to the processed
        folder with the prefix ``processed/`` (a notebook step's executed notebook is implied).
    code : tuple of str
        Modules the runner calls for a runner step (a notebook step's modules are found
        from its imports).
    extra : tuple of str
        Other inputs, among :data:`EXTRA_INPUTS`.
    """

    name: str
    notebook: str | None = None
    kind: str = NOTEBOOK
    upstream: tuple[str, ...] = ()
    config: tuple[str, ...] = ()
    raw: bool = False
    texts: bool = False
    outputs: tuple[str, ...] = ()
    code: tuple[str, ...] = ()
    extra: tuple[str, ...] = field(default=())

    @property
    def executed_notebook(self) -> str | None:
        """Where the executed notebook goes, relative to the report folder."""
        return f"notebooks/{self.notebook}" if self.notebook else None

    def executed_in(self, lang: str) -> str | None:
        """Where the notebook executed for the report in the other language ``lang`` goes."""
        return f"notebooks/{lang}/{self.notebook}" if self.notebook else None

    def writes(self, relpath: str) -> bool:
        """Whether ``relpath`` (report-relative, or ``processed/...``) is among the declared outputs."""
        if relpath == self.executed_notebook or relpath in (self.executed_in(lang) for lang in LANGUAGES):
            return True
        return any(fnmatch.fnmatchcase(relpath, pattern) for pattern in self.outputs)


@dataclass(frozen=True)
class StepTable:
    """The steps in execution order (each after its upstream steps)."""

    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        problems = self.check()
        if problems:
            raise FoljevalError("the steps table is inconsistent: " + "; ".join(problems))

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __getitem__(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.steps]

    @property
    def notebooks(self) -> list[str]:
        """The notebook file names, in execution order."""
        return [s.notebook for s in self.steps if s.notebook]

    @property
    def report_order(self) -> list[Step]:
        """The notebook steps in the order the report shows them (the report step's notebook upstream)."""
        report = [s for s in self.steps if s.kind == REPORT]
        return [self[n] for n in report[0].upstream if self[n].notebook] if report else []

    def ancestors(self, name: str) -> set[str]:
        found: set[str] = set()
        todo = list(self[name].upstream)
        while todo:
            n = todo.pop()
            if n not in found:
                found.add(n)
                todo.extend(self[n].upstream)
        return found

    def descendants(self, name: str) -> set[str]:
        return {s.name for s in self.steps if name in self.ancestors(s.name)}

    def check(self) -> list[str]:
        """Everything that makes the table unusable, one sentence each (empty when fine)."""
        problems, seen = [], set()
        names = [s.name for s in self.steps]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"step {dup} is declared twice")
        for s in self.steps:
            late = [u for u in s.upstream if u not in seen]
            if late:
                problems.append(f"step {s.name} needs {', '.join(late)}, which must be declared before it")
            seen.add(s.name)
            if (s.kind == NOTEBOOK) != bool(s.notebook):
                problems.append(f"step {s.name}: notebook steps name a notebook, runner steps do not")
            if s.kind not in (NOTEBOOK, RESULTS, REPORT):
                problems.append(f"step {s.name}: unknown kind {s.kind!r}")
            bad = [e for e in s.extra if e not in EXTRA_INPUTS]
            if bad:
                problems.append(f"step {s.name}: unknown extra inputs {bad}; known: {', '.join(EXTRA_INPUTS)}")
        if problems:
            return problems
        problems += self._check_runner_steps()
        return problems

    def _check_runner_steps(self) -> list[str]:
        problems = []
        reports = [s for s in self.steps if s.kind == REPORT]
        results = [s for s in self.steps if s.kind == RESULTS]
        if len(reports) != 1 or reports[0] is not self.steps[-1]:
            problems.append("the table needs exactly one report step, declared last")
        if len(results) > 1:
            problems.append("the table may have one results step")
        if problems:
            return problems
        missing = [s.name for s in self.steps if s.notebook and s.name not in reports[0].upstream]
        if missing:
            problems.append(f"notebook steps {', '.join(missing)} are not in the report step's upstream (report order)")
        if results:
            after = self.descendants(results[0].name)
            unmerged = [
                s.name
                for s in self.steps
                if any(p.startswith("sections/") for p in s.outputs)
                and s.name not in results[0].upstream
                and s.name not in after
            ]
            if unmerged:
                problems.append(f"steps {', '.join(unmerged)} save sections but are not upstream of results")
        return problems


# The project facts shown on the title page and stored in results.json.
FACTS = (
    "name",
    "owner",
    "region",
    "project_number",
    "period",
    "budget_sek",
    "esf_grant_sek",
    "planned_participants",
    "target_group",
    "synthetic",
)

STEPS = StepTable(
    (
        Step(
            "clean",
            "01_clean.ipynb",
            raw=True,
            config=(
                "labels",
                "period",
                "data_end",
                "id_type",
                "synthetic",
                "files",
                "tracks",
                "covariates",
                "outcomes",
                "survey.items.*.id",
                "survey.items.*.scale",
                "survey.scales.*.labels_sv",
                "survey.scales.*.labels_en",
                "survey.scales.*.kind",  # a coded category outside a categorical scale is quarantined
                "min_cell",
            ),
            outputs=("processed/*", "sections/cleaning.json"),
        ),
        Step(
            "participants",
            "02_participants.ipynb",
            upstream=("clean",),
            config=("min_cell", "planned_participants", "tracks", "labels"),
            outputs=("sections/participants.json",),
        ),
        Step(
            "outcomes",
            "03_outcomes.ipynb",
            upstream=("clean",),
            config=(
                "labels",
                "min_cell",
                "period",
                "planned_participants",
                "tracks",
                "work_or_study",
                "self_supporting",
                "followup_months_after_exit",
                "panel_work_or_study",
                "targets",
                "survey",
                "files",
            ),
            outputs=("sections/targets.json", "sections/outcomes.json", "sections/survey.json"),
        ),
        Step(
            "effects",
            "04_effects.ipynb",
            upstream=("clean",),
            config=(
                "min_cell",
                "covariates",
                "outcomes",
                "propensity_formula",
                "effect_months_after_start",
                "comparison",
                "subgroups",
                "tracks",
                "labels",
                "files",
                "panel_work_or_study",
                "planted_truth",
            ),
            outputs=("sections/effects.json",),
        ),
        Step(
            "survival",
            "05_survival.ipynb",
            upstream=("clean",),
            config=(
                "labels",
                "min_cell",
                "files",
                "covariates",
                "cohort_by",
                "bridge_gap_months",
                "competing_events",
                "panel_work_or_study",
                "planted_truth",
            ),
            outputs=("sections/survival.json",),
        ),
        Step(
            "payback",
            "06_payback.ipynb",
            upstream=("clean",),
            config=(
                "labels",
                "min_cell",
                "payback",
                "budget_sek",
                "planned_participants",
                "period",
                "covariates",
                "propensity_formula",
                "effect_months_after_start",
                "comparison",
                "panel_work_or_study",
                "work_or_study",
                "planted_truth",
            ),
            outputs=("sections/payback.json",),
        ),
        Step(
            "appendix",
            "99_appendix.ipynb",
            upstream=("clean",),
            config=("min_cell", "language", "labels"),
            extra=("project_yml", "git_commit", "run_date"),
        ),
        Step(
            "results",
            kind=RESULTS,
            upstream=("clean", "participants", "outcomes", "effects", "survival", "payback"),
            config=(*FACTS, "language", "min_cell"),
            code=("analysis.report.results_file",),
            outputs=("results.json",),
        ),
        Step(
            "summary",
            "00_summary.ipynb",
            upstream=("results", "clean"),
            config=(*FACTS, "labels", "report", "main_outcome"),
            extra=("previous_delivery",),
        ),
        Step(
            "report",
            kind=REPORT,
            # the notebooks in report order, then results.json (the evaluator's texts quote it)
            upstream=(
                "summary",
                "clean",
                "participants",
                "outcomes",
                "effects",
                "survival",
                "payback",
                "appendix",
                "results",
            ),
            config=("name", "min_cell", "report"),
            texts=True,
            code=(
                "analysis.report.merge",
                "analysis.report.export",
                "analysis.report.scan",
                "analysis.report.evaluator_text",
                "analysis.report.pdf",
            ),
            outputs=("report.html", "report.pdf", "report.*.html", "report.*.pdf"),
        ),
    )
)


def with_report(
    steps: tuple[Step, ...], after: tuple[Step, ...] = (), report_order: tuple[str, ...] | None = None
) -> StepTable:
    """A table of notebook ``steps``, the results step over the ones that save sections, the notebook
    steps ``after`` it (they read results.json) and the report (tests and benchmarks build tables so).

    Example
    -------
    >>> t = with_report((STEPS["clean"],), after=(STEPS["summary"],), report_order=("summary", "clean"))
    >>> t.names
    ['clean', 'results', 'summary', 'report']
    """
    saving = tuple(s.name for s in steps if any(p.startswith("sections/") for p in s.outputs))
    order = report_order or tuple(s.name for s in (*steps, *after))
    results = replace(STEPS["results"], upstream=saving)
    return StepTable((*steps, results, *after, replace(STEPS["report"], upstream=(*order, "results"))))
