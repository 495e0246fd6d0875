"""Where per-partition work runs: in this process (`local`) or on a Dask cluster (`dask`).

The interface is one method, `Engine.imap(fn, items)`: apply a pure, picklable function to each item
and yield the results in item order. The local engine is a plain loop (`engine.n_workers: 1`) or a
pool of `n_workers` processes (null: one per core) with at most `2 * n_workers` tasks in flight (a
partition each; cheap items such as ingest's files in small batches), so the results, and the tables
written from them in item order, are the serial ones, byte for byte. The Dask engine submits at
most `2 * workers` items ahead (memory stays bounded however many items there are) to an embedded
`LocalCluster` (no `engine.scheduler`) or to the cluster at `engine.scheduler` (`tcp://host:8786`).
Stages cut their input into partitions of whole documents (`partitions_by_key`), so what a function
sees is identical on both engines and so are the results.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from pipeline.common.config import EngineConfig
from pipeline.common.storage import compact

T = TypeVar("T")
R = TypeVar("R")
P = TypeVar("P", pd.DataFrame, pa.Table)


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


# Pool tasks of the local engine: cheap items are sent in batches of up to MAX_BATCH, sized so a task
# runs about TASK_SECONDS (partitions, which take longer, go one per task: memory stays bounded).
TASK_SECONDS = 0.05
MAX_BATCH = 64
PARENT_POLL_SECONDS = 1.0  # how often a pool worker checks that the stage process is still there


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True  # no /proc: existence is all we know


def exit_with(parent: int) -> None:
    """Pool worker initializer: exit when the stage process is gone (a SIGKILL leaves no orphans)."""
    def watch() -> None:
        while alive(parent):
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def run_batch(fn: Callable[[T], R], batch: list[T]) -> tuple[list[R], float]:
    """fn over a batch of items in a pool worker, with the seconds it took."""
    t = time.perf_counter()
    out = [fn(item) for item in batch]
    return out, time.perf_counter() - t


class LocalEngine:
    """This machine: a loop in this process (one worker) or a pool of worker processes."""

    kind = "local"

    def __init__(self, n_workers: int = 1) -> None:
        self.n_workers = max(1, n_workers)
        self._pool: ProcessPoolExecutor | None = None

    def imap(self, fn: Callable[[T], R], items: Iterable[T], total: int | None = None, desc: str = "",
             unit: str = "part") -> Iterator[R]:
        """A plain loop, or a bounded window of pool tasks; results in item order, with a progress bar."""
        if self.n_workers == 1:
            for item in tqdm(items, total=total, desc=desc, unit=unit, disable=progress_disabled()):
                yield fn(item)
            return
        if self._pool is None:  # forkserver: fresh workers, never a fork of a process holding threads (torch)
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            if ctx.get_start_method() == "forkserver":  # workers fork from a server that imported these once
                module = str(getattr(getattr(fn, "func", fn), "__module__", ""))
                ctx.set_forkserver_preload(["pipeline.common.storage", *([module] if module.startswith("pipeline.") else [])])
            self._pool = ProcessPoolExecutor(max_workers=self.n_workers, mp_context=ctx, initializer=exit_with,
                                             initargs=(os.getpid(),))
        window: deque[Future[tuple[list[R], float]]] = deque()
        batch: list[T] = []
        size = 1  # items per task: grows for cheap items (ingest's files) so that IPC does not dominate

        def take() -> list[R]:
            nonlocal size
            out, seconds = window.popleft().result()
            size = max(1, min(MAX_BATCH, int(TASK_SECONDS * len(out) / seconds) if seconds > 0 else MAX_BATCH))
            bar.update(len(out))
            return out

        with tqdm(total=total, desc=desc, unit=unit, disable=progress_disabled()) as bar:
            for item in items:
                batch.append(item)
                if len(batch) >= size:
                    window.append(self._pool.submit(run_batch, fn, batch))
                    batch = []
                    if len(window) >= 2 * self.n_workers:
                        yield from take()
            if batch:
                window.append(self._pool.submit(run_batch, fn, batch))
            while window:
                yield from take()

    def worker_pids(self) -> list[int]:
        """Process ids of the pool's workers (none before the first parallel imap or after close)."""
        return sorted(p.pid for p in getattr(self._pool, "_processes", {}).values() if p.pid)

    def close(self) -> None:
        """Stop the pool, if one was started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskEngine:
    """A dask.distributed Client: an embedded LocalCluster or an existing scheduler."""

    kind = "dask"

    def __init__(self, cfg: EngineConfig) -> None:
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if cfg.scheduler:
            self.client = Client(cfg.scheduler)
        else:
            self.cluster = LocalCluster(n_workers=cfg.workers(), threads_per_worker=1, processes=True,
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


ENGINES: dict[str, Callable[[EngineConfig], Engine]] = {"local": lambda cfg: LocalEngine(cfg.workers()),
                                                        "dask": DaskEngine}


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


def partitions_by_key(parts: Iterable[P], key: str, size: int) -> Iterator[P]:
    """Regroup a stream of DataFrames or Arrow tables into partitions of about `size` rows that never split a key.

    Rows of one key must be contiguous in the stream (ingest writes a document's utterances
    together); a key seen again after its partition was emitted raises ValueError. Arrow partitions
    are cut in Arrow and compacted (cheap to send to a worker); DataFrames get a fresh index.
    """
    size = max(1, size)
    pending: list[Any] = []
    n_pending = 0
    done: set[Any] = set()

    def emit(part: Any) -> Any:
        arrow = isinstance(part, pa.Table)
        keys = set(pc.unique(part.column(key)).to_pylist()) if arrow else set(part[key].unique())
        again = keys & done
        if again:
            raise ValueError(f"rows of {key}={sorted(again)[0]!r} are not contiguous; sort the table by {key}")
        done.update(keys)
        return compact(part) if arrow else part.reset_index(drop=True)

    for part in parts:
        if not len(part):
            continue
        pending.append(part)
        n_pending += len(part)
        if n_pending < size:
            continue
        whole = _concat(pending)
        cut = _trailing_run_start(whole, key)
        if cut > 0:
            yield emit(whole[:cut])
            pending, n_pending = [whole[cut:]], len(whole) - cut
        else:
            pending, n_pending = [whole], len(whole)
    if pending:
        yield emit(_concat(pending))


def _concat(parts: list[Any]) -> Any:
    """One DataFrame (fresh index) or Arrow table from a non-empty list of them."""
    if isinstance(parts[0], pa.Table):
        return pa.concat_tables(parts) if len(parts) > 1 else parts[0]
    return pd.concat(parts, ignore_index=True)


def _trailing_run_start(part: Any, key: str) -> int:
    """Number of rows before the run of rows that share the last row's key."""
    if isinstance(part, pa.Table):
        col = part.column(key)
        other = np.flatnonzero(~pc.equal(col, col[-1]).to_numpy(zero_copy_only=False))
    else:
        col = part[key]
        other = np.flatnonzero(~(col == col.iloc[-1]).to_numpy())
    return int(other[-1]) + 1 if len(other) else 0
