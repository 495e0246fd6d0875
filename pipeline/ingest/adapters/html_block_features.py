"""Feature vectors of comment-block candidates, for the learned block classifier.

A candidate's features describe the element (text length, link density, author/date/avatar/permalink
children, data-* attributes, depth markers, nesting of same-signature blocks), its signature group (how
many, how often they hold an author or a date) and its class/id token parts against a vocabulary
learned from training pages. Everything here is pure: a page index and candidates in, numbers out.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter

from lxml import html as lxml_html

from pipeline.ingest.adapters.html_blocks import PageIndex, token_parts

El = lxml_html.HtmlElement
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


def _has_attr(el: El, pattern: re.Pattern[str]) -> bool:
    """Whether an element has an attribute whose name matches the pattern."""
    return any(pattern.match(k) for k in el.attrib)


def _depth_class(el: El) -> bool:
    """Whether an element's class names a depth or level with a number (depth-2, level_3)."""
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
