"""Interruptions (issue 10): a stage killed mid-write leaves the previous outputs intact; the rerun recovers.

The child process runs the real ingest CLI with pipeline.common.storage.atomic_path wrapped so that it pauses after
writing the temporary utterances file (before the rename); the test SIGKILLs it there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from pipeline.common.schema import TABLES
from pipeline.common.storage import read_table

ROOT = Path(__file__).resolve().parents[1]
OUTS = {"documents": "documents", "utterances": "utterances", "problems": "problems", "skipped": "skipped_spans"}
CHILD = """
import contextlib, sys, time
from pathlib import Path
import pipeline.common.storage as io
real = io.atomic_path

@contextlib.contextmanager
def slow(path):
    with real(path) as tmp:
        yield tmp
        if Path(path).name == "utterances.parquet":
            Path(sys.argv[1]).write_text(str(tmp))
            time.sleep(60)

io.atomic_path = slow
from pipeline.__main__ import main
sys.exit(main(sys.argv[2:]))
"""


def _args(out: Path) -> list[str]:
    return [a for k, v in OUTS.items() for a in (f"--{k}", str(out / f"{v}.parquet"))]


def _ingest(root: Path, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "pipeline", "ingest", "--params", "params.yaml", "--root", ".", *_args(out)],
                   cwd=root, check=True, capture_output=True, env={**os.environ, "CI": "1", "PYTHONPATH": str(ROOT)})


def _project(root: Path) -> None:
    seeds = ROOT / "data" / "raw" / "seeds"
    (root / "data" / "raw" / "seeds").mkdir(parents=True)
    for p in seeds.iterdir():
        (root / "data" / "raw" / "seeds" / p.name).write_bytes(p.read_bytes())
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    (root / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")


def test_kill_mid_write_keeps_old_outputs_and_rerun_recovers(tmp_path: Path) -> None:
    _project(tmp_path)
    out = tmp_path / "out"
    _ingest(tmp_path, out)
    before = {k: (out / f"{v}.parquet").read_bytes() for k, v in OUTS.items()}
    # new input: one more thread, so new outputs differ from the old ones
    (tmp_path / "data" / "raw" / "seeds" / "new.txt").write_text("New thread\n\nA new post body.\n\n1 Comments\n"
                                                                 "• A comment.\n", encoding="utf-8")
    marker = tmp_path / "writing"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(marker), "ingest", "--params", "params.yaml",
                              "--root", ".", *_args(out)], cwd=tmp_path,
                             env={**os.environ, "CI": "1", "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert child.poll() is None and time.monotonic() < deadline, "child ended before the write"
        time.sleep(0.05)
    tmp = Path(marker.read_text())
    assert tmp.exists() and tmp.parent == out  # the temporary file is being written beside the target
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    # The table being written, and those after it, are the old ones byte for byte; documents (written
    # before) is complete and new. Every file reads back whole.
    for k in ("utterances", "problems", "skipped"):
        assert (out / f"{OUTS[k]}.parquet").read_bytes() == before[k], k
    for v in OUTS.values():
        read_table(out / f"{v}.parquet", TABLES[v])
    assert len(read_table(out / "documents.parquet", TABLES["documents"])) == 6
    _ingest(tmp_path, out)  # rerun after the crash
    assert not tmp.exists() and not list(out.glob(".*.tmp"))  # the killed run's temporary file is gone
    fresh = tmp_path / "fresh"
    _ingest(tmp_path, fresh)  # clean run on the same input
    for v in OUTS.values():
        assert (out / f"{v}.parquet").read_bytes() == (fresh / f"{v}.parquet").read_bytes(), v
    utts = read_table(out / "utterances.parquet", TABLES["utterances"])
    assert "A new post body." in set(utts.text)
