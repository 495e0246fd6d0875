"""Streaming table helpers (issue 9): chunked writes land whole or not at all; reads come back in row groups."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.common.schema import PROBLEMS
from pipeline.common.storage import (
    TableWriter,
    count_rows,
    iter_row_groups,
    read_table,
    write_table,
)


def rows(n: int, start: int = 0) -> pd.DataFrame:
    """n problems rows numbered from `start`."""
    return pd.DataFrame({"corpus": "c", "source": [f"f{i}" for i in range(start, start + n)],
                         "location": [None if i % 2 else f"line {i}" for i in range(start, start + n)],
                         "stage": "test", "reason": "r", "detail": "d"})


def test_writer_appends_in_row_groups_and_reads_back_exactly(tmp_path):
    path = tmp_path / "p.parquet"
    with TableWriter(PROBLEMS, path, row_group_size=4) as w:
        for k in range(5):
            w.write(rows(3, 3 * k))  # 15 rows, written as row groups of exactly 4 as they fill up
        w.write(rows(0))
    assert w.rows == 15 and count_rows(path) == 15
    assert pq.ParquetFile(path).metadata.num_row_groups == 4
    groups = list(iter_row_groups(path, PROBLEMS))
    assert [len(g) for g in groups] == [4, 4, 4, 3]
    whole = pd.concat(groups, ignore_index=True)
    assert whole["source"].tolist() == [f"f{i}" for i in range(15)]
    full = tmp_path / "full.parquet"
    write_table(rows(15), PROBLEMS, full)
    pd.testing.assert_frame_equal(read_table(path, PROBLEMS), read_table(full, PROBLEMS))


def test_writer_is_atomic_on_error(tmp_path):
    path = tmp_path / "p.parquet"
    write_table(rows(2), PROBLEMS, path)
    with pytest.raises(RuntimeError, match="boom"), TableWriter(PROBLEMS, path, row_group_size=1) as w:
        w.write(rows(5))  # already flushed to the temporary file
        raise RuntimeError("boom")
    assert count_rows(path) == 2  # the old table is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.parquet"]  # no temporary file left


def test_writer_checks_schema_and_writes_empty_tables(tmp_path):
    path = tmp_path / "p.parquet"
    with pytest.raises(ValueError, match="missing columns"), TableWriter(PROBLEMS, path) as w:
        w.write(rows(2).drop(columns="reason"))
    assert not path.exists()
    with TableWriter(PROBLEMS, path):
        pass
    assert count_rows(path) == 0 and read_table(path, PROBLEMS).columns.tolist() == PROBLEMS.names
    assert sum(len(g) for g in iter_row_groups(path)) == 0


def test_an_atomic_write_to_a_device_writes_through_and_never_replaces_it() -> None:
    from pipeline.common.storage import write_json

    before = os.stat("/dev/null")
    write_json({"a": 1}, Path("/dev/null"))
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
