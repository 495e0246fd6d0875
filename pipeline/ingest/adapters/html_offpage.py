"""Comments of other pages shown on this one ("comment of the day", "recent comments" widgets).

A comment's permalinks are its links with a fragment (`#comment-123`). The page's own comments share one
target: same-page anchors ("#comment-123") or the page's own address. When at least `min_comments` found
comments carry permalinks and one target (URL without its fragment; "" for a same-page anchor) is shared by
most of them, a comment whose every permalink points elsewhere belongs to another page's thread: it is left
out, and the caller says so in a problems row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from pipeline.ingest.adapters.html_comments import Found

_MIN_COMMENTS = 3


def _targets(f: Found) -> set[str]:
    """The addresses (fragment cut off; "" for a same-page anchor) of a comment's permalinks."""
    out = set()
    for a in f.element.iter("a"):
        href = (a.get("href") or "").strip()
        if "#" in href and href.split("#", 1)[1]:
            out.add(href.split("#", 1)[0])
    return out


def split_offpage(found: list[Found]) -> tuple[list[Found], list[Found]]:
    """(this page's items, comments of other pages); parents of kept items re-indexed (a reply to a dropped
    comment becomes top-level) and depths recomputed."""
    targets = [_targets(f) if f.kind == "comment" else set() for f in found]
    linked = [t for t in targets if t]
    if len(linked) < _MIN_COMMENTS:
        return found, []
    home, n = Counter(x for t in linked for x in t).most_common(1)[0]
    if n <= len(linked) / 2:
        return found, []
    drop = {k for k, t in enumerate(targets) if t and home not in t}
    if not drop:
        return found, []
    index = {old: new for new, old in enumerate(k for k in range(len(found)) if k not in drop)}
    parents = [index.get(f.parent) if f.parent is not None else None for k, f in enumerate(found) if k not in drop]
    kept = []
    for f, parent in zip((f for k, f in enumerate(found) if k not in drop), parents, strict=True):
        depth, up, seen = 1, parent, set()
        while up is not None and up not in seen:
            seen.add(up)
            depth, up = depth + 1, parents[up]
        kept.append(replace(f, parent=parent, depth=depth))
    return kept, [found[k] for k in sorted(drop)]
