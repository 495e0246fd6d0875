"""Reading and writing tables and JSON: atomic writes (temporary file, then rename)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.common.schema import Table, conform

ROW_GROUP_SIZE = 50_000


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds.

    A target that exists and is not a regular file (/dev/null, a FIFO) is written in place, never replaced.
    """
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a run that was killed mid-write
        stale.unlink(missing_ok=True)
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


# --- streaming (issue 9): tables read and written in chunks, so memory stays flat as a corpus grows ---


def iter_row_groups(path: Path, table: Table | None = None, columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
    """Yield a Parquet table one row group at a time (checked against `table` when given)."""
    pf = _parquet_file(path)
    check = table is not None and columns is None and not has_schema(pf, table)
    for i in range(pf.num_row_groups):
        df = pf.read_row_group(i, columns=columns).to_pandas()
        yield conform(df, table) if check and table is not None else df


def has_schema(pf: pq.ParquetFile, table: Table) -> bool:
    """Whether the file's columns are exactly the table's (names, order, types, nullability): its rows
    conform by construction (Parquet keeps nulls out of required columns), no check needed."""
    return bool(pf.schema_arrow.equals(table.arrow_schema))


def iter_arrow_row_groups(path: Path, table: Table) -> Iterator[pa.Table | pd.DataFrame]:
    """A table's row groups as Arrow tables when the file has the table's schema (converted to pandas where
    they are used, e.g. in pool workers), else as checked DataFrames (`iter_row_groups`)."""
    pf = _parquet_file(path)
    if not has_schema(pf, table):
        yield from iter_row_groups(path, table)
        return
    for i in range(pf.num_row_groups):
        yield pf.read_row_group(i).replace_schema_metadata(None)


def as_frame(data: pa.Table | pd.DataFrame) -> pd.DataFrame:
    """A DataFrame of an Arrow table (as `read_row_group(...).to_pandas()` gives it) or the DataFrame itself."""
    return data.to_pandas() if isinstance(data, pa.Table) else data


def to_arrow(df: pd.DataFrame, table: Table) -> pa.Table:
    """`df` (the table's columns, any others left out) as an Arrow table of the table's schema, checked as
    `conform` checks it but converted once."""
    if any(c not in df.columns for c in table.names):
        conform(df, table)  # raises: missing columns
    try:
        arrow = pa.Table.from_pandas(df[table.names], schema=table.arrow_schema, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError):
        conform(df, table)  # raises the error naming the column (and rows)
        raise
    return arrow.replace_schema_metadata(None)


def compact(arrow: pa.Table) -> pa.Table:
    """One contiguous chunk per column, holding only these rows (a slice pickles its whole parent buffers)."""
    return pa.table({n: pa.concat_arrays(c.chunks) if c.num_chunks else c.combine_chunks()
                     for n, c in zip(arrow.column_names, arrow.columns, strict=True)}, schema=arrow.schema)


def count_rows(path: Path) -> int:
    """Number of rows of a Parquet file, from its footer."""
    return int(_parquet_file(path).metadata.num_rows)


def _parquet_file(path: Path) -> pq.ParquetFile:
    """Open a Parquet file; a file that is not Parquet raises ValueError naming it."""
    try:
        return pq.ParquetFile(path)
    except pa.ArrowInvalid as e:
        raise ValueError(f"{path}: not a Parquet table ({e})") from None


class TableWriter:
    """Append DataFrames to one Parquet table in row groups; the file appears only when the block succeeds.

    Use as a context manager: `with TableWriter(TABLE, path) as w: w.write(df)` (a DataFrame, or an
    Arrow table of the table's schema, e.g. `to_arrow` in a pool worker). Rows are buffered (as Arrow)
    and written in row groups of exactly `row_group_size` (the last may be shorter); on an exception the partial file is removed
    and the old `path` (if any) is left untouched. Zero rows give a valid empty table.
    """

    def __init__(self, table: Table, path: Path, row_group_size: int = ROW_GROUP_SIZE) -> None:
        self.table, self.path, self.row_group_size = table, Path(path), max(1, row_group_size)
        self.rows = 0
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._ctx: contextlib.AbstractContextManager[Path] | None = None
        self._writer: pq.ParquetWriter | None = None

    def __enter__(self) -> TableWriter:
        self._ctx = atomic_path(self.path)
        tmp = self._ctx.__enter__()
        self._writer = pq.ParquetWriter(tmp, self.table.arrow_schema)
        return self

    def write(self, data: pd.DataFrame | pa.Table) -> None:
        """Add rows (checked against the table); full row groups are written out at once."""
        if isinstance(data, pa.Table):
            if not data.schema.equals(self.table.arrow_schema):
                raise ValueError(f"table {self.table.name}: Arrow schema {data.schema} is not the table's")
            arrow = data.replace_schema_metadata(None)
        elif data.empty:
            return
        else:
            arrow = to_arrow(data, self.table)
        if not arrow.num_rows:
            return
        self._buffer.append(arrow)
        self._buffered += arrow.num_rows
        self.rows += arrow.num_rows
        if self._buffered >= self.row_group_size:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        """Write the buffered rows as row groups of exactly `row_group_size` (the rest stays, unless final)."""
        if not self._buffer or self._writer is None:
            return
        arrow = pa.concat_tables(self._buffer) if len(self._buffer) > 1 else self._buffer[0]
        n = arrow.num_rows if final else arrow.num_rows - arrow.num_rows % self.row_group_size
        if n:
            self._writer.write_table(arrow.slice(0, n).combine_chunks(), row_group_size=self.row_group_size)
        rest = arrow.slice(n)
        self._buffer, self._buffered = ([rest] if rest.num_rows else []), rest.num_rows

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        assert self._ctx is not None and self._writer is not None
        try:
            if exc_type is None:
                self._flush(final=True)
                if self.rows == 0:  # an empty table still carries its schema (one empty row group)
                    self._writer.write_table(self.table.arrow_schema.empty_table())
        finally:
            self._writer.close()
            self._ctx.__exit__(exc_type, exc, tb)


def rows(df: pd.DataFrame) -> list[Any]:
    """The rows of `df` as namedtuples, like `list(df.itertuples(index=False))` but built column-wise
    (itertuples reads Arrow-backed columns one element at a time, the hot spot of the row loops)."""
    from collections import namedtuple

    Row = namedtuple("Row", list(df.columns), rename=True)  # type: ignore[misc]
    return [Row._make(vals) for vals in zip(*(df[c].tolist() for c in df.columns), strict=True)] if len(df.columns) else []


def replace_dir(tmp: Path, target: Path) -> None:
    """Move a finished folder onto `target`; the previous folder survives as `.<name>.old` until then."""
    tmp, target = Path(tmp), Path(target)
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
