"""Reading and writing tables and JSON: atomic writes (temporary file, then rename)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.schema import Table, conform

ROW_GROUP_SIZE = 50_000


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_table(df: pd.DataFrame, table: Table, path: Path) -> None:
    """Write `df` as Parquet with the table's schema, atomically."""
    out = conform(df, table)
    arrow = pa.Table.from_pandas(out, schema=table.arrow_schema, preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(arrow, tmp, row_group_size=ROW_GROUP_SIZE)


def read_table(path: Path, table: Table | None = None) -> pd.DataFrame:
    """Read a Parquet table (checked against `table` when given)."""
    df = pq.read_table(path).to_pandas()
    if table is not None:
        df = conform(df, table)
    return df


def write_json(obj: Any, path: Path) -> None:
    """Write JSON (sorted keys, UTF-8), atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


def write_text(text: str, path: Path) -> None:
    """Write a text file, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def read_json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a text's UTF-8 bytes."""
    return sha256_bytes(text.encode("utf-8"))
