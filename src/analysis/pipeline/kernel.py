"""One project's kernel and the execution of one notebook in it with papermill.

The kernel is started when the first notebook of a build has to run and shared by the
project's notebooks: before each one its namespace and execution counter are reset
(:func:`analysis.pipeline.kernel_reset.fresh_namespace`), while imported modules stay loaded. The
executed notebook is scrubbed of what differs from run to run, so that a rerun on the
same input writes the same bytes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis.clean.identity import mask_personnummer
from analysis.project.errors import FoljevalError

KERNEL = "python3"
# no sqlite history file: nothing written to ~/.ipython, no commit per reset
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.hist_file=:memory:"]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def one_line(text: object) -> str:
    """An error message as one line: no colour codes, no line breaks, no personnummer."""
    return " ".join(mask_personnummer(_ANSI.sub("", str(text))).split())


def scrub_notebook(path: Path, root: Path) -> None:
    """Remove what differs between two runs of the same notebook on the same input."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    pm = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {"parameters": pm.get("parameters", {}), "version": pm.get("version")}
    stem = re.sub(r"[^A-Za-z0-9_-]", "-", path.stem)[:40]
    banner = 0
    for cell in nb.cells:
        for key in ("papermill", "execution"):
            cell.metadata.pop(key, None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell.id = f"{stem}-injected-parameters"
        elif (
            cell.cell_type == "markdown"
            and not cell.get("id", "").startswith(stem)
            and "papermill-error-cell-tag" in tags
        ):
            banner += 1
            cell.id = f"{stem}-error-{banner}"
    nbformat.write(nb, path)


def _error_cell(path: Path) -> tuple[str | None, int | None]:
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - the partial notebook is only used to name the cell
        return None, None
    for cell in nb.cells:
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return cell.get("id"), cell.get("execution_count")
    return None, None


@lru_cache(maxsize=1)
def _manager_class() -> Callable[..., Any]:
    """A KernelManager whose ``client()`` is one shared client, connected and ready once.

    papermill (nbclient) asks the kernel manager for a new client for every notebook and waits
    until it is ready, which costs at least 0.2 s each time (jupyter_client drains the iopub
    channel for 0.2 s), and the reset between notebooks needed another; it also leaves the
    channels of a client made from a manager it was given running, and each one logs "Could not
    destroy zmq context" when collected. One client, whose channels stay open until the kernel
    stops, avoids both: nbclient picks a notebook's messages by the id of the request they
    answer, so a message of an earlier notebook can never land in another.
    """
    from jupyter_client.blocking import BlockingKernelClient
    from jupyter_client.manager import KernelManager

    class SharedClient(BlockingKernelClient):
        ready = False

        def start_channels(self, *args: Any, **kwargs: Any) -> None:
            if not self.channels_running:
                super().start_channels(*args, **kwargs)

        def wait_for_ready(self, timeout: float | None = None) -> None:
            if not self.ready:
                super().wait_for_ready(timeout=timeout)
                self.ready = True

        def stop_channels(self) -> None:  # borrowers may not close it; the manager does, at the end
            pass

        def close(self) -> None:
            self.ready = False
            if self.channels_running:
                super().stop_channels()

    class SharedClientKernelManager(KernelManager):
        def client(self, **kwargs: Any):
            kc = self.__dict__.get("_foljeval_client")
            if kc is None:
                kc = self.__dict__["_foljeval_client"] = super().client(**kwargs)
            return kc

        def close_client(self) -> None:
            kc = self.__dict__.pop("_foljeval_client", None)
            if kc is not None:
                with contextlib.suppress(Exception):
                    kc.close()

    return lambda **kw: SharedClientKernelManager(client_factory=SharedClient, **kw)


class ProjectKernel:
    """One python3 kernel shared by a project's notebooks, started on first use."""

    # get_ipython().reset(new_session=True) without its costly full collection first (kernel_reset)
    RESET = '__import__("analysis.pipeline.kernel_reset", fromlist=["_"]).fresh_namespace()'

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.km: Any = None
        self.env = {**os.environ, **(env or {})}  # the kernel's environment: where this run writes
        self.used = False

    def __enter__(self) -> ProjectKernel:
        return self

    def start(self) -> None:
        """Start the kernel now (it starts up in the background while the caller works on)."""
        if self.km is None:
            self.km = _manager_class()(kernel_name=KERNEL)
            # ipykernel logs a warning about TCP without encryption (local kernel only) and
            # KeyboardInterrupt at shutdown; neither helps, real errors surface in the cells.
            self.km.start_kernel(extra_arguments=KERNEL_ARGS, env=self.env)

    def run_silently(self, code: str, timeout: float = 120) -> None:
        """Execute ``code`` in the kernel without output or history (the reset, imports ahead of time)."""
        self.start()
        kc = self.km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive(code, silent=True, store_history=False, timeout=timeout, output_hook=_ignore)
        if reply["content"]["status"] != "ok":
            raise FoljevalError(f"the kernel could not run {code.splitlines()[0][:60]!r}")

    def fresh(self):
        """The kernel manager, with an empty namespace and the execution counter at 1."""
        if self.used:
            self.run_silently(self.RESET, timeout=60)
        self.start()
        self.used = True
        return self.km

    def __exit__(self, *exc: object) -> None:
        if self.km is None:
            return
        self.km.close_client()
        with contextlib.suppress(Exception):  # the kernel may have died already
            self.km.shutdown_kernel(now=True)


def _ignore(msg: Any) -> None:
    return None


def run_notebook(src: Path, out: Path, project: str, root: Path, lang: str, km: Any = None) -> None:
    """Execute one notebook (in ``km``'s kernel when given); raise FoljevalError with one line
    naming the notebook, the cell and the error."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    # papermill warns about parameter comments it cannot parse and ipykernel about TCP without
    # encryption (local kernels only); neither helps the evaluator, real errors still surface.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    try:
        pm.execute_notebook(
            str(src.resolve()),
            str(out.resolve()),
            parameters={"project": project, "root": str(root), "lang": lang},
            kernel_name=KERNEL,
            language="python",
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            record_timing=False,
            **({"km": km} if km is not None else {"extra_arguments": KERNEL_ARGS}),
        )
    except PapermillExecutionError as e:
        cell_id, count = _error_cell(out)
        where = f"cell {cell_id}" if cell_id else f"cell {e.cell_index}"
        if count:
            where += f" (In [{count}])"
        raise FoljevalError(f"notebook {src.name}, {where}: {e.ename}: {one_line(e.evalue)}") from None
    except FoljevalError:
        raise
    except Exception as e:  # noqa: BLE001 - kernel died, bad notebook file, ...: report it as one line
        raise FoljevalError(f"notebook {src.name}: {type(e).__name__}: {one_line(e)}") from None
    finally:
        if out.is_file():
            scrub_notebook(out, root)
