"""Comment-block candidates of a page, for the learned block classifier: the page index and candidates.

A candidate is an element whose signature (tag + first class token, digits removed) repeats in the page
and that holds text. The page index holds the document order, the normalised text stream, per-element
counts and flagged elements (author, date, avatar, ...); html_block_features turns candidates into
feature vectors. Everything here is pure: a parsed page in, numbers out.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from lxml import html as lxml_html

from pipeline.common.config import HtmlConfig
from pipeline.ingest.adapters.html_dom import Cues, DomIndex, signature

El = lxml_html.HtmlElement
_SILENT = frozenset({"script", "style", "noscript", "template", "head", "svg", "title"})
_NEVER = _SILENT | {"textarea", "select", "button", "iframe", "option"}
_PART = re.compile(r"[a-z]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def norm_text(s: str) -> str:
    """Text for matching: NFKC, case-folded, with every whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", s).casefold().split())


def token_parts(el: El) -> list[str]:
    """Lower-case word parts of an element's class and id (split on -, _, :, camelCase; digits dropped)."""
    out: list[str] = []
    for v in ((el.get("class") or ""), (el.get("id") or "")):
        for tok in v.split():
            out += _PART.findall(_CAMEL.sub(" ", tok).lower())
    return out


@dataclass
class PageIndex:
    """One page's document order, normalised text stream and per-element counts."""

    root: El
    ix: DomIndex
    stream: str  # normalised text (see norm_text) of the whole page in document order
    start: list[int]  # stream offset where each element's text starts
    stop: list[int]  # stream offset after each element's subtree text
    link: list[int]  # normalised characters inside links, per subtree
    depth: list[int]
    sig: list[tuple[str, str]]
    excluded: set[int] = field(default_factory=set)  # subtrees never holding a comment (scripts, inputs)
    aside: set[int] = field(default_factory=set)  # elements inside aside/nav or sidebar/widget-cued parts
    flags: dict[str, list[int]] = field(default_factory=dict)  # sorted element indices per flag
    segments: set[int] = field(default_factory=set)  # stream offsets where a text node starts

    def text_len(self, i: int) -> int:
        """Normalised text length of element i's subtree."""
        return self.stop[i] - self.start[i]

    def count(self, flag: str, i: int) -> int:
        """How many elements carrying `flag` lie in element i's subtree (itself included)."""
        idx = self.flags[flag]
        return bisect.bisect_right(idx, self.ix.end[i]) - bisect.bisect_left(idx, i)


def _stream(ix: DomIndex) -> tuple[str, list[int], list[int], list[int], list[int], set[int]]:
    """Normalised text stream with each element's start/stop offsets, link text and DOM depth."""
    n = len(ix.elements)
    start, stop, link, depth = [0] * n, [0] * n, [0] * n, [0] * n
    parts: list[str] = []
    pos = 0
    segs: set[int] = set()

    def walk(el: El, d: int, silent: bool) -> None:
        """Add an element's text and its children's, recording offsets and depth."""
        nonlocal pos
        i = ix.order[el]
        depth[i] = d
        start[i] = pos
        quiet = silent or el.tag in _SILENT
        if el.text and not quiet:
            t = norm_text(el.text)
            segs.add(pos)
            parts.append(t)
            pos += len(t)
        for child in el:
            if isinstance(child.tag, str):
                walk(child, d + 1, quiet)
            if child.tail and not quiet:
                t = norm_text(child.tail)
                segs.add(pos)
                parts.append(t)
                pos += len(t)
        stop[i] = pos

    walk(ix.root, 0, False)
    for i in range(n - 1, -1, -1):  # link text per subtree, bottom-up
        el = ix.elements[i]
        if el.tag == "a":
            link[i] = stop[i] - start[i]
        else:
            link[i] = sum(link[ix.order[c]] for c in el if isinstance(c.tag, str))
    return "".join(parts), start, stop, link, depth, segs


def index_page(root: El, cfg: HtmlConfig) -> PageIndex:
    """The page index: text stream, signatures and flagged elements (author, date, avatar, ...)."""
    ix = DomIndex(root, cfg.exclude_tags, cfg.exclude_cues)
    stream, start, stop, link, depth, segs = _stream(ix)
    pi = PageIndex(root, ix, stream, start, stop, link, depth, [signature(e) for e in ix.elements])
    pi.segments = segs
    author, date_cue = Cues(cfg.author_cues), Cues(cfg.date_cues)
    named = tuple(w.lower() for w in cfg.block_author_cues)  # matched as a token's last part ('comment__name')
    avatar = Cues(("avatar", "photo", "userpic", "gravatar"))
    date_re = re.compile(cfg.date_text_pattern, re.I)
    relative_re = re.compile(cfg.relative_date_pattern, re.I)
    user_re = re.compile(cfg.user_link_pattern, re.I)
    flags: dict[str, list[int]] = {k: [] for k in (
        "author", "user_link", "time", "date_cue", "date_text", "img", "avatar", "permalink", "p", "blockquote",
        "heading", "form")}
    for i, el in enumerate(ix.elements):
        tag = el.tag
        n = stop[i] - start[i]
        if tag == "time":
            flags["time"].append(i)
        if tag == "img":
            flags["img"].append(i)
            w = el.get("width") or ""
            if avatar.match(el) or (w.isdigit() and 0 < int(w) <= 100) or any(avatar.match(a) for a in
                                                                                 list(el.iterancestors())[:2]):
                flags["avatar"].append(i)
        if tag in ("p", "br"):
            flags["p"].append(i)
        if tag == "blockquote":
            flags["blockquote"].append(i)
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            flags["heading"].append(i)
        if tag in ("form", "textarea"):
            flags["form"].append(i)
        if 0 < n <= cfg.max_author_chars and (author.match(el) or any(
                parts[-1] in named for parts in (_PART.findall(_CAMEL.sub(" ", t).lower()) for t in
                                                 (el.get("class") or "").split()) if parts)):
            flags["author"].append(i)
        if tag == "a":
            href = el.get("href") or ""
            if user_re.search(href):
                flags["user_link"].append(i)
            if re.search(r"#\D*\d", href) or re.search(r"comment|reply|post", href, re.I):
                flags["permalink"].append(i)
        if 0 < n <= 80 and date_cue.match(el) and (el.get("datetime") or re.search(r"\d", pi.stream[start[i]:stop[i]])):
            flags["date_cue"].append(i)
        elif 0 < n <= 60 and len(el) <= 2:
            shown = " ".join(el.text_content().split())
            if date_re.search(shown) or (n <= 24 and relative_re.search(shown)):
                flags["date_text"].append(i)
    pi.flags = flags
    side = Cues(cfg.exclude_cues)
    for i, el in enumerate(ix.elements):
        if i in pi.excluded:
            continue
        if el.tag in _NEVER:
            pi.excluded.update(range(i, ix.end[i] + 1))
        elif i not in pi.aside and el.tag not in ("html", "body") and (el.tag in cfg.exclude_tags or side.match(el)):
            pi.aside.update(range(i, ix.end[i] + 1))
    return pi


def candidates(pi: PageIndex, min_repeats: int) -> list[int]:
    """Elements whose signature repeats in the page, that hold text or an author, outside excluded parts."""
    counts = Counter(pi.sig[i] for i in range(len(pi.sig)) if i not in pi.excluded)
    out = []
    for i, el in enumerate(pi.ix.elements):
        if i in pi.excluded or counts[pi.sig[i]] < min_repeats:
            continue
        if el.tag in ("a", "span", "p", "br", "img", "b", "i", "em", "strong", "time", "html", "body"):
            continue
        if pi.text_len(i) > 0:
            out.append(i)
    return out
