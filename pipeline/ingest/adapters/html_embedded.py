"""Replies written inside their parent comment's box: a blog owner's answer under a reader's comment.

Some blog platforms print the owner's answer in the reader comment's own box, without a block of its own:
no repeated markup, so neither finder sees it. Inside a found comment (other found comments left out), an
element is such a reply when a class/id token of it matches `ingest.html.embedded_reply_cues`, it holds a
dated line (a `<time>` or a short text matching date_text_pattern) naming someone (a link or an
author-cued element in that line), and text besides that line, while the box keeps a text of its own (else
the element is the comment's own content, not a reply inside it). It becomes a comment replying to the box's
comment: author = the name, date = the line's date, text = the rest; the box's text loses it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from lxml import html as lxml_html

from pipeline.common.config import HtmlConfig
from pipeline.common.textnorm import normalize_text
from pipeline.ingest.adapters.html_comments import Found
from pipeline.ingest.adapters.html_dom import LETTER, NOT_TEXT, Cues, iso_date, render_text

El = lxml_html.HtmlElement
_LINE_CHARS = 80


def _short(el: El) -> str:
    return " ".join(el.text_content().split())


def _name(line: El, author_cue: Cues, max_chars: int) -> str | None:
    """The name in a dated line: an author-cued element's text, else the first link's."""
    for el in line.iter():
        if isinstance(el.tag, str) and (author_cue.match(el) or el.tag == "a"):
            name = _short(el)
            if 0 < len(name) <= max_chars and LETTER.search(name):  # a word, not a '#' permalink
                return name
    return None


def _reply(r: El, cfg: HtmlConfig, date_re: re.Pattern[str], author_cue: Cues) -> tuple[str, str | None, str] | None:
    """(author, ISO date, text) of an embedded reply element, or None when r is not one: its first dated
    element (innermost), widened up to r until a name shows, is the line; the rest is the text."""
    dated = [el for el in r.iter() if isinstance(el.tag, str) and el.tag not in NOT_TEXT and (
        el.tag == "time" or 0 < len(_short(el)) <= _LINE_CHARS and date_re.search(_short(el)))]
    if not dated:
        return None
    date_el = next(d for d in dated if not any(e is not d and d in e.iterancestors() for e in dated))
    line, name = date_el, _name(date_el, author_cue, cfg.max_author_chars)
    while name is None and line is not r and len(_short(line.getparent())) <= _LINE_CHARS + cfg.max_author_chars:
        line = line.getparent()
        name = _name(line, author_cue, cfg.max_author_chars)
    text = normalize_text(render_text(r, lambda n: n is line or n.tag in NOT_TEXT))
    if not name or line is r or not LETTER.search(text):
        return None
    return name, iso_date(date_el.get("datetime") or _short(date_el)), text


def embedded_replies(found: list[Found], cfg: HtmlConfig) -> list[Found]:
    """Found comments with the replies embedded in their boxes added after them (parents re-indexed)."""
    if not cfg.embedded_reply_cues:
        return found
    cue = Cues(cfg.embedded_reply_cues)
    author_cue = Cues(cfg.author_cues)
    date_re = re.compile(cfg.date_text_pattern, re.I)
    elements = {f.element for f in found} | {f.body_element for f in found if f.body_element is not None}
    added: dict[int, list[Found]] = {}
    for k, f in enumerate(found):
        if f.kind != "comment":
            continue
        inner = [e for e in elements if e is not f.element and f.element in e.iterancestors()]
        taken: list[El] = []
        for r in f.element.iterdescendants():
            if not isinstance(r.tag, str) or not cue.match(r) or r in elements or any(
                    e in r.iterancestors() or r in e.iterancestors() for e in inner + taken):
                continue
            got = _reply(r, cfg, date_re, author_cue)
            if got is not None and LETTER.search(f.text.replace(got[2], "")):  # the box keeps a body
                taken.append(r)
                added.setdefault(k, []).append(Found(r, None, "comment", got[0], "html:embedded-reply", got[1], got[2],
                                                     r.get("id"), k, f.depth + 1))
    if not added:
        return found
    new_index: dict[int, int] = {}
    order: list[tuple[int | None, Found]] = []  # (old index or None for an added reply, item)
    for k, f in enumerate(found):
        new_index[k] = len(order)
        order.append((k, f))
        order.extend((None, a) for a in added.get(k, []))
    out = []
    for old, f in order:
        parent = None if f.parent is None else new_index[f.parent]
        if old is not None and old in added:  # the box's text without its embedded replies
            text = f.text
            for a in added[old]:
                text = text.replace(a.text, "")
            f = replace(f, text=normalize_text(text))
        out.append(replace(f, parent=parent))
    return out
