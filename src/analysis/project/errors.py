"""User-facing errors: each carries one clear message, shown without a traceback."""

from __future__ import annotations


class FoljevalError(Exception):
    """An error whose message is meant for the evaluator, not the programmer."""


class ConfigError(FoljevalError):
    """``project.yml`` is missing, malformed or invalid."""


class KeyMissingError(FoljevalError):
    """No pseudonymisation key is available for a real project."""


class BadFileError(FoljevalError):
    """A raw file cannot be used at all (unreadable, wrong encoding, required column missing)."""

    def __init__(self, file: str, message: str, column: str | None = None, row: int | None = None):
        self.file, self.column, self.row = file, column, row
        where = [file]
        if column is not None:
            where.append(f"column '{column}'")
        if row is not None:
            where.append(f"row {row}")
        super().__init__(f"{', '.join(where)}: {message}")


class ProjectBusyError(FoljevalError):
    """Another ``foljeval`` run holds the project's lock."""
