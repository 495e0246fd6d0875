"""CSV/TSV tables of comments, read through the corpus entry's `columns:` mapping (see adapters.tabular).

Comma-separated, or tab-separated for `.tsv` files (Source.meta["delimiter"] overrides). The header
row names the columns; a mapped column missing from the header fails the file, a row with the wrong
number of fields, an unreadable field (longer than the csv module's field limit) or without
doc/id/text becomes a problems row naming the file and line; the rest of the file is read.
char_start/char_end span the row's line(s) in the decoded file.
"""

from __future__ import annotations

import csv
import io

from pipeline.common.config import IngestConfig
from pipeline.common.textnorm import DecodeError, decode
from pipeline.ingest.adapters.base import Parsed, Source, SourceError
from pipeline.ingest.adapters.sourcemap import LineIndex
from pipeline.ingest.adapters.structured import problem
from pipeline.ingest.adapters.tabular import REQUIRED, Record, build_documents, column_mapping


class CsvAdapter:
    """Adapter for CSV/TSV comment tables."""

    name = "csv"

    def sniff(self, data: bytes, path: str) -> bool:
        """By extension only (.csv, .tsv): delimited text is too ambiguous to detect from content."""
        return path.lower().endswith((".csv", ".tsv"))

    def parse(self, source: Source, params: IngestConfig) -> Parsed:
        """Parse the table into documents, one per distinct doc value."""
        try:
            text, _ = decode(source.data)
        except DecodeError as e:
            raise SourceError("bad-encoding", f"{source.path}: {e}") from None
        delimiter = source.meta.get("delimiter") or ("\t" if source.path.lower().endswith(".tsv") else ",")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise SourceError("empty-file", f"{source.path}: empty file, no header row") from None
        except csv.Error as e:
            raise SourceError("bad-csv", f"{source.path}:1: {e}", "line 1") from None
        cols = column_mapping(source)
        explicit = bool(source.meta.get("columns"))
        absent = [f"{k} -> {v!r}" for k, v in cols.items() if v not in header and (explicit or k in REQUIRED)]
        if absent:
            raise SourceError("missing-column", f"{source.path}:1: header lacks mapped columns {absent} "
                              f"(header: {header})", "line 1")
        records, problems = [], []
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                problems.append(problem(source, "bad-row", f"line {start}: {e}; row skipped", f"line {start}"))
                if reader.line_num < start:  # the reader made no progress: stop rather than loop
                    break
                continue
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                problems.append(problem(source, "bad-row", f"line {start}: {len(row)} fields, header has "
                                        f"{len(header)}; row skipped", f"line {start}"))
                continue
            records.append(Record(start, reader.line_num, dict(zip(header, row, strict=True))))
        out = build_documents(source, self.name, records, LineIndex(text))
        out.problems = problems + out.problems
        return out


ADAPTER = CsvAdapter()
