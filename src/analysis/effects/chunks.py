"""Chunks of persons for the chunked effect estimators: the chunk, re-readable sources, the first pass.

A *source* is read several times (one *pass* each, counted by :class:`Passes`): a sequence of
:class:`Chunk`, or a function returning a fresh iterable of them such as :func:`parquet_chunks`
(one parquet row group, or batch, at a time). :func:`moments` is the first pass: counts, the
covariates' means and standard deviations, and per group the Gram matrix of ``[1, Z, y]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Chunk", "ChunkSource", "Moments", "Passes", "gram", "moments", "parquet_chunks"]


@dataclass
class Chunk:
    """A block of persons: treatment ``d`` (0/1), outcome ``y``, covariates ``X`` (no intercept).

    ``y_before`` is the outcome in the base period, for the difference-in-differences.
    """

    d: np.ndarray
    y: np.ndarray
    X: np.ndarray
    y_before: np.ndarray | None = None


ChunkSource = Callable[[], Iterable[Chunk]] | Sequence[Chunk]


class Passes:
    """Re-reads a chunk source and counts the passes over it."""

    def __init__(self, source: ChunkSource, change: bool = False):
        if not callable(source) and iter(source) is source:
            raise TypeError("chunks are read several times: give a sequence or a function returning an iterable")
        self.source, self.change, self.count = source, change, 0

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        self.count += 1
        chunks = self.source() if callable(self.source) else self.source
        for c in chunks:
            arrays = self._arrays(c)
            del c
            if arrays is not None:
                yield arrays
            del arrays  # before the next chunk is read

    def _arrays(self, c: Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        d = np.asarray(c.d, dtype=float)
        if not len(d):
            return None
        y = np.asarray(c.y, dtype=float)
        if self.change:
            if c.y_before is None:
                raise ValueError("the difference-in-differences needs y_before in every chunk")
            y = y - np.asarray(c.y_before, dtype=float)
        return d, y, np.asarray(c.X, dtype=float).reshape(len(d), -1)


@dataclass
class Moments:
    """Pass 0: counts, standardisation and the per-group Gram matrices in standardised coordinates."""

    n: int
    n1: int
    mean: np.ndarray  # covariate means (all rows)
    sd: np.ndarray  # covariate standard deviations (ddof 0; 1 where constant)
    y_shift: float  # outcomes are centred at this value in every later sum
    gram1: np.ndarray  # sum over treated of w w', w = [1, Z, y - y_shift]
    gram0: np.ndarray  # the same over the comparison group

    def design(self, X: np.ndarray) -> np.ndarray:
        Z = np.empty((len(X), X.shape[1] + 1), order="F")  # column-major: every product below runs faster
        Z[:, 0] = 1.0
        np.subtract(X, self.mean, out=Z[:, 1:])
        Z[:, 1:] /= self.sd
        return Z


def moments(passes: Passes) -> Moments:
    shift: np.ndarray | None = None
    grams = [np.zeros(0), np.zeros(0)]
    for d, y, X in passes:
        if shift is None:  # the first chunk's means: the sums of squares then do not cancel
            shift = np.r_[X.mean(axis=0), y.mean()]
            grams = [np.zeros((len(shift) + 1,) * 2) for _ in range(2)]
        V = np.empty((len(d), len(shift) + 1), order="F")
        V[:, 0] = 1.0
        np.subtract(X, shift[:-1], out=V[:, 1:-1])
        V[:, -1] = y - shift[-1]
        # the smaller group's rows are copied, the larger group's Gram is the total minus it (no
        # cancellation to speak of: the part subtracted is at most half); V'V of one operand is
        # numpy's symmetric product, half the work
        small = 1 if 2 * np.count_nonzero(d == 1) <= len(d) else 0
        Vs = V[(d == 1) == bool(small)]
        g_small = Vs.T @ Vs
        grams[small] += g_small
        grams[1 - small] += V.T @ V - g_small
    if shift is None:
        raise ValueError("no rows in the chunks")
    G = grams[0] + grams[1]
    n, n1 = int(round(G[0, 0])), int(round(grams[1][0, 0]))
    if n1 == 0 or n1 == n:
        raise ValueError("both participants and comparison persons are needed")
    k = len(shift) - 1
    mu = G[0, 1:] / n  # means of [X - shift, y - shift]
    var = np.diag(G)[1 : k + 1] / n - mu[:k] ** 2
    sd = np.sqrt(np.maximum(var, 0.0))
    sd[sd <= 1e-12 * np.maximum(1.0, np.abs(shift[:k]))] = 1.0
    # map [1, X - shift, y - shift] -> [1, (X - mean) / sd, y - y_shift] (y keeps its own shift)
    M = np.eye(k + 2)
    M[1 : k + 1, 0] = -mu[:k] / sd
    M[1 : k + 1, 1 : k + 1] = np.diag(1 / sd)
    g0, g1 = (M @ g @ M.T for g in grams)
    return Moments(n, n1, shift[:k] + mu[:k], sd, float(shift[-1]), g1, g0)


def gram(Z: np.ndarray, root_weight: np.ndarray, block: int = 1 << 17) -> np.ndarray:
    """``Z' diag(w) Z`` from ``sqrt(w)``: the symmetric product of one scaled copy (half a general
    product), ``block`` rows at a time so that the copy stays small beside the chunk."""
    out = np.zeros((Z.shape[1], Z.shape[1]))
    for i in range(0, len(Z), block):
        Zs = np.multiply(Z[i : i + block], root_weight[i : i + block, None], order="F")
        out += Zs.T @ Zs
    return out


def parquet_chunks(
    path, d: str, y: str, X: Sequence[str], y_before: str | None = None, batch_rows: int | None = None
) -> Callable[[], Iterator[Chunk]]:
    """A chunk source reading a parquet file, or a folder of them, one row group at a time.

    With ``batch_rows`` the row groups are read in batches of at most that many rows instead: the
    arrays of a chunk then no longer depend on how the file was written (pyarrow's own read
    buffers still do, in part).

    Example
    -------
    >>> source = parquet_chunks("persons/", d="treated", y="earnings_after", X=["age", "female"])  # doctest: +SKIP
    >>> chunked_effects(source)["ipw"].estimate  # doctest: +SKIP
    """
    from pathlib import Path

    import pyarrow.parquet as pq

    root = Path(path)
    files = sorted(root.glob("*.parquet")) if root.is_dir() else [root]
    columns = [d, y, *X] + ([y_before] if y_before else [])

    def tables(f: Path):
        pf = pq.ParquetFile(f)
        if batch_rows:
            yield from pf.iter_batches(batch_size=batch_rows, columns=columns)
        else:
            yield from (pf.read_row_group(i, columns=columns) for i in range(pf.num_row_groups))

    def numbers(t, name: str) -> np.ndarray:
        return t.column(name).to_numpy().astype(float, copy=False)

    def chunks() -> Iterator[Chunk]:
        for f in files:
            for t in tables(f):
                Xc = np.empty((t.num_rows, len(X)), order="F")  # filled column by column: contiguous
                for j, c in enumerate(X):
                    Xc[:, j] = numbers(t, c)
                chunk = Chunk(numbers(t, d), numbers(t, y), Xc, numbers(t, y_before) if y_before else None)
                del t, Xc  # the table's covariate columns are copied: only the chunk keeps memory
                yield chunk
                del chunk  # before the next row group is read

    return chunks
