"""Shared pieces of the structured-export adapters: thread ordering, row building, offsets, markup to text."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import lxml.html
from lxml import etree

from pipeline.common.storage import sha256_bytes
from pipeline.common.textnorm import normalize_text
from pipeline.ingest.adapters.base import Source, doc_id, utterance_id

STAGE = "ingest"
_BLOCK_TAGS = frozenset((
    "p", "div", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "tr", "dl", "dt", "dd", "article", "section", "header", "footer",
))
_SKIP_TAGS = frozenset(("script", "style", "noscript"))


@dataclass(frozen=True)
class Node:
    """One comment before ordering: native id, native parent id (None = replies to the post), row fields."""

    local_id: str
    parent: str | None
    sort_key: tuple[Any, ...]
    fields: dict[str, Any] = field(default_factory=dict)  # kind, author, author_evidence, date, text, char_start, char_end


@dataclass(frozen=True)
class Placed:
    """A comment placed in thread order."""

    node: Node
    depth: int
    parent: str | None  # local id of the parent comment, "" for the post, None for an orphan


@functools.lru_cache(maxsize=4)
def _sha256(data: bytes) -> str:
    """SHA-256 of a source, computed once for all the documents it holds."""
    return sha256_bytes(data)


def problem(source: Source, reason: str, detail: str, location: str | None = None) -> dict[str, Any]:
    """A problems row (schema PROBLEMS) for this source; `detail` is prefixed with the source path."""
    return {
        "corpus": source.corpus,
        "source": source.path,
        "location": location,
        "stage": STAGE,
        "reason": reason,
        "detail": f"{source.path}: {detail}",
    }


def thread_order(nodes: Sequence[Node]) -> tuple[list[Placed], list[Node]]:
    """Depth-first thread order (siblings by sort_key); returns the placement and the orphans met.

    A node whose parent is unknown (or that sits in a parent cycle) becomes an orphan: placed as a
    top-level comment with no parent.
    """
    by_id = {n.local_id: n for n in nodes}
    children: dict[str | None, list[Node]] = {}
    orphans: list[Node] = []
    for n in nodes:
        if n.parent is not None and n.parent not in by_id:
            orphans.append(n)
            children.setdefault(None, []).append(n)
        else:
            children.setdefault(n.parent, []).append(n)
    for kids in children.values():
        kids.sort(key=lambda n: n.sort_key)
    orphan_ids = {n.local_id for n in orphans}
    placed: list[Placed] = []
    seen: set[str] = set()

    def walk(roots: list[Node]) -> None:
        stack = [(n, 1) for n in reversed(roots)]
        while stack:
            n, depth = stack.pop()
            if n.local_id in seen:
                continue
            seen.add(n.local_id)
            parent = None if n.local_id in orphan_ids else ("" if n.parent is None else n.parent)
            placed.append(Placed(n, depth, parent))
            stack.extend((c, depth + 1) for c in reversed(children.get(n.local_id, [])))

    walk(children.get(None, []))
    while len(seen) < len(by_id):  # parent cycles: unreachable from the post
        rest = sorted((n for n in nodes if n.local_id not in seen), key=lambda n: n.sort_key)
        orphans.append(rest[0])
        orphan_ids.add(rest[0].local_id)
        walk([rest[0]])
    return placed, orphans


def build_thread(
    source: Source,
    fmt: str,
    doc_key: str,
    doc_fields: dict[str, Any],
    post: dict[str, Any],
    nodes: Sequence[Node],
    post_local: str = "post",
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Document row, utterance rows (post first, then comments in thread order) and problems."""
    did = doc_id(source.corpus, doc_key)
    doc = {
        "corpus": source.corpus,
        "doc_id": did,
        "title": doc_fields.get("title"),
        "url": doc_fields.get("url"),
        "post_author": post.get("author"),
        "date": post.get("date"),
        "platform": source.meta.get("platform") or doc_fields.get("platform"),
        "format": fmt,
        "source_file": source.path,
        "source_sha256": _sha256(source.data),
    }
    problems: list[dict[str, Any]] = []
    unique: list[Node] = []
    seen: set[str] = {post_local}
    for n in nodes:
        if n.local_id in seen:
            problems.append(problem(source, "duplicate-id", f"{did}: id {n.local_id!r} seen twice; kept the first",
                                    _loc(n.fields)))
            continue
        seen.add(n.local_id)
        unique.append(n)
    post_uid = utterance_id(did, post_local)
    rows = [_utterance(source, did, post_uid, None, 0, 0, {"kind": "post", **post})]
    placed, orphans = thread_order(unique)
    for o in orphans:
        problems.append(problem(source, "orphan-reply", f"{did}: {o.local_id!r} replies to {o.parent!r}, "
                                "which is not in the thread; kept as a top-level comment without parent",
                                _loc(o.fields)))
    for i, p in enumerate(placed, start=1):
        parent = None if p.parent is None else (post_uid if p.parent == "" else utterance_id(did, p.parent))
        rows.append(_utterance(source, did, utterance_id(did, p.node.local_id), parent, i, p.depth, p.node.fields))
    return doc, rows, problems


def _loc(fields: dict[str, Any]) -> str | None:
    """A location string from a row's line or offset."""
    if fields.get("line") is not None:
        return f"line {fields['line']}"
    if fields.get("char_start") is not None:
        return f"char {fields['char_start']}"
    return None


def _utterance(source: Source, did: str, uid: str, parent: str | None, position: int, depth: int,
               f: dict[str, Any]) -> dict[str, Any]:
    """One utterances row."""
    return {
        "corpus": source.corpus,
        "doc_id": did,
        "utterance_id": uid,
        "parent_id": parent,
        "position": position,
        "depth": depth,
        "kind": f.get("kind", "comment"),
        "author": f.get("author"),
        "author_evidence": f.get("author_evidence"),
        "date": f.get("date"),
        "text": normalize_text(f.get("text") or ""),
        "source_file": source.path,
        "char_start": f.get("char_start"),
        "char_end": f.get("char_end"),
    }


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment: block elements and <br> become line breaks, source newlines kept."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment and "&" not in fragment:
        return fragment
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return fragment
    out: list[str] = []

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP_TAGS:
            out.append(el.tail or "")
            return
        if tag == "br":
            out.append("\n")
        block = tag in _BLOCK_TAGS
        if block:
            out.append("\n\n")
        if isinstance(el.tag, str):
            out.append(el.text or "")
            for child in el:
                walk(child)
        if block:
            out.append("\n\n")
        out.append(el.tail or "")

    out.append(root.text or "")
    for child in root:
        walk(child)
    return "".join(out)


def iso_from_epoch(value: float | int | None) -> str | None:
    """ISO 8601 UTC datetime from seconds since the epoch."""
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_from_wp(gmt: str | None, local: str | None) -> str | None:
    """ISO date from WordPress 'YYYY-MM-DD HH:MM:SS' fields: GMT with Z when set, else local time."""
    for value, suffix in ((gmt, "Z"), (local, "")):
        if value and value.strip() and not value.startswith("0000-00-00"):
            return value.strip().replace(" ", "T") + suffix
    return None


def first_non_empty(values: Iterable[Any]) -> Any:
    """The first value that is neither None nor an empty string."""
    return next((v for v in values if v not in (None, "")), None)
