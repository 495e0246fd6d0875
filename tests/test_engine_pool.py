"""The local engine's process pool (issue 9): same tables as the serial loop, bounded read-ahead."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest
from test_engine import PART, run_chain

from pipeline.common.concepts import load_forms, spans_of, tag_spans
from pipeline.common.config import EngineConfig
from pipeline.common.engine import MAX_BATCH, LocalEngine, open_engine

TABLES = ("documents", "utterances", "problems", "skipped", "clean", "removals", "attributed", "participants",
          "units", "segment_problems")


def slow_square(x: int) -> int:
    """x * x after a pause longer than a batch's target (so each item is its own task)."""
    time.sleep(0.06)
    return x * x


def fail_on_three(x: int) -> int:
    """x, or ValueError for 3."""
    if x == 3:
        raise ValueError("item 3 is bad")
    return x


def test_pool_tables_and_files_equal_the_serial_ones(tmp_path):
    serial = run_chain(tmp_path / "serial", EngineConfig(kind="local", n_workers=1, partition_size=PART))
    pooled = run_chain(tmp_path / "pool", EngineConfig(kind="local", n_workers=2, partition_size=PART))
    for name in TABLES:
        pd.testing.assert_frame_equal(pooled[name], serial[name], obj=name)
    for k in ("clean_metrics", "attribute_metrics", "segment_metrics"):
        assert pooled[k] == serial[k], k
    assert len(pooled["units"]) == 494
    files = sorted(p.name for p in (tmp_path / "serial").glob("*.parquet"))
    assert len(files) == 9
    for name in files:  # byte-identical, not only equal after reading
        assert (tmp_path / "pool" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes(), name


def test_pool_keeps_order_and_bounds_read_ahead():
    drawn: list[int] = []

    def items(n: int):
        for i in range(n):
            drawn.append(i)
            yield i

    engine = LocalEngine(2)
    try:
        got = []
        for k, r in enumerate(engine.imap(slow_square, items(10))):
            got.append(r)
            assert len(drawn) <= k + 1 + 2 * 2  # slow items go one per task, at most 2 per worker ahead
        assert got == [i * i for i in range(10)]
        drawn.clear()
        cheap = engine.imap(abs, items(2000))  # cheap items are batched, still in order, still bounded
        first = next(cheap)
        assert first == 0 and len(drawn) <= 2 * 2 * MAX_BATCH + MAX_BATCH
        assert [first, *cheap] == list(range(2000))
    finally:
        engine.close()


def test_pool_raises_the_workers_error_and_closes():
    with open_engine(EngineConfig(kind="local", n_workers=2)) as engine:
        assert engine.n_workers == 2
        with pytest.raises(ValueError, match="item 3 is bad"):
            list(engine.imap(fail_on_three, range(6)))
        assert list(engine.imap(fail_on_three, [1, 2])) == [1, 2]  # the pool survives a failed task


def test_workers_knob():
    assert EngineConfig().workers() == (os.cpu_count() or 1)
    assert EngineConfig(n_workers=1).workers() == 1
    with open_engine(EngineConfig(kind="local", n_workers=1)) as engine:
        assert engine.n_workers == 1
        assert list(engine.imap(lambda x: -x, [1, 2])) == [-1, -2]  # serial: no pickling needed


def test_spans_of_equals_finditer_with_look_behind():
    forms = load_forms({"crm": {"forms": ["crm", "social crm", "a+b?"]},
                        "sm": {"forms": [{"pattern": "SM", "case": "sensitive"}]}}, "t")
    text = "xcrm crm_ crm, Social CRM. crmcrm crm SM sm xSM aab ab b caab"
    for t in (text, "İstanbul social  crm, SOCIAL CRM; ſocial crm; Ünï CRM crm", "social social crm crm"):
        lowered = t.lower() if t.isascii() else None
        for f in forms:
            assert spans_of(f, t, lowered) == [m.span() for m in f.regex.finditer(t) if m.end() > m.start()], f.source
    assert spans_of(forms[0], text) == [(5, 8), (10, 13), (22, 25), (34, 37)]  # "_" may touch
    assert tag_spans(text, [(0, 4), (5, 26), (27, 40), (41, 47)], forms) == [[], ["crm"], ["crm", "sm"], []]


def test_pool_workers_exit_when_the_stage_process_is_killed(tmp_path):
    import signal
    import subprocess
    import sys

    from pipeline.common.engine import alive

    script = ("import sys, time\nfrom pipeline.common.engine import LocalEngine\nif __name__ == '__main__':\n"
              "    e = LocalEngine(2)\n    assert list(e.imap(abs, [-1, -2, -3])) == [1, 2, 3]\n"
              "    print(*e.worker_pids(), flush=True)\n    time.sleep(60)\n")
    (tmp_path / "stage.py").write_text(script, encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(tmp_path / "stage.py")], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parents[1], env={**os.environ, "CI": "1"})
    pids = [int(p) for p in child.stdout.readline().split()]  # type: ignore[union-attr]
    assert len(pids) == 2 and all(alive(p) for p in pids)
    child.send_signal(signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in pids)


def test_errors_crossing_the_pool_keep_their_fields():
    """Items and results cross process boundaries pickled: the pipeline's multi-field errors must survive it."""
    import pickle

    from pipeline.acquire.fetch import FetchError
    from pipeline.ingest.adapters.base import SourceError

    err = pickle.loads(pickle.dumps(SourceError("malformed-xml", "a.xml line 3: not well-formed", "a.xml:3")))
    assert (type(err), err.reason, err.detail, err.location, str(err)) == (
        SourceError, "malformed-xml", "a.xml line 3: not well-formed", "a.xml:3", "a.xml line 3: not well-formed")
    fe = pickle.loads(pickle.dumps(FetchError("timeout", "https://example.org/x")))
    assert (fe.reason, fe.detail, str(fe)) == ("timeout", "https://example.org/x", "timeout: https://example.org/x")
    with open_engine(EngineConfig(n_workers=2)) as engine:
        got = list(engine.imap(repr, [SourceError("r", "d", None)]))
    assert got == ["SourceError('d')"]
