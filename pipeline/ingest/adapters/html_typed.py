"""Comments the page declares itself: elements typed as comments in microdata or RDFa (schema.org, SIOC).

A web standard, read before any heuristic: an element whose `itemtype` (microdata) or `typeof` (RDFa) names
one of the configured comment types (`ingest.html.typed_comment_types`, compared with the type's local name:
"https://schema.org/Comment", "schema:Comment" and "sioct:Comment" all give "comment") is one comment; a
typed comment inside another is its reply (html_thread's containment and child-list rules place it). Its
author, date and text come from the properties it declares (`itemprop` / `property` / `rel`, local names in
`typed_author_props`, `typed_date_props`, `typed_text_props`), outside nested comments; a field without a
declared property keeps what the block reader (html_learned) found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from lxml import html as lxml_html

from pipeline.common.config import HtmlConfig
from pipeline.common.textnorm import normalize_text
from pipeline.ingest.adapters.html_blocks import PageIndex
from pipeline.ingest.adapters.html_comments import Found
from pipeline.ingest.adapters.html_dom import NOT_TEXT, iso_date, render_text
from pipeline.ingest.adapters.html_learned import comments_from_blocks, pingback_blocks

El = lxml_html.HtmlElement
_SPLIT = re.compile(r"[/#:]")


def local_names(value: str | None) -> set[str]:
    """Lower-case local names of a space-separated list of types or properties ('sioc:Post sioct:Comment'
    -> {'post', 'comment'}; 'https://schema.org/Comment' -> {'comment'})."""
    return {_SPLIT.split(tok.rstrip("/"))[-1].lower() for tok in (value or "").split() if tok.strip("/")}


def _typed(el: El, types: set[str]) -> bool:
    return bool((local_names(el.get("itemtype")) | local_names(el.get("typeof"))) & types)


def typed_blocks(pi: PageIndex, cfg: HtmlConfig) -> list[int]:
    """Element indices (document order) of the elements typed as comments, outside excluded parts."""
    types = {t.lower() for t in cfg.typed_comment_types}
    return [i for i, el in enumerate(pi.ix.elements)
            if i not in pi.excluded and (el.get("itemtype") or el.get("typeof")) and _typed(el, types)]


def _props(el: El) -> set[str]:
    return local_names(el.get("itemprop")) | local_names(el.get("property")) | local_names(el.get("rel"))


def _declared(top: El, types: set[str]) -> Iterator[El]:
    """Descendants of a typed comment carrying properties, nested typed comments left out whole."""
    stack = [c for c in reversed(top) if isinstance(c.tag, str)]
    while stack:
        el = stack.pop()
        if _typed(el, types) or el.tag in NOT_TEXT:
            continue
        if _props(el):
            yield el
        stack.extend(c for c in reversed(el) if isinstance(c.tag, str))


def _value(el: El) -> str:
    """An element's declared value: its content/datetime attribute, else its text."""
    for attr in ("content", "datetime"):
        if el.get(attr):
            return " ".join(str(el.get(attr)).split())
    return " ".join(el.text_content().split())


def declared_fields(top: El, cfg: HtmlConfig) -> tuple[str | None, str | None, str | None]:
    """(author, ISO date, text) declared inside a typed comment; None where it declares none."""
    types = {t.lower() for t in cfg.typed_comment_types}
    author_p = {p.lower() for p in cfg.typed_author_props}
    date_p = {p.lower() for p in cfg.typed_date_props}
    text_p = {p.lower() for p in cfg.typed_text_props}
    author = date = None
    texts: list[El] = []
    for el in _declared(top, types):
        props = _props(el)
        if author is None and props & author_p:  # a Person/UserAccount inside: its name; a date-holder: its text
            named = [d for d in el.iter() if isinstance(d.tag, str) and "name" in _props(d) and d is not el]
            author = _value(named[0]) if named else (" ".join(el.text_content().split()) if props & date_p
                                                     else _value(el))
        if date is None and props & date_p:
            date = iso_date(_value(el))
        if props & text_p and not any(t in el.iterancestors() for t in texts):
            texts.append(el)
    text = normalize_text("\n\n".join(render_text(t, lambda n: n.tag in NOT_TEXT) for t in texts)) if texts else None
    return author or None, date, text or None


def with_declared(found: list[Found], cfg: HtmlConfig) -> list[Found]:
    """Found comments with the author, date and text their typed element declares (others unchanged)."""
    out = []
    for f in found:
        if f.kind != "comment":
            out.append(f)
            continue
        author, date, text = declared_fields(f.element, cfg)
        out.append(replace(f, author=author or f.author,
                           author_evidence="html:declared-author" if author else f.author_evidence,
                           date=date or f.date, text=text if text is not None else f.text))
    return out


def find_comments_typed(pi: PageIndex, cfg: HtmlConfig) -> list[Found]:
    """The page's typed comments (with their declared fields) and its pingbacks; [] when none is typed."""
    typed = typed_blocks(pi, cfg)
    if not typed:
        return []
    pings = pingback_blocks(pi, cfg, typed)
    return with_declared(comments_from_blocks(pi, cfg, [i for i in typed if i not in pings], tuple(sorted(pings))), cfg)
