"""``foljeval lab PROJECT``: JupyterLab on ``notebooks/`` with every notebook bound to one project.

The server is started with the project in its environment (``FOLJEVAL_PROJECT``, and
``FOLJEVAL_ROOT`` for the repository), which every kernel it starts inherits: a notebook
whose ``project`` parameter is empty runs for that project
(:func:`analysis.pipeline.notebook.setup`), and, not being run by ``foljeval report``, writes
into the project's scratch folders (``reports/.scratch/<project>/``,
``data/processed/.scratch/<project>/``), never into its report or processed data.

The server listens on 127.0.0.1 only, on a free port unless one is given, with a random
token; the address is printed once the server answers. JupyterLab refuses to run as root
without ``--allow-root``, which is added when the effective user is root (containers,
WSL set-ups). Ctrl-C stops it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from analysis.project import workspace
from analysis.project.errors import FoljevalError


@dataclass(frozen=True)
class LabServer:
    """A JupyterLab server process and the address that opens it."""

    process: subprocess.Popen
    url: str
    port: int
    token: str

    def stop(self, timeout: float = 20) -> None:
        """Ask the server to stop (it shuts its kernels down), kill it if it does not."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_root() -> bool:
    """True for the superuser on POSIX (Windows has no euid and JupyterLab no such check there)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def lab_command(
    notebooks: Path, port: int, token: str, browser: bool = True, root_user: bool | None = None
) -> list[str]:
    """The command that starts JupyterLab (the venv's Python, no shell)."""
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={notebooks}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.answer_yes=True",  # Ctrl-C stops the server without asking
    ]
    if not browser:
        cmd.append("--no-browser")
    if is_root() if root_user is None else root_user:
        cmd.append("--allow-root")
    return cmd


def lab_environment(project: str, root: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's (and so every kernel's) environment: the project and the repository root."""
    env = dict(os.environ if base is None else base)
    env[workspace.PROJECT_ENV] = project
    env["FOLJEVAL_ROOT"] = str(root)
    for name in (workspace.RUN_PROJECT_ENV, workspace.RUN_REPORT_DIR_ENV, workspace.RUN_PROCESSED_DIR_ENV):
        env.pop(name, None)  # never a report run's temporary folders
    return env


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_lab(
    project: str,
    root: Path,
    *,
    port: int = 0,
    browser: bool = True,
    timeout: float = 120,
    env: dict[str, str] | None = None,
    stderr=None,
) -> LabServer:
    """Start JupyterLab for ``project`` and return once it answers.

    Raises
    ------
    FoljevalError
        The server stopped or did not answer within ``timeout`` seconds.

    Example
    -------
    >>> server = start_lab("alv-vast", Path("."), browser=False)  # doctest: +SKIP
    >>> print(server.url)  # doctest: +SKIP
    http://127.0.0.1:41237/lab?token=...
    >>> server.stop()  # doctest: +SKIP
    """
    root = Path(root).resolve()
    port = port or free_port()
    token = secrets.token_hex(24)
    cmd = lab_command(root / "notebooks", port, token, browser)
    process = subprocess.Popen(cmd, env=lab_environment(project, root, env), cwd=root, stderr=stderr)
    server = LabServer(process, f"http://127.0.0.1:{port}/lab?token={token}", port, token)
    status = f"http://127.0.0.1:{port}/api/status?token={token}"
    end = time.monotonic() + timeout
    while not _answers(status):
        if process.poll() is not None:
            raise FoljevalError(f"JupyterLab stopped at start (exit code {process.returncode}); its messages are above")
        if time.monotonic() > end:
            server.stop()
            raise FoljevalError(f"JupyterLab did not answer on port {port} within {timeout:.0f} s")
        time.sleep(0.3)
    return server


def run_lab(project: str, root: Path, say: Callable[[str], None], *, port: int = 0, browser: bool = True) -> int:
    """Start JupyterLab, print its address and what the notebooks are bound to, wait until Ctrl-C."""
    server = start_lab(project, root, port=port, browser=browser)
    say(
        f"JupyterLab for {project}: {server.url}\n"
        f"Notebooks with an empty project parameter run for {project}; what they write goes to "
        f"reports/.scratch/{project}/ and data/processed/.scratch/{project}/, never to reports/{project}/. "
        f"`foljeval report {project}` builds the report. Ctrl-C stops JupyterLab."
    )
    try:
        return server.process.wait()
    except KeyboardInterrupt:
        server.stop()
        return 0
