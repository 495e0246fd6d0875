"""Comment-block candidates of a page and their features, for the learned block classifier.

A candidate is an element whose signature (tag + first class token, digits removed) repeats in the page
and that holds text. Its features describe the element (text length, link density, author/date/avatar/
permalink children, data-* attributes, depth markers, nesting of same-signature blocks), its signature
group (how many, how often they hold an author or a date) and its class/id token parts against a
vocabulary learned from training pages. Everything here is pure: a parsed page in, numbers out.
"""

from __future__ import annotations

import bisect
import math
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
_DEPTH_CLASS = re.compile(r"(?:depth|level|lvl|indent)\D{0,3}(\d+)", re.I)
_DATA_DEPTH = re.compile(r"^data-[\w-]*(depth|level|indent)", re.I)
_DATA_PARENT = re.compile(r"^data-[\w-]*parent", re.I)
_DATA_ID = re.compile(r"^data-[\w-]*id$", re.I)
_DESC_LIMIT = 400  # descendants looked at for descendant-token features

# Dense feature names, in vector order (the vocabulary features follow them).
DENSE: tuple[str, ...] = (
    "log_group", "log_siblings", "log_cousins", "log_text", "link_density", "short_text", "empty",
    "has_author", "has_user_link", "has_time", "has_date_cue", "has_date_text", "has_img", "has_avatar",
    "has_permalink", "log_children", "log_descendants", "has_p", "has_blockquote", "dom_depth", "rel_pos",
    "data_id", "data_parent", "data_depth", "id_digits", "depth_class", "nested_same", "ancestor_same",
    "numeric_heading", "group_author", "group_date", "group_log_text", "group_distinct_text", "group_share",
    "text_vs_group", "tag_li", "tag_div", "tag_article", "tag_tr", "tag_dl", "tag_section", "tag_other",
    "has_heading", "has_form_sibling", "group_siblings_frac", "in_aside", "in_form", "log_plain_text",
    "frac_parent", "max_child_frac", "group_plain_text",
)


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


def _has_attr(el: El, pattern: re.Pattern[str]) -> bool:
    return any(pattern.match(k) for k in el.attrib)


def _depth_class(el: El) -> bool:
    return bool(_DEPTH_CLASS.search(el.get("class") or ""))


def features(pi: PageIndex, cands: list[int], vocab: tuple[str, ...]) -> list[list[float]]:
    """One feature vector per candidate: DENSE values, then own-token and ancestor-token vocabulary hits."""
    n = max(1, len(pi.ix.elements))
    total = max(1, len(pi.stream))
    cand_set = set(cands)
    by_sig: dict[tuple[str, str], list[int]] = {}
    for i in cands:
        by_sig.setdefault(pi.sig[i], []).append(i)
    group: dict[tuple[str, str], tuple[float, ...]] = {}
    for s, members in by_sig.items():
        texts = [pi.stream[pi.start[i]:pi.stop[i]][:80] for i in members]
        lens = sorted(pi.text_len(i) for i in members)
        sibs = Counter(id(pi.ix.elements[i].getparent()) for i in members)
        group[s] = (
            sum(pi.count("author", i) > 0 or pi.count("user_link", i) > 0 for i in members) / len(members),
            sum(pi.count("time", i) + pi.count("date_cue", i) + pi.count("date_text", i) > 0 for i in members)
            / len(members),
            math.log1p(lens[len(lens) // 2]),
            len(set(texts)) / len(members),
            sum(lens) / total,
            max(lens),
            max(sibs.values()) / len(members),
            math.log1p(sorted(pi.text_len(i) - pi.link[i] for i in members)[len(members) // 2]),
        )
    out = []
    for i in cands:
        el = pi.ix.elements[i]
        s = pi.sig[i]
        g = group[s]
        parent = el.getparent()
        sibs = sum(1 for c in parent if isinstance(c.tag, str) and c is not el and pi.sig[pi.ix.order[c]] == s) \
            if parent is not None else 0
        gp = parent.getparent() if parent is not None else None
        cousins = sum(1 for c in gp if isinstance(c.tag, str) for cc in c if isinstance(cc.tag, str)
                      and cc is not el and pi.sig[pi.ix.order[cc]] == s) if gp is not None else sibs
        t = pi.text_len(i)
        lo = bisect.bisect_left(by_sig[s], i)
        nested = any(j in cand_set for j in by_sig[s][lo + 1:lo + 2] if j <= pi.ix.end[i])
        anc_same = any(pi.ix.order.get(a) in cand_set and pi.sig[pi.ix.order[a]] == s for a in el.iterancestors())
        snippet = pi.stream[pi.start[i]:pi.stop[i]]
        numeric_heading = t <= 40 and bool(re.search(r"\d", snippet))
        tag = el.tag
        nxt = el.getnext()
        row = [
            math.log1p(len(by_sig[s])), math.log1p(sibs), math.log1p(cousins), math.log1p(t),
            pi.link[i] / max(1, t), float(t <= 40), float(t < 3),
            float(pi.count("author", i) > 0), float(pi.count("user_link", i) > 0), float(pi.count("time", i) > 0),
            float(pi.count("date_cue", i) > 0), float(pi.count("date_text", i) > 0), float(pi.count("img", i) > 0),
            float(pi.count("avatar", i) > 0), float(pi.count("permalink", i) > 0),
            math.log1p(sum(1 for c in el if isinstance(c.tag, str))), math.log1p(pi.ix.end[i] - i),
            float(pi.count("p", i) > 0), float(pi.count("blockquote", i) > 0), pi.depth[i] / 30, i / n,
            float(_has_attr(el, _DATA_ID)), float(_has_attr(el, _DATA_PARENT)), float(_has_attr(el, _DATA_DEPTH)),
            float(bool(re.search(r"\d", el.get("id") or ""))), float(_depth_class(el) or _depth_class(parent)
                                                                    if parent is not None else _depth_class(el)),
            float(nested), float(anc_same), float(numeric_heading),
            g[0], g[1], g[2], g[3], g[4], t / max(1, g[5]),
            float(tag == "li"), float(tag == "div"), float(tag == "article"), float(tag == "tr"),
            float(tag in ("dl", "dt", "dd")), float(tag == "section"),
            float(tag not in ("li", "div", "article", "tr", "dl", "dt", "dd", "section")),
            float(pi.count("heading", i) > 0), float(nxt is not None and nxt.tag == "form"), g[6],
            float(i in pi.aside), float(any(a.tag == "form" for a in el.iterancestors())),
            math.log1p(max(0, t - pi.link[i])),
            t / max(1, pi.text_len(pi.ix.order[parent])) if parent is not None else 1.0,
            max((pi.text_len(pi.ix.order[c]) for c in el if isinstance(c.tag, str)), default=0) / max(1, t),
            g[7],
        ]
        out.append(row)
    return out if not vocab else [r + v for r, v in zip(out, vocab_features(pi, cands, vocab), strict=True)]


def vocab_features(pi: PageIndex, cands: list[int], vocab: tuple[str, ...]) -> list[list[float]]:
    """Own-token, ancestor-token and descendant-token hits of each candidate against the vocabulary."""
    vindex = {v: k for k, v in enumerate(vocab)}
    out = []
    for i in cands:
        el = pi.ix.elements[i]
        voc = [0.0] * (3 * len(vocab))
        for j in range(i + 1, min(pi.ix.end[i], i + _DESC_LIMIT) + 1):
            for p in token_parts(pi.ix.elements[j]):
                for v in _hits(p, vindex):
                    voc[2 * len(vocab) + v] = 1.0
        for p in token_parts(el):
            for v in _hits(p, vindex):
                voc[v] = 1.0
        for depth_up, a in enumerate(el.iterancestors()):
            if depth_up >= 6:
                break
            for p in token_parts(a):
                for v in _hits(p, vindex):
                    voc[len(vocab) + v] = 1.0
        out.append(voc)
    return out


def _hits(part: str, vindex: dict[str, int]) -> list[int]:
    """Vocabulary entries a token part matches: equal, or containing a vocabulary word of 4+ letters."""
    if part in vindex:
        return [vindex[part]]
    return [k for v, k in vindex.items() if len(v) >= 4 and v in part]


def feature_names(vocab: tuple[str, ...]) -> list[str]:
    """Names of the feature vector's columns."""
    return [*DENSE, *(f"own:{v}" for v in vocab), *(f"anc:{v}" for v in vocab), *(f"desc:{v}" for v in vocab)]
