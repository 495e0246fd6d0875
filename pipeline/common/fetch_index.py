"""The on-disk index of fetched pages (<corpus>/pages/_index.jsonl) and of failed fetches: written by `scrape`,
read by `ingest` (each page's URL)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

INDEX_NAME = "_index.jsonl"  # one JSON line per page on disk: file, url, final_url, fetched_at, ...

FAILURES_NAME = "_failures.jsonl"  # one JSON line per failed attempt (PROBLEMS columns + extras)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file; a damaged line (e.g. cut by a killed run) is skipped with a warning."""
    if not path.exists():
        return []
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            sys.stderr.write(f"{path}:{lineno}: damaged line skipped\n")
    return rows


def append_jsonl(path: Path, row: dict[str, Any]) -> None:
    """Append one JSON line and flush it to disk (a cut-off last line is first terminated)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f:
        if f.tell() > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                f.write(b"\n")
        f.write((json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def read_index(pages_dir: Path) -> dict[str, dict[str, Any]]:
    """Pages on disk, keyed by URL: index lines whose file still exists (for ingest: url -> meta)."""
    out = {}
    for row in read_jsonl(Path(pages_dir) / INDEX_NAME):
        if (
            isinstance(row, dict)
            and "url" in row
            and (Path(pages_dir) / str(row.get("file"))).is_file()
        ):
            out[row["url"]] = row
    return out


def index_meta(pages_dir: Path) -> dict[str, dict[str, Any]]:
    """Source meta for ingest, keyed by page file name: url (final, after redirects), requested_url, ..."""
    return {
        str(row["file"]): {
            "url": row.get("final_url") or url,
            "requested_url": url,
            "fetched_at": row.get("fetched_at"),
            "content_type": row.get("content_type"),
            "fetched_sha256": row.get("sha256"),
        }
        for url, row in read_index(pages_dir).items()
    }
