"""A DuckDB connection for the out-of-core steps: a memory limit, a thread count, spilling to a folder."""

from __future__ import annotations

from pathlib import Path


def connect(database: Path | None = None, memory_limit: str = "3GB", threads: int = 2, temp_dir: Path | None = None):
    """A DuckDB connection with a memory limit that spills to ``temp_dir``.

    Example
    -------
    >>> con = connect(None, "1GB", 1)
    >>> con.execute("SELECT 1 + 1").fetchall()
    [(2,)]
    """
    import duckdb

    con = duckdb.connect(str(database) if database else ":memory:")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")
    if temp_dir is not None:
        Path(temp_dir).mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{Path(temp_dir).as_posix()}'")
    return con
