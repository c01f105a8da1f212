"""The outcome of one project's build (:func:`analysis.pipeline.runner.build_project`), as the console and the index see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ProjectRun:
    """The outcome of one project's build."""

    project: str
    ok: bool
    report: Path | None = None
    message: str = ""
    notebooks: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notebook_seconds: dict[str, float] = field(default_factory=dict)
    refused: bool = False  # another run holds the project's lock; nothing was written
    error_page: Path | None = None
    ran: dict[str, str] = field(default_factory=dict)  # step -> why it ran
    skipped: dict[str, str] = field(default_factory=dict)  # step -> why it was skipped
    up_to_date: bool = False  # nothing ran and nothing was written
    pdf_note: str = ""  # why report.pdf was not made, when it was asked for
    pdf_seconds: float | None = None  # the time Chromium took to print report.pdf (both languages)
    other_seconds: float | None = None  # the time the report in the other language took (its PDF included)
    delivery: str | None = None  # the delivery built (YYYY-MM-DD); None: a project without delivery folders
    earlier: list[str] = field(default_factory=list)  # one line per earlier delivery built or found up to date

    def summary_line(self) -> str:
        """One line for the console: status, project, what ran, time and the report's path or the cause."""
        name = f"{self.project} (delivery {self.delivery})" if self.delivery else self.project
        if self.ok and self.up_to_date:
            return f"ok      {name}: up to date, {len(self.skipped)} steps skipped (inputs unchanged) -> {self.report}"
        if self.ok:
            done = f"{len(self.ran)} of {len(self.ran) + len(self.skipped)} steps run"
            return f"ok      {name}: {done} in {self.seconds:.1f} s -> {self.report}"
        if self.refused:
            return f"REFUSED {name}: {self.message}"
        where = f" -> {self.error_page}" if self.error_page else ""
        kept = f" (the last good report is kept: {self.report})" if self.report else ""
        return f"FAILED  {name}: {self.message}{where}{kept}"

    def step_lines(self) -> list[str]:
        """Which steps ran and why, which were skipped and why (one line per reason)."""
        lines = [f"    {line}" for line in self.earlier]
        for verb, steps in (("ran", self.ran), ("skipped", self.skipped)):
            by_reason: dict[str, list[str]] = {}
            for name, why in steps.items():
                by_reason.setdefault(why, []).append(name)
            lines += [f"    {verb:<8} {', '.join(names)}: {why}" for why, names in by_reason.items()]
        return lines

    def to_json(self) -> dict:
        """What the index needs (no times, so that reruns give identical files)."""
        return {"project": self.project, "ok": self.ok, "message": self.message, "notebooks": self.notebooks}
