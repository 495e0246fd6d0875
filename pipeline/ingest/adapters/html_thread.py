"""Placing found comments in a thread: blocks, parents (containment, child lists, indentation), DOM ids."""

from __future__ import annotations

import bisect

from lxml import html as lxml_html

from pipeline.ingest.adapters.html_dom import DomIndex, signature

El = lxml_html.HtmlElement
_TOP = ("body", "html")


def lift(ix: DomIndex, x: El, item_idx: list[int], items: set[El], comment_idx: list[int]) -> El:
    """Widen a comment's element to its block: stop at repeated siblings, earlier comments, child lists."""
    while True:
        p = x.getparent()
        if p is None or p.tag in _TOP:
            return x
        before = bisect.bisect_left(item_idx, ix.order[x]) - bisect.bisect_left(item_idx, ix.order[p])
        sig = signature(x)
        sibs = [c for c in p if isinstance(c.tag, str) and c is not x]
        if before or any((signature(c) == sig and ix.count_in(item_idx, c)) or c in items for c in sibs):
            return x
        prev = p.getprevious()
        while prev is not None and not isinstance(prev.tag, str):
            prev = prev.getprevious()
        if prev is not None and signature(prev) != signature(p) and ix.count_in(comment_idx, prev):
            return x
        x = p


def parents_of(blocks: list[El], kinds: list[str]) -> list[int | None]:
    """Parent index of each block: nearest other block containing it, or the comment before its child list."""
    where = {b: i for i, b in enumerate(blocks)}
    out: list[int | None] = []
    for i, b in enumerate(blocks):
        parent, e = None, b
        while e is not None and e.tag not in _TOP and parent is None:
            if e is not b and e in where and where[e] != i:
                parent = where[e]
            elif e not in where:
                prev = e.getprevious()
                while prev is not None and not isinstance(prev.tag, str):
                    prev = prev.getprevious()
                if prev is not None and prev in where and kinds[where[prev]] == "comment" \
                        and signature(prev) != signature(e):
                    parent = where[prev]
            e = e.getparent()
        out.append(parent)
    return out


def indent_parents(indents: list[int | None], parents: list[int | None]) -> list[int | None]:
    """Parents from indentation for the comments the DOM leaves top-level, when they are indented."""
    top = [i for i, p in enumerate(parents) if p is None]
    if len({indents[i] for i in top}) < 2 or any(indents[i] is None for i in top):
        return parents
    out, stack = list(parents), []
    for i in top:
        while stack and indents[stack[-1]] >= indents[i]:  # type: ignore[operator]
            stack.pop()
        out[i] = stack[-1] if stack else None
        stack.append(i)
    return out


def dom_id(el: El, block: El) -> str | None:
    """The nearest id from the comment's element up to its block, else an empty anchor just before it."""
    for node in (el, *el.iterancestors()):
        if node.get("id"):
            return node.get("id")
        if node is block:
            break
    prev = block.getprevious()
    while prev is not None and not isinstance(prev.tag, str):
        prev = prev.getprevious()
    if prev is not None and prev.tag == "a" and not prev.text_content().strip():
        return prev.get("id") or prev.get("name")
    return None
