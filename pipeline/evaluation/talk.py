"""Evaluate talk-page comment extraction against MediaWiki DiscussionTools' parsed thread trees.

A case is a folder holding `<case>.html` (the only input) and `<case>.json` (the extension's tree:
headings whose replies are comments with author, timestamp in UTC, level and replies; the reference,
a silver standard). The HTML adapter parses the page; its comment rows are aligned in order with the
reference comments (dynamic programming): a pair needs timestamps that agree up to the page's
time-zone offset(s) (whole quarter-hours, learnt from same-author pairs); same-author pairs weigh
more. Per case: reference and found comments (signed; unsigned ones apart), recall (reference
comments matched with the same author and time), author accuracy (same author among pairs matched on
time), parent accuracy (both top level, or the found parent is the match of the reference parent)
and level agreement among the recalled comments, and false comments (found signed comments matched
to nothing).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.common.config import IngestConfig
from pipeline.ingest.adapters.base import Source
from pipeline.ingest.adapters.html import ADAPTER

_MAX_OFFSET_MINUTES = 14 * 60


@dataclass(frozen=True)
class Item:
    """One comment to compare: author, time, level (1 = top level), parent index (None = top level)."""

    author: str | None
    time: datetime | None  # reference: UTC; found: the wiki's local time
    level: int
    parent: int | None


def reference_items(tree: list[dict[str, Any]]) -> list[Item]:
    """DiscussionTools comments in document order (sub-headings' comments once, under their own heading)."""
    out: list[Item] = []

    def walk(items: list[dict[str, Any]], parent: int | None) -> None:
        for it in items:
            if it.get("type") != "comment":
                continue
            ts = datetime.fromisoformat(it["timestamp"].replace("Z", "+00:00")).astimezone(UTC)
            out.append(Item(it.get("author"), ts.replace(tzinfo=None), int(it["level"]), parent))
            walk(it.get("replies") or [], len(out) - 1)

    for heading in tree:
        walk(heading.get("replies") or [], None)
    return out


def found_items(utterances: list[dict[str, Any]]) -> list[Item]:
    """The adapter's comment rows as items (a parent that is the post means top level)."""
    rows = [u for u in utterances if u["kind"] == "comment"]
    index = {u["utterance_id"]: k for k, u in enumerate(rows)}
    out = []
    for u in rows:
        when = datetime.fromisoformat(u["date"]) if u.get("date") else None
        out.append(Item(u.get("author"), when, int(u["depth"]), index.get(u.get("parent_id") or "")))
    return out


def _same_author(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and " ".join(a.replace("_", " ").split()).casefold() == \
        " ".join(b.replace("_", " ").split()).casefold()


def _offset(found: Item, ref: Item) -> int | None:
    """Minutes between a found (local) and a reference (UTC) time, when a time-zone offset can explain it."""
    if found.time is None or ref.time is None:
        return None
    minutes = (found.time - ref.time).total_seconds() / 60
    if abs(minutes) > _MAX_OFFSET_MINUTES or minutes % 15:
        return None
    return int(minutes)


def align(found: list[Item], ref: list[Item], offsets: set[int] | None) -> list[tuple[int, int]]:
    """In-order pairs (found, reference) of greatest weight: 2 same author and time, 1 time only.

    With `offsets` None only same-author pairs count (any plausible offset); else a pair's offset must
    be one of `offsets`."""
    n, m = len(found), len(ref)

    def weight(i: int, j: int) -> int:
        off = _offset(found[i], ref[j])
        if off is None or (offsets is not None and off not in offsets):
            return 0
        if _same_author(found[i].author, ref[j].author):
            return 2
        return 1 if offsets is not None else 0

    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(m - 1, -1, -1):
            w = weight(i, j)
            row[j] = max(below[j], row[j + 1], below[j + 1] + w if w else 0)
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        w = weight(i, j)
        if w and best[i][j] == best[i + 1][j + 1] + w:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def score(found_all: list[Item], ref: list[Item]) -> dict[str, Any]:
    """Recall, author, parent and level agreement, false comments of one page (see the module doc)."""
    signed = [k for k, f in enumerate(found_all) if f.author is not None]
    found = [found_all[k] for k in signed]
    strict = align(found, ref, None)
    counts = Counter(_offset(found[i], ref[j]) for i, j in strict)
    offsets = {o for o, c in counts.items() if o is not None and c >= max(2, 0.05 * len(strict))}
    pairs = align(found, ref, offsets) if offsets else strict
    same = [(i, j) for i, j in pairs if _same_author(found[i].author, ref[j].author)]
    to_ref = {signed[i]: j for i, j in same}
    parent_ok = level_ok = 0
    for i, j in same:
        got, want = found[i].parent, ref[j].parent
        parent_ok += (got is None and want is None) or (got is not None and to_ref.get(got) == want and want is not None)
        level_ok += found[i].level == ref[j].level
    n_ref, n_same = len(ref), len(same)
    return {
        "reference": n_ref, "found": len(found), "unsigned": len(found_all) - len(found),
        "matched_time": len(pairs), "matched": n_same,
        "recall": round(n_same / max(1, n_ref), 4),
        "author_accuracy": round(n_same / max(1, len(pairs)), 4),
        "parent_accuracy": round(parent_ok / max(1, n_same), 4),
        "level_agreement": round(level_ok / max(1, n_same), 4),
        "false_comments": len(found) - len(pairs),
        "offsets_minutes": sorted(offsets),
    }


def case_files(folder: Path) -> list[tuple[str, Path, Path]]:
    """(case, html, json) for each `<case>.html` with a `<case>.json` beside it, in this folder or one below."""
    out = []
    for html in sorted([*folder.glob("*.html"), *folder.glob("*/*.html")]):
        ref = html.with_suffix(".json")
        if ref.is_file():
            out.append((html.stem, html, ref))
    return out


def evaluate_cases(folders: list[Path], params: IngestConfig) -> dict[str, dict[str, Any]]:
    """Parse every case's page with the HTML adapter and score it against its reference tree."""
    out = {}
    for folder in folders:
        for case, html, ref in case_files(folder):
            parsed = ADAPTER.parse(Source("eval", str(html), html.read_bytes()), params)
            tree = json.loads(ref.read_text(encoding="utf-8"))
            out[case] = score(found_items(parsed.utterances), reference_items(tree))
    return out


def _total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Micro-averaged scores over cases (weights: reference or recalled comments)."""
    ref = sum(r["reference"] for r in rows)
    matched = sum(r["matched"] for r in rows)
    return {
        "reference": ref, "found": sum(r["found"] for r in rows), "unsigned": sum(r["unsigned"] for r in rows),
        "recall": round(matched / max(1, ref), 4),
        "author_accuracy": round(matched / max(1, sum(r["matched_time"] for r in rows)), 4),
        "parent_accuracy": round(sum(r["parent_accuracy"] * r["matched"] for r in rows) / max(1, matched), 4),
        "level_agreement": round(sum(r["level_agreement"] * r["matched"] for r in rows) / max(1, matched), 4),
        "false_comments": sum(r["false_comments"] for r in rows),
    }


def table(result: dict[str, dict[str, Any]], dev: set[str], fit: bool = False) -> str:
    """Per-case table, held-out cases first, then development cases, each group with its total; with
    `fit` every case is labelled fit (the rules were changed after seeing its errors)."""
    head = f"{'case':<28} {'set':<8} {'ref':>5} {'found':>5} {'unsig':>5} {'recall':>7} {'author':>7} " \
           f"{'parent':>7} {'level':>7} {'false':>5}"
    lines = [head, "-" * len(head)]

    def line(name: str, group: str, r: dict[str, Any]) -> str:
        return (f"{name:<28} {group:<8} {r['reference']:>5} {r['found']:>5} {r['unsigned']:>5} {r['recall']:>7.3f} "
                f"{r['author_accuracy']:>7.3f} {r['parent_accuracy']:>7.3f} {r['level_agreement']:>7.3f} "
                f"{r['false_comments']:>5}")

    groups = [("fit", list(result))] if fit else [("held-out", [c for c in result if c not in dev]),
                                                   ("dev", [c for c in result if c in dev])]
    for group, names in groups:
        for c in names:
            lines.append(line(c, group, result[c]))
        if names:
            lines.append(line(f"TOTAL {group}", group, _total([result[c] for c in names])))
    return "\n".join(lines)
