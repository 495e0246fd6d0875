"""WordPress WXR export: one document per post/page item, its <wp:comment>s as the thread.

Which items count (post types and statuses) and which comments become utterances (values of
<wp:comment_approved>) are set in params.yaml `ingest.exports`; every comment left out (pending,
spam, trash, unknown comment_type, or on a skipped item) becomes a problems row naming its line, and
replies to it become orphans. comment_type pingback/trackback -> kind "pingback". Broken XML is
parsed with lxml's recovery; what it could not recover is reported with line numbers.
char_start/char_end: the post spans its <content:encoded> element, a comment its <wp:comment>.
"""

from __future__ import annotations

import re

from lxml import etree

from pipeline.common.config import IngestConfig
from pipeline.ingest.adapters.base import Parsed, Source
from pipeline.ingest.adapters.sourcemap import LineIndex, SpanFinder, decode_and_parse_xml
from pipeline.ingest.adapters.structured import (
    Node,
    build_thread,
    html_to_text,
    iso_from_wp,
    problem,
)

_SNIFF = re.compile(rb"xmlns:wp=\"http://wordpress\.org/export/|<wp:wxr_version>")
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
PINGBACK_TYPES = ("pingback", "trackback")
COMMENT_TYPES = ("", "comment")


def _wp(root: etree._Element) -> str:
    """The WXR namespace URI in use (export/1.0, 1.1 or 1.2)."""
    for uri in (root.nsmap or {}).values():
        if uri and uri.startswith("http://wordpress.org/export/") and "excerpt" not in uri:
            return uri
    return "http://wordpress.org/export/1.2/"


class WxrAdapter:
    """Adapter for WordPress eXtended RSS exports."""

    name = "wxr"

    def sniff(self, data: bytes, path: str) -> bool:
        """An RSS file declaring the WordPress export namespace."""
        return bool(_SNIFF.search(data[:20000]))

    def parse(self, source: Source, params: IngestConfig) -> Parsed:
        """Parse every post/page item into a document with its comments."""
        text, root, problems = decode_and_parse_xml(source)
        out = Parsed(problems=problems)
        ns = _wp(root)
        w = {k: f"{{{ns}}}{k}" for k in (
            "post_id", "post_type", "status", "post_date", "post_date_gmt", "comment", "comment_id",
            "comment_author", "comment_date", "comment_date_gmt", "comment_content", "comment_approved",
            "comment_type", "comment_parent", "author", "author_login", "author_display_name")}
        names = {a.findtext(w["author_login"]): a.findtext(w["author_display_name"]) for a in root.iter(w["author"])}
        finder = SpanFinder(LineIndex(text))
        cfg = params.exports
        seen: dict[str, int | None] = {}
        for item in root.iter("item"):
            finder.span(item)
            ptype, status = item.findtext(w["post_type"]) or "", item.findtext(w["status"]) or ""
            comments = item.findall(w["comment"])
            if ptype not in cfg.wxr_post_types or status not in cfg.wxr_post_statuses:
                what = f"item {item.findtext(w['post_id'])} (type {ptype!r}, status {status!r})"
                if ptype in cfg.wxr_post_types:  # a draft/private post: a discussion item left out
                    out.problems.append(problem(source, "wxr-item-skipped", f"{what}: its status is not in "
                                                "ingest.exports.wxr_post_statuses; post left out",
                                                f"line {item.sourceline}"))
                for c in comments:  # other types (attachments, menus) are not discussion items; their comments are
                    finder.span(c)
                    out.problems.append(problem(source, "wxr-item-skipped", f"comment "
                                                f"{c.findtext(w['comment_id'])} on {what}: the item's type/status is "
                                                "not in ingest.exports; left out", f"line {c.sourceline}"))
                continue
            post_id = item.findtext(w["post_id"]) or f"line{item.sourceline}"
            if post_id in seen:
                out.problems.append(problem(source, "duplicate-id", f"item {post_id} seen twice; kept the first "
                                            f"(line {seen[post_id]}), this post left out", f"line {item.sourceline}"))
                for c in comments:
                    finder.span(c)
                    out.problems.append(problem(source, "duplicate-id", f"comment {c.findtext(w['comment_id'])} "
                                                f"on the repeated item {post_id}; left out", f"line {c.sourceline}"))
                continue
            seen[post_id] = item.sourceline
            self._item(source, item, comments, w, names, finder, cfg.wxr_comment_approved, out)
        prefix = next((p for p, uri in (root.nsmap or {}).items() if uri == ns and p), "wp")
        for lit in ("item", f"{prefix}:comment"):
            for line in finder.lost(lit):
                out.problems.append(problem(source, "bad-xml-lost", f"<{lit}> at line {line} could not be "
                                            "recovered from the broken XML", f"line {line}"))
        return out

    def _item(self, source: Source, item: etree._Element, comments: list[etree._Element], w: dict[str, str],
              names: dict[str | None, str | None], finder: SpanFinder, approved: tuple[str, ...],
              out: Parsed) -> None:
        """One item: document, post and comments."""
        post_id = item.findtext(w["post_id"]) or f"line{item.sourceline}"
        content = item.find(CONTENT)
        start, end = finder.span(content) if content is not None else (None, None)
        login = item.findtext(DC_CREATOR)
        display = names.get(login) if login else None
        post = {
            "author": display or login or None,
            "author_evidence": ("wxr: dc:creator login, wp:author_display_name" if display else "wxr: dc:creator")
            if (display or login) else None,
            "date": iso_from_wp(item.findtext(w["post_date_gmt"]), item.findtext(w["post_date"])),
            "text": html_to_text(content.text if content is not None else ""),
            "char_start": start, "char_end": end,
        }
        nodes: list[Node] = []
        for order, c in enumerate(comments):
            node = self._comment(source, c, w, finder, approved, order, post_id, out)
            if node is not None:
                nodes.append(node)
        doc_fields = {"title": item.findtext("title") or None, "url": item.findtext("link") or None,
                      "platform": "wordpress"}
        doc, rows, problems = build_thread(source, self.name, post_id, doc_fields, post, nodes)
        out.documents.append(doc)
        out.utterances += rows
        out.problems += problems

    @staticmethod
    def _comment(source: Source, c: etree._Element, w: dict[str, str], finder: SpanFinder,
                 approved: tuple[str, ...], order: int, post_id: str, out: Parsed) -> Node | None:
        """A <wp:comment> as a node, or None (with a problems row) when it is left out."""
        start, end = finder.span(c)
        cid = c.findtext(w["comment_id"]) or f"line{c.sourceline}"
        status = (c.findtext(w["comment_approved"]) or "").strip()
        ctype = (c.findtext(w["comment_type"]) or "").strip()
        where = f"line {c.sourceline}"
        if status not in approved:
            out.problems.append(problem(source, "wxr-not-approved", f"post {post_id} comment {cid}: "
                                        f"comment_approved={status!r} is not in ingest.exports.wxr_comment_approved",
                                        where))
            return None
        if ctype not in COMMENT_TYPES + PINGBACK_TYPES:
            out.problems.append(problem(source, "wxr-comment-type", f"post {post_id} comment {cid}: "
                                        f"comment_type {ctype!r} is neither a comment nor a pingback", where))
            return None
        parent = (c.findtext(w["comment_parent"]) or "0").strip()
        author = (c.findtext(w["comment_author"]) or "").strip() or None
        date = iso_from_wp(c.findtext(w["comment_date_gmt"]), c.findtext(w["comment_date"]))
        return Node(cid, None if parent in ("", "0") else parent, (date or "", order), {
            "kind": "pingback" if ctype in PINGBACK_TYPES else "comment",
            "author": author, "author_evidence": "wxr: wp:comment_author" if author else None,
            "date": date, "text": html_to_text(c.findtext(w["comment_content"])),
            "char_start": start, "char_end": end, "line": c.sourceline,
        })


ADAPTER = WxrAdapter()
