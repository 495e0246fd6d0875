"""JSON Lines of comments (one object per line), read through the corpus entry's `columns:` mapping.

See pipeline.ingest.adapters.tabular for the mapping; JSONL columns may be dotted paths (`user.name`).
A line that is not a JSON object becomes a problems row naming the file and line.
char_start/char_end span the record's line in the decoded file.
"""

from __future__ import annotations

import json

from pipeline.common.config import IngestConfig
from pipeline.common.textnorm import DecodeError, decode
from pipeline.ingest.adapters.base import Parsed, Source, SourceError
from pipeline.ingest.adapters.sourcemap import LineIndex
from pipeline.ingest.adapters.structured import problem
from pipeline.ingest.adapters.tabular import Record, build_documents


class JsonlAdapter:
    """Adapter for JSON Lines comment exports."""

    name = "jsonl"

    def sniff(self, data: bytes, path: str) -> bool:
        """The first two non-empty lines are JSON objects (or one, for a .jsonl/.ndjson file)."""
        lines = [ln for ln in data[:65536].splitlines()[:20] if ln.strip()]
        complete = lines[:-1] if len(data) > 65536 else lines
        head = complete[:2]
        named = path.lower().endswith((".jsonl", ".ndjson"))
        if not head:  # a first line longer than the sniff window: trust the extension
            return named and data.lstrip()[:1] == b"{"
        try:
            ok = all(isinstance(json.loads(ln), dict) for ln in head)
        except (ValueError, UnicodeDecodeError):
            return False
        return ok and (len(head) == 2 or named)

    def parse(self, source: Source, params: IngestConfig) -> Parsed:
        """Parse every line into a record, then into documents."""
        try:
            text, _ = decode(source.data)
        except DecodeError as e:
            raise SourceError("bad-encoding", f"{source.path}: {e}") from None
        records, problems = [], []
        for n, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(problem(source, "bad-json", f"line {n}: {e.msg} (column {e.colno}); line skipped",
                                        f"line {n}"))
                continue
            if not isinstance(obj, dict):
                problems.append(problem(source, "bad-row", f"line {n}: a JSON {type(obj).__name__}, not an object; "
                                        "line skipped", f"line {n}"))
                continue
            records.append(Record(n, n, obj))
        if not records and not problems:
            raise SourceError("empty-file", f"{source.path}: no records")
        out = build_documents(source, self.name, records, LineIndex(text))
        out.problems = problems + out.problems
        return out


ADAPTER = JsonlAdapter()
