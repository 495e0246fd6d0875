"""Platform-independent comment threads in HTML: repeated blocks that hold an author, a date and a body.

Method (no per-site selectors): (1) author elements are the innermost elements carrying an author cue
(class/id/itemprop token such as author, vcard, fn, user; or <cite>) with a short text, outside quotations; (2) from each
author element we climb to the lowest ancestor whose *own* content (side subtrees holding other authors
left out) also holds a date element (<time>, a date cue, or a short date-like text) and body text; where
the header and the body are sibling elements (dt/dd layouts) the body sibling is paired with it; (3) such
cores are kept when a comment cue sits on them or their ancestors, or when their tag/class signature
repeats; (4) each core is lifted to its block (stopping at repeated same-signature siblings); a comment's
parent is the nearest other block containing it, or the comment block just before the child list that
holds it, then data-*parent* attributes and depth marks (html_block_parents.thread_parents, shared with the
block classifier). Pingbacks/trackbacks are elements with a pingback cue or a `Pingback:` text prefix.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import html as lxml_html

from pipeline.common.config import HtmlConfig
from pipeline.common.textnorm import normalize_text
from pipeline.ingest.adapters.html_block_parents import thread_parents
from pipeline.ingest.adapters.html_dom import (
    LETTER,
    Cues,
    DomIndex,
    iso_date,
    quoted,
    render_text,
    signature,
)
from pipeline.ingest.adapters.html_thread import dom_id, lift

El = lxml_html.HtmlElement
_TOP = ("body", "html")


@dataclass(frozen=True)
class Found:
    """One comment or pingback found in a page, in document order."""

    element: El  # the comment's own element (author, date, body)
    body_element: El | None  # a following sibling holding the body (dt/dd layouts)
    kind: str  # comment | pingback
    author: str | None
    author_evidence: str | None
    date: str | None
    text: str
    dom_id: str | None
    parent: int | None  # index of the parent comment in the list; None = reply to the post
    depth: int


@dataclass(frozen=True)
class _Core:
    element: El
    body_element: El | None
    author: El
    date: El
    text: str


class _Finder:
    def __init__(self, root: El, cfg: HtmlConfig):
        self.cfg = cfg
        self.ix = DomIndex(root, cfg.exclude_tags, cfg.exclude_cues)
        self.cue = {k: Cues(getattr(cfg, f"{k}_cues")) for k in ("author", "date", "body", "comment", "skip", "pingback")}
        self.suffix = re.compile(cfg.author_suffix_pattern, re.I)
        self.date_re = re.compile(cfg.date_text_pattern, re.I)
        self.authors = self._author_elements()
        self.author_idx = sorted(self.ix.order[a] for a in self.authors)
        self.date_idx = self._date_elements()

    # -- elements carrying cues ------------------------------------------------------------
    def _skip(self, node: El) -> bool:
        return node.tag in ("script", "style", "noscript") or self.cue["skip"].match(node)

    def _skip_inside(self, top: El) -> Callable[[El], bool]:
        """Skip predicate for rendering `top`: skip-cued descendants (never `top` itself)."""
        return lambda n: n is not top and self._skip(n)

    def author_text(self, el: El) -> str:
        """The short display name inside an author element ('says:' and similar removed)."""
        text = normalize_text(render_text(el, lambda n: n is not el and self._skip(n))).replace("\n", " ")
        return self.suffix.sub("", text).strip()

    def _author_elements(self) -> list[El]:
        cands = []
        for i, el in enumerate(self.ix.elements):
            if i in self.ix.excluded:
                continue
            cited = el.tag == "cite" and not any(a.tag in ("blockquote", "q", "p") for a in el.iterancestors())
            if (cited or self.cue["author"].match(el)) and not quoted(el) \
                    and 0 < len(self.author_text(el)) <= self.cfg.max_author_chars:
                cands.append(i)
        inner = [i for k, i in enumerate(cands) if not (k + 1 < len(cands) and cands[k + 1] <= self.ix.end[i])]
        return [self.ix.elements[i] for i in inner]

    def _date_elements(self) -> list[int]:
        out = []
        for i, el in enumerate(self.ix.elements):
            if i in self.ix.excluded:
                continue
            text = " ".join(el.text_content().split())
            cued = self.cue["date"].match(el) and (el.get("datetime") or (0 < len(text) <= 80 and re.search(r"\d", text)))
            textual = len(text) <= 60 and self.date_re.search(text) and len(el) <= 2
            if el.tag == "time" or cued or textual:
                out.append(i)
        return out

    # -- cores -------------------------------------------------------------------------------
    def _box(self, a: El) -> El:
        """The author element widened to its short author-cued wrapper (avatar, name, 'says')."""
        box = a
        for anc in a.iterancestors():
            short = len(" ".join(anc.text_content().split())) <= 2 * self.cfg.max_author_chars
            if not (short and self.cue["author"].match(anc)) or self.ix.count_in(self.date_idx, anc):
                break
            box = anc
        return box

    def _side(self, x: El, box: El) -> list[El]:
        """Subtrees of `x` off the path down to `box` that hold other authors (nested comments)."""
        path = [box, *box.iterancestors()]
        path = path[: path.index(x) + 1]
        out = []
        for node in path[1:]:
            for child in node:
                if isinstance(child.tag, str) and child not in path and self.ix.count_in(self.author_idx, child):
                    out.append(child)
        return out

    def _own(self, el: El, side: list[El]) -> bool:
        return self.ix.order[el] not in self.ix.excluded and not any(self.ix.inside(el, s) for s in side)

    def _date_in(self, x: El, box: El, side: list[El]) -> El | None:
        lo = bisect.bisect_left(self.date_idx, self.ix.order[x])
        hi = bisect.bisect_right(self.date_idx, self.ix.end[self.ix.order[x]])
        shared = None  # a byline holding both ("Submitted by X on <date>"), used when nothing else is
        for i in self.date_idx[lo:hi]:
            el = self.ix.elements[i]
            if not self._own(el, side) or self.ix.inside(el, box) or el is x:
                continue
            if not self.ix.inside(box, el):
                return el
            if shared is None and self.date_re.search(render_text(el, lambda n: n is box)):
                shared = el
        return shared

    def _body(self, x: El, box: El, date: El, side: list[El]) -> str:
        drop = {box, date, *side}

        def skip(n: El) -> bool:
            return n in drop or n.tag in ("form", "textarea", "button", "select") or (n is not x and self._skip(n))

        bodies: list[El] = []
        stops = {self.ix.order[s] for s in side} | {self.ix.order[box], self.ix.order[date]}
        i, last = self.ix.order[x] + 1, self.ix.end[self.ix.order[x]]
        while i <= last:  # document order; a side subtree, the author, the date or a found body is skipped whole
            el = self.ix.elements[i]
            if i in stops or i in self.ix.excluded:
                i = self.ix.end[i] + 1
                continue
            if self.cue["body"].match(el) and not self.ix.inside(box, el) and not self.ix.inside(date, el):
                bodies.append(el)
                i = self.ix.end[i] + 1
                continue
            i += 1
        roots = bodies or [x]
        # Without a body-cued element, navigation rows ("parent | next") are links only: ask for a word
        # outside links.
        if not bodies and not re.search(r"\w", render_text(x, lambda n: skip(n) or n.tag == "a")):
            return ""
        return normalize_text("\n\n".join(render_text(b, skip) for b in roots))

    def core(self, a: El) -> _Core | None:
        """The comment's own element found by climbing from its author element."""
        box = self._box(a)
        x = box
        for _ in range(self.cfg.max_core_levels):
            x = x.getparent()
            if x is None or x.tag in _TOP:
                return None
            side = self._side(x, box)
            date = self._date_in(x, box, side)
            if date is None:
                continue
            text = self._body(x, box, date, side)
            if LETTER.search(text):  # a word, not only a floor number ("#1") or punctuation
                return _Core(x, None, a, date, text)
            nxt = x.getnext()
            while nxt is not None and not isinstance(nxt.tag, str):
                nxt = nxt.getnext()
            parent = x.getparent()
            repeated = parent is not None and any(
                c is not x and isinstance(c.tag, str) and self.ix.count_in(self.author_idx, c) for c in parent)
            if repeated and nxt is not None and not self.ix.count_in(self.author_idx, nxt):
                body = normalize_text(render_text(nxt, self._skip_inside(nxt)))
                if body:
                    return _Core(x, nxt, a, date, body)
        return None

    def accepted(self, cores: list[_Core]) -> list[_Core]:
        """Cores with a comment cue on them or an ancestor, or whose signature repeats."""
        counts: dict[tuple[str, str], int] = {}
        for c in cores:
            counts[signature(c.element)] = counts.get(signature(c.element), 0) + 1
        keep = []
        for c in cores:
            chain = [c.element, *(a for a in c.element.iterancestors() if a.tag not in _TOP)]
            if counts[signature(c.element)] >= self.cfg.min_repeats or any(self.cue["comment"].match(a) for a in chain):
                keep.append(c)
        return keep

    def pingbacks(self, items: list[El]) -> list[El]:
        """Outermost pingback/trackback elements that are not inside or around a comment."""
        prefixes = tuple(p.lower() for p in self.cfg.pingback_prefixes)
        out: list[El] = []
        for i, el in enumerate(self.ix.elements):
            if i in self.ix.excluded or el.find(".//a[@href]") is None or any(self.ix.inside(el, o) for o in out):
                continue
            lead = (el.text or "").strip().lower()
            if (self.cue["pingback"].match(el) or lead.startswith(prefixes)) and not any(
                    self.ix.inside(el, c) or self.ix.inside(c, el) for c in items):
                if el.tag in ("ul", "ol", "dl"):  # a list of pingbacks: its items are the pingbacks
                    out += [c for c in el if c.tag in ("li", "dd") and c.find(".//a[@href]") is not None]
                else:
                    out.append(el)
        return out


def _date_value(el: El) -> str | None:
    for attr in ("datetime", "title"):
        if el.get(attr) and iso_date(el.get(attr)):
            return iso_date(el.get(attr))
    inner = el.find(".//time")
    if inner is not None and inner.get("datetime"):
        return iso_date(inner.get("datetime"))
    return iso_date(" ".join(el.text_content().split()))


def find_comments(root: El, cfg: HtmlConfig) -> list[Found]:
    """Every comment and pingback in a parsed page, in document order, with parents and depths."""
    f = _Finder(root, cfg)
    cores: dict[El, _Core] = {}
    for a in f.authors:
        c = f.core(a)
        if c is not None and c.element not in cores:
            cores[c.element] = c
    kept = f.accepted(list(cores.values()))
    pings = f.pingbacks([c.element for c in kept])
    entries: list[tuple[El, _Core | None]] = [(c.element, c) for c in kept] + [(p, None) for p in pings]
    entries.sort(key=lambda e: f.ix.order[e[0]])
    item_idx = sorted(f.ix.order[e] for e, _ in entries)
    items = {e for e, _ in entries}
    comment_idx = sorted(f.ix.order[e] for e, c in entries if c is not None)
    blocks = [lift(f.ix, e, item_idx, items, comment_idx) for e, _ in entries]
    parents = thread_parents(f.ix, blocks, [e for e, _ in entries],
                             ["comment" if c is not None else "pingback" for _, c in entries], cfg.use_indentation)
    out: list[Found] = []
    for k, ((el, core), parent) in enumerate(zip(entries, parents, strict=True)):
        depth, up, seen = 1, parent, {k}
        while up is not None and up not in seen:  # parent chain; a cycle leaves the rest top-level
            seen.add(up)
            depth, up = depth + 1, parents[up]
        if core is None:
            link = el.find(".//a")
            author = f.author_text(link) if link is not None else None
            text = normalize_text(render_text(el, f._skip_inside(el)))
            out.append(Found(el, None, "pingback", author or None, "html:pingback-link" if author else None,
                             None, text, dom_id(el, blocks[k]), parent, depth))
        else:
            out.append(Found(el, core.body_element, "comment", f.author_text(core.author), "html:author-element",
                             _date_value(core.date), core.text, dom_id(el, blocks[k]), parent, depth))
    return out
