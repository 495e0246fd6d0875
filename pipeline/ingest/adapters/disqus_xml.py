"""Disqus XML export: <thread> elements are documents, <post> elements their comments.

A post names its thread with <thread dsq:id> and the post it answers with <parent dsq:id>. The
thread's own <message> (usually empty) is the position-0 post. Posts flagged isDeleted/isSpam are
kept or left out as params.yaml `ingest.exports` says; left-out posts become problems rows with
their line, and replies to them become orphans. Broken XML is parsed with lxml's recovery and what
could not be recovered is reported by line. char_start/char_end span the <thread>/<post> element.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from pipeline.common.config import ExportsConfig, IngestConfig
from pipeline.ingest.adapters.base import Parsed, Source
from pipeline.ingest.adapters.sourcemap import LineIndex, SpanFinder, decode_and_parse_xml
from pipeline.ingest.adapters.structured import Node, build_thread, html_to_text, problem

NS = "{http://disqus.com}"
DSQ_ID = "{http://disqus.com/disqus-internals}id"
_SNIFF = re.compile(rb"<disqus[\s>][^>]*xmlns=\"http://disqus\.com\"|xmlns=\"http://disqus\.com\"[^>]*>\s*<(thread|post|category)")


def _flag(el: etree._Element, name: str) -> bool:
    """A true/false child element."""
    return (el.findtext(NS + name) or "").strip().lower() == "true"


def _author(el: etree._Element) -> tuple[str | None, str | None]:
    """(author, evidence) from an <author> block: display name, else username."""
    name = (el.findtext(f"{NS}author/{NS}name") or "").strip()
    user = (el.findtext(f"{NS}author/{NS}username") or "").strip()
    anon = (el.findtext(f"{NS}author/{NS}isAnonymous") or "").strip().lower() == "true"
    if name:
        return name, "disqus: author/name" + (" (guest, isAnonymous)" if anon else "")
    if user:
        return user, "disqus: author/username"
    return None, None


def _ref(el: etree._Element, tag: str) -> str | None:
    """The dsq:id of a <thread>/<parent> reference child."""
    child = el.find(NS + tag)
    return child.get(DSQ_ID) if child is not None else None


class DisqusXmlAdapter:
    """Adapter for Disqus XML exports."""

    name = "disqus_xml"

    def sniff(self, data: bytes, path: str) -> bool:
        """An XML file whose root is <disqus xmlns="http://disqus.com">."""
        return bool(_SNIFF.search(data[:4000]))

    def parse(self, source: Source, params: IngestConfig) -> Parsed:
        """Parse every thread into a document with its posts as comments."""
        text, root, problems = decode_and_parse_xml(source)
        out = Parsed(problems=problems)
        finder = SpanFinder(LineIndex(text))
        threads: dict[str, tuple[etree._Element, tuple[int | None, int | None]]] = {}
        posts: dict[str, list[Node]] = {}
        order = 0
        for el in root:
            if not isinstance(el.tag, str):
                continue
            if el.tag == NS + "thread":
                tid = el.get(DSQ_ID) or f"line{el.sourceline}"
                span = finder.span(el)
                if tid in threads:
                    out.problems.append(problem(source, "duplicate-id", f"thread {tid!r} seen twice; kept the "
                                                f"first (line {threads[tid][0].sourceline})", f"line {el.sourceline}"))
                    continue
                threads[tid] = (el, span)
            elif el.tag == NS + "post":
                node = self._post(source, el, finder.span(el), params.exports, order, out)
                order += 1
                if node is not None:
                    posts.setdefault(_ref(el, "thread") or "", []).append(node)
        for tid in sorted(posts.keys() - threads.keys()):
            for node in posts[tid]:
                line = node.fields.get("line")
                out.problems.append(problem(source, "unknown-thread", f"post {node.local_id} names thread {tid!r}, "
                                            "which is not in the file; left out", f"line {line}" if line else None))
        for tid, (el, (start, end)) in threads.items():
            author, evidence = _author(el)
            post = {"author": author, "author_evidence": evidence, "date": el.findtext(NS + "createdAt") or None,
                    "text": html_to_text(el.findtext(NS + "message")), "char_start": start, "char_end": end}
            doc_fields = {"title": el.findtext(NS + "title") or None, "url": el.findtext(NS + "link") or None,
                          "platform": "disqus"}
            doc, rows, probs = build_thread(source, self.name, tid, doc_fields, post, posts.get(tid, []))
            out.documents.append(doc)
            out.utterances += rows
            out.problems += probs
        for lit in ("thread", "post"):
            for line in finder.lost(lit):
                out.problems.append(problem(source, "bad-xml-lost", f"<{lit}> at line {line} could not be "
                                            "recovered from the broken XML", f"line {line}"))
        return out

    @staticmethod
    def _post(source: Source, el: etree._Element, span: tuple[int | None, int | None], cfg: ExportsConfig,
              order: int, out: Parsed) -> Node | None:
        """A <post> as a node, or None (with a problems row) when its flags leave it out."""
        pid = el.get(DSQ_ID) or f"line{el.sourceline}"
        for flag, keep in (("isDeleted", cfg.disqus_keep_deleted), ("isSpam", cfg.disqus_keep_spam)):
            if _flag(el, flag) and not keep:
                out.problems.append(problem(source, f"disqus-{flag[2:].lower()}", f"post {pid} has {flag}=true; "
                                            f"left out (ingest.exports.disqus_keep_{flag[2:].lower()})",
                                            f"line {el.sourceline}"))
                return None
        author, evidence = _author(el)
        date = el.findtext(NS + "createdAt") or None
        fields: dict[str, Any] = {"kind": "comment", "author": author, "author_evidence": evidence, "date": date,
                                  "text": html_to_text(el.findtext(NS + "message")), "char_start": span[0],
                                  "char_end": span[1], "line": el.sourceline}
        return Node(pid, _ref(el, "parent"), (date or "", order), fields)


ADAPTER = DisqusXmlAdapter()
