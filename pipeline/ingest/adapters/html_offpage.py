"""Found items that are not this page's comments: comments of other pages shown in a widget ("comment of
the day", "recent comments"), and "more comments" controls ("+ 7 weitere Antworten anzeigen").

A comment's permalinks are its links with a fragment (`#comment-123`). The page's own comments share one
target: same-page anchors ("#comment-123") or the page's own address. When at least three found comments
carry permalinks and one target (URL without its fragment; "" for a same-page anchor) is shared by most of
them, a comment whose every permalink points elsewhere belongs to another page's thread: it is left out,
and the caller says so in a problems row. A found item without an author and a date whose whole text is a
short control (more_pattern near its start, at most 2 x max_count_chars characters) is a button, not a
comment: it is left out, and its text then counts as a sign of comments not on the page (html_signs).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from pipeline.common.config import HtmlConfig
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


def _control(f: Found, more: re.Pattern[str], max_chars: int) -> bool:
    """Whether a found item is a 'more comments' button: no author, no date, a short text led by the control's
    words."""
    text = " ".join(f.text.split())
    m = more.search(text)
    return f.kind == "comment" and f.author is None and f.date is None and 0 < len(text) <= max_chars and m is not None and m.start() <= 10


def controls(found: list[Found], cfg: HtmlConfig) -> set[int]:
    """Indices of the found items that are 'more comments' controls."""
    more = re.compile(cfg.more_pattern, re.I)
    return {k for k, f in enumerate(found) if _control(f, more, 2 * cfg.max_count_chars)}


def offpage(found: list[Found]) -> set[int]:
    """Indices of the found comments whose every permalink points to another page's thread."""
    targets = [_targets(f) if f.kind == "comment" else set() for f in found]
    linked = [t for t in targets if t]
    if len(linked) < _MIN_COMMENTS:
        return set()
    home, n = Counter(x for t in linked for x in t).most_common(1)[0]
    if n <= len(linked) / 2:
        return set()
    return {k for k, t in enumerate(targets) if t and home not in t}


def without(found: list[Found], drop: set[int]) -> list[Found]:
    """The found items less `drop`: parents re-indexed (a reply to a dropped item becomes top-level), depths
    recomputed."""
    if not drop:
        return found
    index = {old: new for new, old in enumerate(k for k in range(len(found)) if k not in drop)}
    parents = [index.get(f.parent) if f.parent is not None else None for k, f in enumerate(found) if k not in drop]
    kept = []
    for f, parent in zip((f for k, f in enumerate(found) if k not in drop), parents, strict=True):
        depth, up, seen = 1, parent, set()
        while up is not None and up not in seen:
            seen.add(up)
            depth, up = depth + 1, parents[up]
        kept.append(replace(f, parent=parent, depth=depth))
    return kept
