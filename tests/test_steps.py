"""The steps table and the fingerprints of a step's inputs (no notebooks are run here).

What is checked: the table matches notebooks/ and is consistent; project.yml is read by key
(a changed survey question text changes the outcomes step's inputs, not the cleaning's);
the code version follows the package's imports (found by pattern, compared with the syntax
tree) and the resource files the modules name; a notebook's saved outputs do not count;
the key is fingerprinted, never stored; the decision rules (never built, unchanged,
changed, forced, --only, an output changed since the last build).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from analysis.pipeline import inputs as fp
from analysis.pipeline.plan import StepInputs, decide, notebook_problems, wanted_steps
from analysis.pipeline.state import StepRecord, changed_inputs, describe_change, read_state, state_text
from analysis.pipeline.steps import STEPS, Step, StepTable, with_report
from analysis.project.config import load_project
from analysis.project.errors import FoljevalError
from conftest import ROOT
from test_architecture import graph


def test_the_table_names_every_report_notebook_and_nothing_else():
    assert notebook_problems(STEPS, ROOT / "notebooks") == []
    assert STEPS.notebooks == sorted(STEPS.notebooks, key=lambda n: STEPS.names.index(STEPS[_step(n)].name))
    assert [s.name for s in STEPS.report_order] == [
        "summary",
        "clean",
        "participants",
        "outcomes",
        "effects",
        "survival",
        "payback",
        "appendix",
    ]
    # the summary reads results.json: it runs after the results step, yet comes first in the report
    assert STEPS.names.index("summary") > STEPS.names.index("results")
    assert STEPS.ancestors("summary") >= {"results", "clean", "outcomes", "effects"}


def _step(notebook: str) -> str:
    return next(s.name for s in STEPS if s.notebook == notebook)


def test_an_unknown_or_missing_notebook_is_named(tmp_path):
    for name in STEPS.notebooks[1:]:
        (tmp_path / name).write_text("{}")
    (tmp_path / "06_costs.ipynb").write_text("{}")
    (tmp_path / "scratch.ipynb").write_text("{}")  # no number prefix: not a report notebook, ignored
    problems = notebook_problems(STEPS, tmp_path)
    assert len(problems) == 2
    assert f"{tmp_path / STEPS.notebooks[0]} is missing" in problems[0]
    assert "06_costs.ipynb is not a step of the report; add it to the steps table" in problems[1]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            (Step("b", "b.ipynb", upstream=("a",)), Step("a", "a.ipynb")),
            "step b needs a, which must be declared before it",
        ),
        ((Step("a", "a.ipynb"), Step("a", "b.ipynb")), "step a is declared twice"),
        ((Step("a"),), "notebook steps name a notebook"),
        ((Step("a", "a.ipynb", extra=("weather",)),), "unknown extra inputs ['weather']"),
    ],
)
def test_an_inconsistent_table_is_refused(steps, message):
    with pytest.raises(FoljevalError, match=message.replace("[", r"\[").replace("]", r"\]")):
        StepTable(tuple(steps) + (replace(STEPS["report"], upstream=()),))


def test_a_new_notebook_must_be_in_the_report_and_its_sections_merged():
    new = Step("costs", "06_costs.ipynb", upstream=("clean",), outputs=("sections/costs.json",))
    steps = list(STEPS.steps)
    steps.insert(steps.index(STEPS["appendix"]), new)
    with pytest.raises(FoljevalError) as e:
        StepTable(tuple(steps))
    assert "notebook steps costs are not in the report step's upstream" in str(e.value)
    assert "steps costs save sections but are not upstream of results" in str(e.value)
    fixed = with_report((STEPS["clean"], new), after=(STEPS["summary"],))
    assert fixed["results"].upstream == ("clean", "costs") and fixed.names[-1] == "report"


def test_select_maps_over_lists_and_mappings():
    data = {"survey": {"items": [{"id": "q1", "text_sv": "A"}, {"id": "q2", "text_sv": "B"}]}, "s": {"x": {"k": 1}}}
    assert fp.select(data, "survey.items.*.text_sv") == ["A", "B"]
    assert fp.select(data, "s.*.k") == {"x": 1}
    assert fp.select(data, "survey.missing") is None and fp.select(data, "nothing.at.all") is None


def _inputs(project, table=STEPS) -> StepInputs:
    return StepInputs(table, project, ROOT, "sv", ROOT / "notebooks", env={"FOLJEVAL_KEY": ""})


def test_project_yml_is_read_by_key_a_survey_text_does_not_rerun_the_cleaning(tmp_path):
    import shutil

    raw = tmp_path / "data" / "raw" / "c2-lycksele"
    shutil.copytree(ROOT / "data" / "raw" / "c2-lycksele", raw)
    before = load_project(raw)
    outputs = {"clean": {"processed/participants.parquet": "x"}}
    names = ("clean", "participants", "outcomes", "effects", "survival", "appendix", "results", "summary")
    old = {name: _inputs(before).of(STEPS[name], outputs) for name in names}
    text = (raw / "project.yml").read_text(encoding="utf-8")
    question = before.config.survey.items[0].text_sv
    (raw / "project.yml").write_text(text.replace(question, question + " (ny lydelse)"), encoding="utf-8")
    after = load_project(raw)
    changed = {name: changed_inputs(old[name], _inputs(after).of(STEPS[name], outputs)) for name in names}
    # outcomes shows the question; the appendix shows project.yml's checksum; nothing else reads it
    assert {k: v for k, v in changed.items() if v} == {"outcomes": ["config:survey"], "appendix": ["project_yml"]}
    # a response label is what the cleaning codes the answers with: that reruns it
    scales = copy.deepcopy(after.config.survey.scales)
    first = next(iter(scales))
    scales[first].labels_sv[0] = scales[first].labels_sv[0] + "!"
    relabelled = after.model_copy(
        update={
            "config": after.config.model_copy(
                update={"survey": after.config.survey.model_copy(update={"scales": scales})}
            )
        }
    )
    assert "config:survey.scales.*.labels_sv" in changed_inputs(
        _inputs(after).of(STEPS["clean"], outputs), _inputs(relabelled).of(STEPS["clean"], outputs)
    )


def test_defaults_count_as_values_and_comments_do_not_count(tmp_path):
    import shutil

    raw = tmp_path / "data" / "raw" / "barnfamiljer-goteborg"
    shutil.copytree(ROOT / "data" / "raw" / "barnfamiljer-goteborg", raw)
    before = _inputs(load_project(raw)).of(STEPS["clean"], {})
    text = (raw / "project.yml").read_text(encoding="utf-8")
    (raw / "project.yml").write_text("# a new comment\n" + text + "\nbridge_gap_months: 1\n", encoding="utf-8")
    after = _inputs(load_project(raw)).of(STEPS["clean"], {})
    assert changed_inputs(before, after) == []  # bridge_gap_months: 1 is the default, and clean does not read it


def test_the_regular_expression_finds_every_import_the_syntax_tree_finds():
    for module, deps in graph().items():
        path = fp.module_file(module)
        assert path is not None
        found = fp._source(path)[0]
        assert {d for d, _ in deps} <= found, module


def test_code_inputs_follow_the_imports_and_the_resources_the_modules_name():
    files = fp.code_files(["analysis.report.sections.survey"])
    assert "analysis/tables/survey.py" in files and "analysis/__init__.py" in files
    assert "analysis/pipeline/kernel.py" in files  # executes and scrubs every notebook
    i18n = sorted(p for p in files if p.startswith("analysis/resources/i18n/"))
    assert i18n and len(i18n) == len(list((ROOT / "src" / "analysis" / "resources" / "i18n").glob("*.yml")))
    assert not [p for p in files if p.startswith(("analysis/effects/", "analysis/survival/", "analysis/report/export"))]
    assert not [p for p in files if "templates" in p or "schema" in p]
    schema = fp.code_files(["analysis.report.results_file"])
    assert "analysis/resources/schema/results.schema.json" in schema
    assert any("templates/foljeval/foljeval.css" in p for p in fp.code_files(["analysis.report.export"]))


def test_every_resource_file_belongs_to_some_module():
    modules = list(graph())
    claimed = fp.claimed_data_files(modules)
    assert [p for p in fp.data_files() if p not in claimed] == []


def test_a_notebooks_saved_outputs_do_not_change_its_fingerprint(tmp_path):
    src = ROOT / "notebooks" / "02_participants.ipynb"
    nb = json.loads(src.read_text(encoding="utf-8"))
    run = copy.deepcopy(nb)
    for cell in run["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "saved by hand\n"}]
            cell["execution_count"] = 7
    edited = copy.deepcopy(nb)
    edited["cells"][-1]["source"] = "print('changed')"
    paths = {}
    for name, content in (("plain", nb), ("run", run), ("edited", edited)):
        paths[name] = tmp_path / f"{name}.ipynb"
        paths[name].write_text(json.dumps(content), encoding="utf-8")
    assert fp.notebook_digest(paths["plain"]) == fp.notebook_digest(paths["run"])
    assert fp.notebook_digest(paths["plain"]) != fp.notebook_digest(paths["edited"])
    assert fp.notebook_imports(src) >= {"analysis.report.sections.participants", "analysis.pipeline.notebook"}


def test_the_key_is_fingerprinted_never_stored(tmp_path):
    key_a, key_b = "a" * 40, "b" * 40
    fa = fp.key_fingerprint(False, {"FOLJEVAL_KEY": key_a, "HOME": str(tmp_path)}, tmp_path)
    fb = fp.key_fingerprint(False, {"FOLJEVAL_KEY": key_b, "HOME": str(tmp_path)}, tmp_path)
    assert fa != fb and len(fa) == 64 and key_a not in fa
    assert fp.sha256_bytes(key_a.encode()) != fa  # keyed: not the plain hash of the key either
    missing = fp.key_fingerprint(False, {"HOME": str(tmp_path)}, tmp_path)  # no key for a real project
    assert missing == fp.key_fingerprint(False, {"HOME": str(tmp_path)}, tmp_path) != fa


def test_decisions(tmp_path):
    step = STEPS["participants"]
    report, processed = tmp_path / "report", tmp_path / "processed"
    (report / "sections").mkdir(parents=True)
    (report / "sections" / "participants.json").write_text("{}")
    inputs = {"config:min_cell": "1", "upstream:clean": "2"}
    record = StepRecord(dict(inputs), {"sections/participants.json": fp.sha256_bytes(b"{}")})
    live = (report, processed)
    assert decide(step, inputs, None, live).reason == "never built"
    kept = decide(step, inputs, record, live)
    assert not kept.run and kept.reason == "inputs unchanged"
    changed = decide(step, {**inputs, "config:min_cell": "9"}, record, live)
    assert changed.run and changed.reason == "project.yml min_cell changed"
    assert decide(step, inputs, record, live, force=True).reason == "forced (--force)"
    assert decide(step, inputs, record, live, only=frozenset({"participants"})).reason == "asked for (--only)"
    other = decide(
        step, {**inputs, "config:min_cell": "9"}, record, live, only=frozenset({"effects"}), wanted=frozenset()
    )
    assert not other.run and other.keep_record
    assert other.reason == "out of date (project.yml min_cell changed), left as it was (--only)"
    assert decide(step, inputs, record, live, only=frozenset({"effects"})).reason == "inputs unchanged"
    (report / "sections" / "participants.json").write_text('{"edited": 1}')
    edited = decide(step, inputs, record, live)
    assert edited.run and "outputs changed since the last build (sections/participants.json)" in edited.reason


def test_only_runs_what_the_named_step_needs_and_what_depends_on_it():
    assert wanted_steps(STEPS, ("effects",)) == {"effects", "clean", "results", "summary", "report"}
    with pytest.raises(FoljevalError, match="--only costs: no such step; the steps are clean, participants"):
        wanted_steps(STEPS, ("costs",))


def test_describe_change_names_what_changed():
    names = ["config:survey", "raw:deltagare.csv", "code:analysis/tables/survey.py", "upstream:clean"]
    assert describe_change(names) == (
        "project.yml survey; raw file deltagare.csv; code analysis/tables/survey.py; output of clean changed"
    )


def test_the_state_file_round_trips_and_ignores_other_versions(tmp_path):
    records = {"clean": StepRecord({"a": "1"}, {"processed/x.parquet": "h"})}
    (tmp_path / "steps.json").write_text(state_text(records, ["clean", "report"]))
    again = read_state(tmp_path)
    assert again["clean"].inputs == {"a": "1"} and again["clean"].key == records["clean"].key
    (tmp_path / "steps.json").write_text(json.dumps({"version": 0, "steps": {}}))
    assert read_state(tmp_path) == {}
    (tmp_path / "steps.json").write_text("not json")
    assert read_state(tmp_path) == {}


def test_importing_the_command_line_and_validating_results_skips_the_slow_format_checkers():
    """jsonschema's optional rfc3987_syntax compiles lark grammars for seconds; foljeval never imports it."""
    code = (
        "import sys, analysis.pipeline.cli, analysis.pipeline.runner, analysis.report.results_file as r, nbformat; "
        "errors = [e.message for e in r.validator().iter_errors({'schema_version': 1})]; "
        "print(sys.modules.get('rfc3987_syntax'), 'lark' in sys.modules, bool(errors))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["None", "False", "True"], done.stderr


def test_results_dates_are_still_checked():
    from analysis.report.results_file import validator

    checker = validator().format_checker
    assert checker is not None and checker.conforms("2024-02-29", "date")
    assert not checker.conforms("2023-02-29", "date") and not checker.conforms("29/2/2024", "date")


def test_runner_steps_name_their_modules_and_exist():
    for step in STEPS:
        for module in step.code:
            assert fp.module_file(module) is not None, (step.name, module)
    assert Path(fp.module_file(fp.RUNNER_MODULES[0]) or "").name == "kernel.py"
