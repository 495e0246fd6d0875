"""Rows of a CSV or JSONL file -> documents and threads, through the corpus entry's `columns:` mapping.

Mapping keys (values are column names; JSONL may use dotted paths such as `user.name`):
doc, id, text (required); parent, author, date, title, url, kind (optional). Without a mapping each
key names a column of the same name. Within a document, the post is the row whose `kind` is "post"
or, without a kind column, whose id equals the doc value; when no row is the post an empty post
(local id "post") stands for it. Top-level comments have an empty parent, or the doc value or the
post id as parent. Siblings are ordered by date (when mapped), then file order. A bad row becomes a
problems row naming the file and line; the run continues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dateutil import parser as dateparser

from pipeline.common.schema import KINDS
from pipeline.ingest.adapters.base import Parsed, Source, SourceError
from pipeline.ingest.adapters.sourcemap import LineIndex
from pipeline.ingest.adapters.structured import Node, build_thread, first_non_empty, problem

FIELDS = ("doc", "id", "parent", "author", "date", "text", "title", "url", "kind")
REQUIRED = ("doc", "id", "text")


@dataclass(frozen=True)
class Record:
    """One row: first and last line (1-based) in the file and its values by column."""

    line: int
    line_end: int
    values: dict[str, Any]


def column_mapping(source: Source) -> dict[str, str]:
    """The mapping for this source (Source.meta["columns"], else identity); errors name the bad key."""
    given = source.meta.get("columns") or {}
    unknown = sorted(set(given) - set(FIELDS))
    if unknown:
        raise SourceError("bad-columns", f"{source.path}: unknown columns keys {unknown}; known: {list(FIELDS)}")
    if not given:
        return {k: k for k in FIELDS}
    return {**{k: k for k in REQUIRED}, **{k: str(v) for k, v in given.items()}}


def lookup(values: dict[str, Any], column: str | None) -> Any:
    """A value by column name, or by dotted path into nested objects; None when absent."""
    if column is None:
        return None
    if column in values:
        return values[column]
    cur: Any = values
    for part in column.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def iso_date(value: Any) -> str | None:
    """ISO 8601 from an epoch number or a date string; ValueError when it cannot be read."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    s = str(value).strip()
    if s.replace(".", "", 1).isdigit():
        return iso_date(float(s))
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = dateparser.parse(s)
        except (ValueError, OverflowError) as e:
            raise ValueError(f"unreadable date {s!r}") from e
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.isoformat()


def _text(value: Any) -> str | None:
    """A cell as a stripped string (None stays None)."""
    if value is None:
        return None
    return str(value).strip()


def build_documents(source: Source, fmt: str, records: list[Record], lines: LineIndex) -> Parsed:
    """Group records by document and build each thread."""
    cols = column_mapping(source)
    absent = [f"{k} -> {cols[k]!r}" for k in REQUIRED
              if records and all(lookup(r.values, cols[k]) is None for r in records)]
    if absent:
        raise SourceError("missing-column", f"{source.path}: no record has the mapped columns {absent}; set "
                          "`columns:` in the corpus entry")
    out = Parsed()
    groups: dict[str, list[tuple[Record, dict[str, Any]]]] = {}
    for rec in records:
        row = {k: lookup(rec.values, cols.get(k)) for k in FIELDS}
        missing = [k for k in ("doc", "id") if _text(row[k]) in (None, "")]
        if missing or row["text"] is None:
            what = ", ".join(f"{k} (column {cols[k]!r})" for k in missing + ([] if row["text"] is not None else
                                                                              ["text"]))
            out.problems.append(problem(source, "bad-row", f"line {rec.line}: no value for {what}; row skipped",
                                        f"line {rec.line}"))
            continue
        try:
            row["date"] = iso_date(row["date"])
        except ValueError as e:
            out.problems.append(problem(source, "bad-date", f"line {rec.line}: {e}; date left empty",
                                        f"line {rec.line}"))
            row["date"] = None
        groups.setdefault(str(row["doc"]).strip(), []).append((rec, row))
    for key, rows in groups.items():
        doc, utts, probs = _thread(source, fmt, key, rows, lines, out)
        out.documents.append(doc)
        out.utterances += utts
        out.problems += probs
    return out


def _thread(source: Source, fmt: str, key: str, rows: list[tuple[Record, dict[str, Any]]], lines: LineIndex,
            out: Parsed) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """One document from its rows."""
    def is_post(row: dict[str, Any]) -> bool:
        kind = _text(row["kind"])
        return kind == "post" if kind else _text(row["id"]) == key

    post_rows = [(rec, row) for rec, row in rows if is_post(row)]
    post_rec, post_row = post_rows[0] if post_rows else (None, None)
    post_local = _text(post_row["id"]) if post_row else "post"
    for rec, _ in post_rows[1:]:
        out.problems.append(problem(source, "bad-row", f"line {rec.line}: second post row of document {key!r}; "
                                    "kept as a comment", f"line {rec.line}"))
    nodes: list[Node] = []
    for order, (rec, row) in enumerate(rows):
        if rec is post_rec:
            continue
        kind = (_text(row["kind"]) or "comment").lower()
        if kind not in KINDS or kind == "post":
            if kind != "post":
                out.problems.append(problem(source, "bad-kind", f"line {rec.line}: kind {row['kind']!r} is not one "
                                            f"of {list(KINDS)}; read as comment", f"line {rec.line}"))
            kind = "comment"
        parent = _text(row["parent"]) or None
        if parent in (key, post_local):
            parent = None
        nodes.append(Node(_text(row["id"]) or "", parent, (row["date"] or "", order),
                          _fields(row, rec, lines, kind)))
    post = _fields(post_row, post_rec, lines, "post") if post_row else {"text": ""}
    doc_fields = {
        "title": first_non_empty(_text(r["title"]) for _, r in ([(post_rec, post_row)] if post_row else []) + rows),
        "url": first_non_empty(_text(r["url"]) for _, r in ([(post_rec, post_row)] if post_row else []) + rows),
    }
    return build_thread(source, fmt, key, doc_fields, post, nodes, post_local=post_local or "post")


def _fields(row: dict[str, Any], rec: Record, lines: LineIndex, kind: str) -> dict[str, Any]:
    """Utterance fields of one row; the span is the row's lines."""
    author = _text(row["author"]) or None
    return {
        "kind": kind, "author": author, "author_evidence": "column mapping: author" if author else None,
        "date": row["date"], "text": "" if row["text"] is None else str(row["text"]),
        "char_start": lines.start(rec.line), "char_end": lines.end(rec.line_end), "line": rec.line,
    }
