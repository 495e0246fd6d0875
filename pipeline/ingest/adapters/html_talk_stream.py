"""A wiki talk page's text as a stream of leaves, and where a range of leaves sits in the page's HTML.

A leaf is one text node (an element's text or a child's tail) in document order. Leaves between two
block boundaries (`BLOCKS`, the block list of DiscussionTools' comment parser) form one inline run; the
stream joins the leaves into one string, runs split by newlines. Headings hold no leaves: each starts
a new run and a new section. A comment separator (an outdent template) starts a new run and raises
the barrier count. `leaf_span` maps a range of leaves to character offsets in the decoded page.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from lxml import html as lxml_html

from pipeline.ingest.adapters.html_dom import Cues, DomIndex, SpanLocator

El = lxml_html.HtmlElement
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements that end an inline run (the block list of DiscussionTools' comment parser).
BLOCKS = frozenset({
    "div", "p", "table", "tbody", "thead", "tfoot", "caption", "th", "tr", "td", "ul", "ol", "li", "dl", "dt", "dd",
    "hgroup", "article", "aside", "body", "nav", "section", "footer", "header", "figure", "figcaption", "fieldset",
    "details", "blockquote", "hr", "button", "canvas", "center", "col", "colgroup", "embed", "map", "object", "pre",
    "progress", "video", *HEADINGS,
})


@dataclass(frozen=True)
class Leaf:
    """One text node of the page, with its place in the stream."""

    text: str
    owner: El  # the element whose .text (tail False) or .tail (tail True) this is
    tail: bool
    run: int  # inline run; changes at every block boundary
    section: int  # headings seen before it
    start: int  # offset in the stream text
    quoted: bool
    barrier: int  # comment separators (outdent templates) seen before it

    @property
    def parent(self) -> El:
        """The element the text sits in."""
        return self.owner.getparent() if self.tail else self.owner

    @property
    def end(self) -> int:
        """Offset after the text in the stream."""
        return self.start + len(self.text)


class TalkStream:
    """The page's text as leaves in document order, joined into one string (runs split by newlines)."""

    def __init__(self, root: El, ix: DomIndex, quote_tags: frozenset[str], separators: Cues):
        self.ix = ix
        self.quote_tags = quote_tags
        self.separators = separators
        self._barrier = 0
        self.leaves: list[Leaf] = []
        self.headings: list[tuple[int, El]] = []  # (index of the first leaf after it, heading)
        self._parts: list[str] = []
        self._pos, self._run, self._last_run = 0, 0, -1
        self._walk(root, False)
        self.text = "".join(self._parts)
        self.starts = [leaf.start for leaf in self.leaves]

    def _add(self, text: str, owner: El, tail: bool, quoted: bool) -> None:
        """Append one text node as a leaf (a newline first when it opens a new run)."""
        if not text:
            return
        if self._last_run != self._run and self._parts:
            self._parts.append("\n")
            self._pos += 1
        self._last_run = self._run
        self.leaves.append(Leaf(text, owner, tail, self._run, len(self.headings), self._pos, quoted, self._barrier))
        self._parts.append(text.replace("\n", " "))
        self._pos += len(text)

    def _walk(self, el: El, quoted: bool) -> None:
        """Add an element's text nodes in document order, counting runs, headings and separators."""
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None or self.ix.order[el] in self.ix.excluded:
            return
        if tag in HEADINGS:
            self._run += 1
            self.headings.append((len(self.leaves), el))
            return
        if tag == "br":
            self._add("\n", el, False, quoted)
            return
        if self.separators.match(el):  # an outdent: a new comment starts after it, even in one paragraph
            self._run += 1
            self._barrier += 1
            return
        block = tag in BLOCKS
        self._run += block
        quoted = quoted or tag in self.quote_tags
        self._add(el.text or "", el, False, quoted)
        for child in el:
            self._walk(child, quoted)
            self._add(child.tail or "", child, True, quoted)
        self._run += block

    def leaf_at(self, offset: int) -> int:
        """Index of the leaf holding a stream offset (the one before it when the offset is a separator)."""
        return max(0, bisect.bisect_right(self.starts, offset) - 1)


def _block(el: El) -> El:
    """The nearest block element at or above an element (the element itself when there is none)."""
    return next((x for x in (el, *el.iterancestors()) if x.tag in BLOCKS), el)


def leaf_span(st: TalkStream, start_leaf: int, end_leaf: int, loc: SpanLocator) -> tuple[int | None, int | None]:
    """Character offsets in the decoded page of the leaves start_leaf..end_leaf (see html_talk's module doc)."""
    ix = st.ix
    first, last = st.leaves[start_leaf], st.leaves[end_leaf]
    block = _block(first.parent)
    before = next((i for i in range(start_leaf - 1, -1, -1) if st.leaves[i].text.strip()), None)
    heads = [h for i, h in st.headings if i <= start_leaf]
    shared = (before is not None and ix.inside(st.leaves[before].parent, block)) or (
        bool(heads) and ix.inside(heads[-1], block))
    if not shared:
        start = loc.start(block)
    elif first.tail:
        s = loc.start(first.owner)
        start = loc.end(first.owner, s) if s is not None else None
    else:
        start = loc.start(first.owner)
    end_block = _block(last.parent)
    nxt = ix.following(last.owner) if last.tail or not len(last.owner) else next(
        (c for c in last.owner if isinstance(c.tag, str)), ix.following(last.owner))
    end = None
    if nxt is not None and ix.inside(nxt, end_block):
        k = ix.order[nxt]
        stop = ix.end[ix.order[end_block]]
        while k <= stop and ix.elements[k].tag not in BLOCKS:
            k += 1
        if k <= stop:
            end = loc.start(ix.elements[k])
    if end is None:
        s = loc.start(end_block)
        end = loc.end(end_block, s) if s is not None else None
    return start, end
