"""Where per-partition work runs: in this process (`local`) or on a Dask cluster (`dask`).

The interface is one method, `Engine.imap(fn, items)`: apply a pure, picklable function to each item
and yield the results in item order. The local engine is a plain loop; the Dask engine submits at
most `2 * workers` items ahead (memory stays bounded however many items there are) to an embedded
`LocalCluster` (no `engine.scheduler`) or to the cluster at `engine.scheduler` (`tcp://host:8786`).
Stages cut their input into partitions of whole documents (`partitions_by_key`), so what a function
sees is identical on both engines and so are the results.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

import pandas as pd
from tqdm import tqdm

from pipeline.config import EngineConfig

T = TypeVar("T")
R = TypeVar("R")


def progress_disabled() -> bool:
    """Progress bars are off under CI (the CI environment variable is set)."""
    return bool(os.environ.get("CI"))


class Engine(Protocol):
    """Runs a function over items, results in item order."""

    kind: str
    n_workers: int

    def imap(self, fn: Callable[[T], R], items: Iterable[T], total: int | None = None, desc: str = "",
             unit: str = "part") -> Iterator[R]:
        """fn(item) for each item, in order (lazily: items are consumed as results are taken)."""
        ...

    def close(self) -> None:
        """Release workers."""
        ...


class LocalEngine:
    """Everything in this process, one item at a time."""

    kind = "local"
    n_workers = 1

    def imap(self, fn: Callable[[T], R], items: Iterable[T], total: int | None = None, desc: str = "",
             unit: str = "part") -> Iterator[R]:
        """A plain loop with a progress bar."""
        for item in tqdm(items, total=total, desc=desc, unit=unit, disable=progress_disabled()):
            yield fn(item)

    def close(self) -> None:
        """Nothing to release."""


class DaskEngine:
    """A dask.distributed Client: an embedded LocalCluster or an existing scheduler."""

    kind = "dask"

    def __init__(self, cfg: EngineConfig) -> None:
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if cfg.scheduler:
            self.client = Client(cfg.scheduler)
        else:
            self.cluster = LocalCluster(n_workers=cfg.n_workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.WARNING)
            self.client = Client(self.cluster)
        self.n_workers = max(1, len(self.client.scheduler_info()["workers"]))

    def imap(self, fn: Callable[[T], R], items: Iterable[T], total: int | None = None, desc: str = "",
             unit: str = "part") -> Iterator[R]:
        """Submit items with a bounded window; yield results in order."""
        window: deque[Any] = deque()
        ahead = 2 * self.n_workers
        with tqdm(total=total, desc=desc, unit=unit, disable=progress_disabled()) as bar:
            for item in items:
                window.append(self.client.submit(fn, item, pure=False))
                if len(window) >= ahead:
                    yield window.popleft().result()
                    bar.update(1)
            while window:
                yield window.popleft().result()
                bar.update(1)

    def run_on_workers(self, fn: Callable[[], R]) -> dict[str, R]:
        """fn() once in every worker process (by worker address)."""
        return self.client.run(fn)

    def close(self) -> None:
        """Close the client and, when embedded, the cluster."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


ENGINES: dict[str, Callable[[EngineConfig], Engine]] = {"local": lambda cfg: LocalEngine(), "dask": DaskEngine}


@contextlib.contextmanager
def open_engine(cfg: EngineConfig | None = None) -> Iterator[Engine]:
    """The engine named by `cfg.kind`, closed on exit."""
    cfg = cfg or EngineConfig()
    engine = ENGINES[cfg.kind](cfg)
    try:
        yield engine
    finally:
        engine.close()


def map_partitions(fn: Callable[[T], R], items: Iterable[T], cfg: EngineConfig | None = None,
                   desc: str = "") -> list[R]:
    """fn over every item on the configured engine (opened and closed here); results in item order."""
    with open_engine(cfg) as engine:
        return list(engine.imap(fn, items, desc=desc))


def partitions_by_key(frames: Iterable[pd.DataFrame], key: str, size: int) -> Iterator[pd.DataFrame]:
    """Regroup a stream of frames into partitions of about `size` rows that never split a key.

    Rows of one key must be contiguous in the stream (ingest writes a document's utterances
    together); a key seen again after its partition was emitted raises ValueError.
    """
    size = max(1, size)
    pending: list[pd.DataFrame] = []
    n_pending = 0
    done: set[Any] = set()

    def emit(df: pd.DataFrame) -> pd.DataFrame:
        keys = set(df[key].unique())
        again = keys & done
        if again:
            raise ValueError(f"rows of {key}={sorted(again)[0]!r} are not contiguous; sort the table by {key}")
        done.update(keys)
        return df.reset_index(drop=True)

    for df in frames:
        if df.empty:
            continue
        pending.append(df)
        n_pending += len(df)
        if n_pending < size:
            continue
        whole = pd.concat(pending, ignore_index=True)
        last = whole[key].iloc[-1]
        cut = len(whole) - int((whole[key] == last)[::-1].cummin().sum())  # rows before the trailing key run
        if cut > 0:
            yield emit(whole.iloc[:cut])
            pending, n_pending = [whole.iloc[cut:]], len(whole) - cut
        else:
            pending, n_pending = [whole], len(whole)
    if pending:
        yield emit(pd.concat(pending, ignore_index=True))


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of up to `size` items."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def map_row_chunks(fn: Callable[[Any], Any], x: Any, engine: Engine, size: int, desc: str = "score") -> Any:
    """A row-wise function (rows in, one result row per input row) over chunks of `size` rows on the engine,
    results stacked in order: the hook for per-unit scoring (frames, roles) on large corpora."""
    import numpy as np

    n = len(x)
    parts = list(engine.imap(fn, (x[i:i + max(1, size)] for i in range(0, n, max(1, size))),
                             total=-(-n // max(1, size)), desc=desc))
    return np.concatenate(parts) if parts else fn(x[:0])
