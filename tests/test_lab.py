"""Interactive work on one project: notebooks run by hand write to scratch, `foljeval lab` binds them.

The lab test starts the real JupyterLab (as root when the tests run as root, which JupyterLab
refuses without --allow-root), starts a kernel through its REST API and runs a notebook's
first lines in it, exactly as an evaluator's click on "Run" would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from analysis.pipeline import lab
from analysis.project import workspace
from analysis.project.errors import FoljevalError


def _hand_env(monkeypatch, root: Path, project: str | None) -> None:
    for name in (workspace.RUN_PROJECT_ENV, workspace.RUN_REPORT_DIR_ENV, workspace.RUN_PROCESSED_DIR_ENV):
        monkeypatch.delenv(name, raising=False)
    if project:
        monkeypatch.setenv(workspace.PROJECT_ENV, project)
    else:
        monkeypatch.delenv(workspace.PROJECT_ENV, raising=False)
    monkeypatch.setenv("FOLJEVAL_ROOT", str(root))
    monkeypatch.setenv("HOME", str(root / "home"))
    monkeypatch.setenv("FOLJEVAL_KEY", "")


def test_a_notebook_run_by_hand_writes_only_to_the_scratch_folders(mini_project, monkeypatch):
    from analysis.clean import clean_project
    from analysis.pipeline.notebook import setup
    from analysis.report.sections.cleaning import cleaning_section

    root = mini_project[0].parents[2]
    _hand_env(monkeypatch, root, "mini")
    ctx = setup("")  # the parameters cell left empty, as in notebooks/
    assert ctx.project.id == "mini" and ctx.interactive
    assert ctx.report_dir == root / "reports" / ".scratch" / "mini"
    assert ctx.processed_dir == root / "data" / "processed" / ".scratch" / "mini"
    result = clean_project(ctx.project)  # what 01_clean.ipynb does
    result.write(ctx.processed_dir)
    ctx.publish(cleaning_section(result))
    assert len(ctx.tables["participants"]) == 5  # later notebooks read the scratch tables (2 of the 5 kept with a note)
    assert (ctx.report_dir / "sections" / "cleaning.json").is_file()
    assert (ctx.processed_dir / "manifest.json").is_file()
    assert not (root / "reports" / "mini").exists() and not (root / "data" / "processed" / "mini").exists()
    assert ctx.results_dir == root / "reports" / "mini"  # no scratch results.json: the last good report's
    # `foljeval erase` removes scratch work too
    derived = workspace.derived_paths("mini", root)
    assert ctx.report_dir in derived and ctx.processed_dir in derived


def test_a_named_project_run_by_hand_also_writes_to_scratch(mini_project, monkeypatch):
    from analysis.pipeline.notebook import setup

    root = mini_project[0].parents[2]
    _hand_env(monkeypatch, root, None)
    ctx = setup("mini", str(root))
    assert ctx.interactive and ctx.report_dir == workspace.scratch_report_dir("mini", root)
    with pytest.raises(FoljevalError, match="parameter 'project' is empty.*foljeval lab PROJECT"):
        setup("")


def test_the_lab_command_runs_as_root_on_localhost_with_a_token(tmp_path):
    as_root = lab.lab_command(tmp_path, 8891, "t0k", browser=False, root_user=True)
    assert as_root[:3] == [sys.executable, "-m", "jupyterlab"] and "--allow-root" in as_root
    assert "--ServerApp.ip=127.0.0.1" in as_root and "--IdentityProvider.token=t0k" in as_root
    assert "--no-browser" in as_root and f"--ServerApp.root_dir={tmp_path}" in as_root
    assert "--allow-root" not in lab.lab_command(tmp_path, 8891, "t", root_user=False)
    env = lab.lab_environment("alv-vast", tmp_path, {workspace.RUN_REPORT_DIR_ENV: "/x", "PATH": "/bin"})
    assert env[workspace.PROJECT_ENV] == "alv-vast" and env["FOLJEVAL_ROOT"] == str(tmp_path)
    assert workspace.RUN_REPORT_DIR_ENV not in env  # a lab kernel never writes into a report run's folder


def test_lab_without_a_project_lists_the_projects(mini_project):
    from typer.testing import CliRunner

    from analysis.pipeline.cli import app

    root = mini_project[0].parents[2]
    result = CliRunner().invoke(app, ["lab", "--root", str(root)])
    assert result.exit_code == 2 and "foljeval lab PROJECT (projects: mini)" in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["lab", "nope", "--root", str(root)])
    assert result.exit_code == 1 and "no project.yml for nope" in result.output


def _api(url: str, token: str, post: bool = False) -> dict:
    headers = {"Authorization": f"token {token}"}
    req = urllib.request.Request(url, data=b"{}" if post else None, method="POST" if post else "GET", headers=headers)
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read())


def _run_in_kernel(connection_file: Path, code: str) -> str:
    from jupyter_client import BlockingKernelClient

    kc = BlockingKernelClient(connection_file=str(connection_file))
    kc.load_connection_file()
    kc.start_channels()
    out: list[str] = []
    try:
        for attempt in range(60):  # without a kernel manager the client judges by the heartbeat, late at start
            try:
                kc.wait_for_ready(timeout=120)
                break
            except RuntimeError:
                if attempt == 59:
                    raise
                time.sleep(1)
        reply = kc.execute_interactive(
            code,
            timeout=120,
            output_hook=lambda m: out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None,
        )
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        kc.stop_channels()
    return "".join(out)


@pytest.mark.slow
def test_lab_serves_the_notebooks_bound_to_the_chosen_project(mini_project, tmp_path):
    root = mini_project[0].parents[2]
    (root / "notebooks").mkdir()
    runtime = tmp_path / "runtime"
    env = {
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "HOME": str(tmp_path / "home"),
        "FOLJEVAL_KEY": "",
    }
    import os

    server = lab.start_lab("mini", root, browser=False, env={**os.environ, **env}, stderr=subprocess.DEVNULL)
    try:
        assert server.url.startswith(f"http://127.0.0.1:{server.port}/lab?token=")
        if lab.is_root():
            assert "--allow-root" in server.process.args  # JupyterLab would have refused to start without it
        from jupyter_server.serverapp import list_running_servers  # what `jupyter server list` prints

        servers = list(list_running_servers(str(runtime)))
        assert [s["port"] for s in servers] == [server.port] and servers[0]["root_dir"] == str(root / "notebooks")
        kernel = _api(f"http://127.0.0.1:{server.port}/api/kernels", server.token, post=True)
        connection = runtime / f"kernel-{kernel['id']}.json"
        for _ in range(300):
            if connection.is_file():
                break
            time.sleep(0.1)
        printed = _run_in_kernel(
            connection,
            'project = ""\n'  # the parameters cell as committed
            "from analysis.pipeline.notebook import setup\n"
            "from analysis.report.results import save_section\n"
            "ctx = setup(project)\n"
            "save_section(ctx.report_dir, 'demo', {'n': 10})\n"
            "print(ctx.project.id, ctx.report_dir)",
        )
        assert printed.split() == ["mini", str(root / "reports" / ".scratch" / "mini")]
        assert (root / "reports" / ".scratch" / "mini" / "sections" / "demo.json").is_file()
        assert not (root / "reports" / "mini").exists()
    finally:
        server.stop()
    assert server.process.poll() is not None
    assert list(list_running_servers(str(runtime))) == []
