"""HTML pages: the post through trafilatura, the comment thread through generic repeated-block detection.

Rows: the post (position 0, depth 0, kind "post", text = trafilatura's main text) and every comment and
pingback (depth >= 1, document order) found by `_find`: the comments the page declares (html_typed), else
the cue finder (html_comments) or the block classifier (html_learned), each with the replies printed
inside comment boxes (html_embedded), less comments of other pages shown in a widget (html_offpage: a
`comments-of-other-pages` problems row names them) and "more comments" buttons; wiki talk pages go to html_talk. Manifest values
(source.meta: title, post_author, url, date, platform) win over extracted ones. Utterance ids use the
comment's DOM id when it has one (unique in the page), else its position.

Offsets: char_start/char_end locate the comment's own element in the decoded HTML: its start tag is
found on the element's source line (lxml `sourceline`) as the k-th `<tag` of that line, checked against
its id; the end is the matching end tag (same-tag nesting counted), cut at the start of the first nested
reply it contains, or, for unclosed elements, the start of the next element. dt/dd layouts span from the
header's start to the body's end. Null when the start tag cannot be found (parser-implied elements);
the post's offsets are null because trafilatura's main text is assembled from several elements.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from pipeline.common.config import IngestConfig
from pipeline.common.storage import sha256_bytes
from pipeline.common.textnorm import DecodeError, decode, normalize_text
from pipeline.ingest.adapters.base import Parsed, Source, SourceError, doc_id, utterance_id
from pipeline.ingest.adapters.html_blocks import PageIndex, index_page
from pipeline.ingest.adapters.html_comments import Found, find_comments
from pipeline.ingest.adapters.html_dom import DomIndex, SpanLocator, iso_date
from pipeline.ingest.adapters.html_embedded import embedded_replies
from pipeline.ingest.adapters.html_learned import find_comments_learned
from pipeline.ingest.adapters.html_model import BlockModel, load_model
from pipeline.ingest.adapters.html_offpage import controls, offpage, without
from pipeline.ingest.adapters.html_signs import missing_detail
from pipeline.ingest.adapters.html_talk import find_talk_page
from pipeline.ingest.adapters.html_typed import find_comments_typed

_OPEN = re.compile(r"<(html|body)[\s>]", re.I)
_CLOSE = re.compile(r"</(html|body)\s*>", re.I)
_SNIFF = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.I)


def _problem(source: Source, reason: str, detail: str, location: str | None = None) -> dict[str, Any]:
    return {"corpus": source.corpus, "source": source.path, "location": location, "stage": "ingest",
            "reason": reason, "detail": f"{source.path}: {detail}"}


def _without_comments(root: lxml_html.HtmlElement, found: list[Found]) -> lxml_html.HtmlElement:
    """A copy of the page without the found comments and forms (neither is the post's text or byline)."""
    order = {el: i for i, el in enumerate(root.iter())}
    drop = {order[e] for f in found for e in (f.element, f.body_element) if e is not None}
    drop |= {i for el, i in order.items() if el.tag == "form"}
    tree = copy.deepcopy(root)
    for i, el in enumerate(list(tree.iter())):
        if i in drop and el.getparent() is not None:
            el.drop_tree()
    return tree


def _main_text(tree: lxml_html.HtmlElement, url: str | None) -> dict[str, Any]:
    """trafilatura's main text and metadata (title, author, date, sitename), empty values as None."""
    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=True, include_comments=False,
                                      include_tables=True, favor_precision=False)
    if doc is None:
        return {}
    got = doc if isinstance(doc, dict) else doc.as_dict()
    return {k: got.get(k) or None for k in ("text", "title", "author", "date", "sitename", "url")}


_PARTICLES = frozenset({"von", "van", "de", "der", "den", "da", "di", "du", "del", "la", "le", "bin", "al", "ten", "zu"})


def byline_name(author: str | None) -> str | None:
    """A post byline without the bio trafilatura may append ("Martin Chikilian Martin is a ..." -> the name):
    cut where the first name comes again, else at the first lower-case word after two words."""
    if not author:
        return author
    words = author.split()
    if len(words) <= 3:
        return author
    for k in range(2, len(words)):
        if words[k] == words[0]:
            return " ".join(words[:k])
    for k in range(2, len(words)):
        if words[k][:1].islower() and words[k] not in _PARTICLES:
            return " ".join(words[:k])
    return author


def _platform(root: lxml_html.HtmlElement, names: tuple[str, ...]) -> str | None:
    """The first configured platform named by a <meta name="generator">, else that tag's first word."""
    gens = [(m.get("content") or "").strip().lower() for m in root.iter("meta")
            if (m.get("name") or "").lower() == "generator" and (m.get("content") or "").strip()]
    for name in names:
        if any(name in g for g in gens):
            return name
    return gens[0].split()[0] if gens else None


def _spans(found: list[Found], loc: SpanLocator, ix: DomIndex) -> list[tuple[int | None, int | None]]:
    """Character offsets of each comment's own element (see the module doc)."""
    starts = [loc.start(f.element) for f in found]
    out: list[tuple[int | None, int | None]] = []
    for k, f in enumerate(found):
        start = starts[k]
        if start is None:
            out.append((None, None))
            continue
        last = f.body_element if f.body_element is not None else f.element
        last_start = start if last is f.element else loc.start(last)
        end = loc.end(last, last_start) if last_start is not None else None
        nested = [s for j, s in enumerate(starts) if s is not None and j != k and ix.inside(found[j].element, f.element)]
        if nested and end is not None:
            end = min(end, min(nested))
        out.append((start, end))
    return out


def _row(source: Source, did: str, uid: str, parent: str | None, position: int, depth: int, kind: str,
         author: str | None, evidence: str | None, date: str | None, text: str,
         span: tuple[int | None, int | None]) -> dict[str, Any]:
    return {"corpus": source.corpus, "doc_id": did, "utterance_id": uid, "parent_id": parent,
            "position": position, "depth": depth, "kind": kind, "author": author,
            "author_evidence": evidence, "date": date, "text": text, "source_file": source.path,
            "char_start": span[0], "char_end": span[1]}


def _find(root: lxml_html.HtmlElement, params: IngestConfig, model: BlockModel | None) -> tuple[list[Found], PageIndex]:
    """The page's comments: the ones it declares (html_typed) unless the finder below finds many more
    (> typed_override_ratio x + 2: the types cover a part of the thread). The finder is ingest.html.method:
    the cue-based finder, the learned block classifier, or combined (the cue finder, unless the block
    classifier finds clearly more: > combine_ratio x + 2, or about as many (0.8x or more, cues 2+) with
    clearly more name-like authors: +0.3 of the comments)."""
    pi = index_page(root, params.html)
    typed = embedded_replies(find_comments_typed(pi, params.html), params.html)
    found = _heuristic(root, pi, params, model)
    if typed and len(found) <= params.html.typed_override_ratio * len(typed) + 2:
        return typed, pi
    return found, pi


def _heuristic(root: lxml_html.HtmlElement, pi: PageIndex, params: IngestConfig, model: BlockModel | None) -> list[Found]:
    """The comments of the configured heuristic finder (cues, learned or combined), each with the replies
    embedded in comment boxes (html_embedded) before they are compared."""
    cues = embedded_replies(find_comments(root, params.html), params.html) if params.html.method in ("cues", "combined") else []
    if params.html.method == "cues":
        return cues
    learned = embedded_replies(find_comments_learned(root, params.html, model or load_model(params.html.block_model),
                                                     lambda r, c: pi), params.html)
    if params.html.method == "combined" and len(learned) <= params.html.combine_ratio * len(cues) + 2 \
            and not (len(cues) >= 2 and len(learned) >= 0.8 * len(cues) and _named(learned) >= _named(cues) + 0.3):
        return cues
    return learned


def _named(found: list[Found]) -> float:
    """Share of comments whose author looks like a name (not empty, not '#1' or a number)."""
    comments = [f for f in found if f.kind == "comment"]
    return sum(bool(f.author and not re.fullmatch(r"[#\d\W]+", f.author)) for f in comments) / max(1, len(comments))


def parse_html(text: str, source: Source, params: IngestConfig, model: BlockModel | None = None) -> Parsed:
    """Rows for one decoded HTML page (`model`: a block model other than the configured one)."""
    try:
        root = lxml_html.document_fromstring(text.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))
    except (etree.ParserError, ValueError) as e:
        raise SourceError("bad-html", f"{source.path}: not parseable as HTML: {e}") from None
    out = Parsed()
    meta = source.meta
    did = doc_id(source.corpus, str(meta.get("id") or source.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]))
    talk = find_talk_page(root, text, params.html)  # a wiki talk page: signatures instead of comment blocks
    found: list[Found] = []
    if talk is None:
        found, pi = _find(root, params, model)
        other, buttons = offpage(found), controls(found, params.html)
        elsewhere = [found[k] for k in sorted(other - buttons)]
        found = without(found, other | buttons)
        if elsewhere:
            links = sorted({a.get("href") for f in elsewhere for a in f.element.iter("a") if "#" in (a.get("href") or "")})
            out.problems.append(_problem(source, "comments-of-other-pages", (
                f"{len(elsewhere)} comment(s) whose permalinks all point to another page's thread (a widget) left "
                f"out: {', '.join(links[:3])}")))
        missing = missing_detail(pi, params.html, len(found), tuple(pi.ix.order[f.element] for f in found))
        if missing:
            out.problems.append(_problem(source, "comments-suspected-missing", missing))
    extracted = _main_text(_without_comments(root, found), meta.get("url"))
    if talk is not None:  # the discussion is in the comment rows; the post is the page's lead
        extracted["text"] = talk.lead_text or None
    if not extracted.get("text") and talk is None:
        if not found:
            raise SourceError("no-text", f"{source.path}: HTML with no text: no main text and no comments found")
        out.problems.append(_problem(source, "no-main-text", "trafilatura found no main text; post text left empty"))
    if _OPEN.search(text) and not _CLOSE.search(text):
        out.problems.append(_problem(source, "truncated-html", f"the page ends at character {len(text)} without "
                                     "</body> or </html> (truncated download?); read what is there",
                                     f"char {len(text)}"))
    strip = re.compile(params.html.post_author_strip_pattern, re.I)
    post_author = meta.get("post_author") or byline_name(strip.sub("", extracted.get("author") or "").strip()) or None
    date = meta.get("date") or iso_date(extracted.get("date"))
    out.documents.append({
        "corpus": source.corpus, "doc_id": did, "title": meta.get("title") or extracted.get("title"),
        "url": meta.get("url") or extracted.get("url"), "post_author": post_author,
        "date": None if date is None else str(date), "platform": meta.get("platform") or _platform(root, params.html.platforms),
        "format": "html", "source_file": source.path, "source_sha256": sha256_bytes(source.data),
    })
    evidence = "manifest:post_author" if meta.get("post_author") else ("trafilatura:author" if post_author else None)
    post_id = utterance_id(did, "post")
    out.utterances.append(_row(source, did, post_id, None, 0, 0, "post", post_author, evidence,
                               None if date is None else str(date), normalize_text(extracted.get("text") or ""),
                               (None, None)))
    if talk is not None:
        for k, c in enumerate(talk.comments):
            parent = post_id if c.parent is None else utterance_id(did, str(c.parent + 1))
            out.utterances.append(_row(source, did, utterance_id(did, str(k + 1)), parent, k + 1, c.level, "comment",
                                       c.author, "html:talk-signature" if c.author else None, c.date, c.text,
                                       (c.char_start, c.char_end)))
        return out
    ix = DomIndex(root)
    spans = _spans(found, SpanLocator(text, ix), ix)
    ids = [f.dom_id for f in found]
    local = [i if i and ids.count(i) == 1 and i != "post" else str(k + 1) for k, i in enumerate(ids)]
    for k, f in enumerate(found):
        parent = post_id if f.parent is None else utterance_id(did, local[f.parent])
        out.utterances.append(_row(source, did, utterance_id(did, local[k]), parent, k + 1, f.depth, f.kind,
                                   f.author, f.author_evidence, f.date, f.text, spans[k]))
    return out


class HtmlAdapter:
    """Adapter for saved or fetched HTML pages with a post and its reader comments."""

    name = "html"

    def sniff(self, data: bytes, path: str) -> bool:
        """True for .html/.htm files or bytes that start like an HTML document."""
        return path.lower().endswith((".html", ".htm")) or bool(_SNIFF.search(data[:4096]))

    def parse(self, source: Source, params: IngestConfig) -> Parsed:
        """Parse one page; SourceError when it is empty, binary or not HTML."""
        if not source.data.strip():
            raise SourceError("empty-file", f"{source.path}: empty file")
        try:
            text, _ = decode(source.data)
        except DecodeError as e:
            raise SourceError("not-text", f"{source.path}: {e}") from None
        if not re.search(r"<[A-Za-z!]", text):
            raise SourceError("not-html", f"{source.path}: no HTML markup found")
        return parse_html(text, source, params)


ADAPTER = HtmlAdapter()
