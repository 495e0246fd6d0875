"""Plain-text thread exports (the seed format): title, post body, then a comment list nested by indentation.

Layout rules (patterns come from params.yaml `ingest.thread_text`):
- Title: the manifest's title when the first line equals it; without a manifest title, a first line
  under 150 characters, followed by a blank line, not a list item and not ending in punctuation.
- Comment section: after a heading line ("58 Replies to ...", "Comments"); without a heading, the
  whole text when it opens with a list item (the post body is missing, or the manifest says
  `post_missing: true`), or the last list block before a closing line that is set off from the body
  by two or more blank lines. Lists inside the post body are body.
- Closing: a closing line ("Comments are closed", "Leave a reply", ...) ends the text; what follows is
  site boilerplate, recorded as a skipped span.
- Comments: each list item ("•" bullet or "N." number) starts a comment; non-item lines belong to the
  comment above; an item's parent is the nearest earlier item with a smaller indent. Items indented
  less than the section's top level (a first line that lost its indentation) count as top level.
- Offsets: `char_start:char_end` is the item's span after its marker, in the decoded file;
  `normalize_text(raw[char_start:char_end]) == text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from pipeline.common.config import IngestConfig, ThreadTextConfig
from pipeline.common.patterns import any_of, candidate_lines, search_any
from pipeline.common.storage import sha256_bytes
from pipeline.common.textnorm import DecodeError, decode, normalize_text
from pipeline.ingest.adapters.base import Parsed, Source, SourceError, doc_id, utterance_id

_INDENT_CHARS = " \t\u00a0"
_SENTENCE_END = (".", ":", ";", ",", "!")


class Line(NamedTuple):
    """One line of the decoded file with its offsets (end excludes the newline)."""

    start: int
    end: int
    text: str

    @property
    def indent(self) -> int:
        """Number of leading indentation characters."""
        return len(self.text) - len(self.text.lstrip(_INDENT_CHARS))

    @property
    def blank(self) -> bool:
        """True for an empty or whitespace-only line."""
        return not self.text.strip(_INDENT_CHARS + "\u200b\ufeff")


@dataclass
class Item:
    """A comment list item being assembled."""

    indent: int
    start: int
    end: int
    first_line: str
    parent: int | None = None


def split_lines(text: str) -> list[Line]:
    """Split text into lines with character offsets."""
    lines, pos = [], 0
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        lines.append(Line(pos, pos + len(line), line))
        pos += len(raw) + 1
    return lines


def _marker_re(cfg: ThreadTextConfig) -> re.Pattern[str]:
    bullets = "".join(re.escape(b) for b in cfg.bullets)
    return re.compile(rf"^[{_INDENT_CHARS}]*(?:[{bullets}]|\d+\.)[{_INDENT_CHARS}]+(?=\S)")


def _find_title(lines: list[Line], meta_title: str | None, marker: re.Pattern[str]) -> int | None:
    """Index of the title line, or None."""
    first = next((i for i, ln in enumerate(lines) if not ln.blank), None)
    if first is None:
        return None
    head = normalize_text(lines[first].text)
    if meta_title:
        return first if head.casefold() == normalize_text(meta_title).casefold() else None
    next_blank = first + 1 >= len(lines) or lines[first + 1].blank
    if len(head) < 150 and next_blank and not head.endswith(_SENTENCE_END) and not marker.match(lines[first].text):
        return first
    return None


def _first_match(lines: list[Line], patterns: tuple[str, ...], start: int, text: str | None = None) -> int | None:
    """Index of the first line from `start` on that one of `patterns` is found in (indentation stripped), or None;
    with `text` (the lines' text), only lines holding a literal that a match needs are tried."""
    regs, joined = tuple(re.compile(p) for p in patterns), any_of(tuple(patterns))
    found = candidate_lines(text, [ln.start for ln in lines], tuple(patterns), start) if text is not None else None
    for i in range(start, len(lines)) if found is None else (i for i in found if start <= i < len(lines)):
        if search_any(lines[i].text.strip(_INDENT_CHARS), joined, regs):
            return i
    return None


def _last_block_start(lines: list[Line], body_start: int, stop: int) -> int | None:
    """Start of the last block before `stop` set off by two or more blank lines."""
    blanks, start = 0, None
    for i in range(body_start, stop):
        if lines[i].blank:
            blanks += 1
            continue
        if blanks >= 2:
            start = i
        blanks = 0
    return start


def _parse_items(lines: list[Line], marker: re.Pattern[str], lo: int, hi: int) -> list[Item]:
    """Comment items between line indices lo (inclusive) and hi (exclusive), with parents."""
    items: list[Item] = []
    for ln in lines[lo:hi]:
        if ln.blank:
            continue
        m = marker.match(ln.text)
        if m:
            items.append(Item(ln.indent, ln.start + m.end(), ln.end, ln.text[m.end():]))
        elif items:
            items[-1].end = ln.end
    if not items:
        return items
    base = min(it.indent for it in items[1:]) if len(items) > 1 else items[0].indent
    stack: list[int] = []
    for k, it in enumerate(items):
        it.indent = max(it.indent, base)
        while stack and items[stack[-1]].indent >= it.indent:
            stack.pop()
        it.parent = stack[-1] if stack else None
        stack.append(k)
    return items


def _tree_paths(items: list[Item]) -> list[str]:
    """Hierarchical local ids: c1, c2, c2.1, ... (1-based sibling numbers)."""
    counts: dict[int | None, int] = {}
    paths: list[str] = []
    for it in items:
        counts[it.parent] = counts.get(it.parent, 0) + 1
        prefix = paths[it.parent] + "." if it.parent is not None else "c"
        paths.append(f"{prefix}{counts[it.parent]}")
    return paths


def parse_thread_text(text: str, source: Source, cfg: ThreadTextConfig) -> Parsed:
    """Parse a decoded plain-text thread export into rows (pure)."""
    meta = source.meta
    did = doc_id(source.corpus, meta.get("id") or source.path.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    lines = split_lines(text)
    out = Parsed()
    skipped = out.skipped

    def skip_span(lo: int, hi: int, reason: str) -> None:
        spans = [ln for ln in lines[lo:hi] if not ln.blank]
        if spans:
            skipped.append({"corpus": source.corpus, "doc_id": did, "source_file": source.path,
                            "char_start": spans[0].start, "char_end": spans[-1].end, "reason": reason,
                            "text": text[spans[0].start:spans[-1].end]})

    marker = _marker_re(cfg)
    title_idx = _find_title(lines, meta.get("title"), marker)
    title = meta.get("title") or (normalize_text(lines[title_idx].text) if title_idx is not None else None)
    body_start = title_idx + 1 if title_idx is not None else 0
    if title_idx is not None:
        skip_span(title_idx, title_idx + 1, "title")

    closing = _first_match(lines, cfg.closing_lines, body_start, text)
    end = closing if closing is not None else len(lines)
    heading = _first_match(lines[:end], cfg.comment_headings, body_start, text)
    first_content = next((i for i in range(body_start, end) if not lines[i].blank), None)
    if heading is not None:
        body_end, comments_lo = heading, heading + 1
        skip_span(heading, heading + 1, "comment-heading")
    elif first_content is not None and (meta.get("post_missing") or marker.match(lines[first_content].text)):
        body_end, comments_lo = body_start, body_start
    else:
        block = _last_block_start(lines, body_start, end) if closing is not None else None
        if block is not None and marker.match(lines[block].text):
            body_end, comments_lo = block, block
        else:
            body_end, comments_lo = end, end
    if closing is not None:
        skip_span(closing, len(lines), "boilerplate-after-thread")

    out.documents.append({
        "corpus": source.corpus, "doc_id": did, "title": title, "url": meta.get("url"),
        "post_author": meta.get("post_author"), "date": _str_or_none(meta.get("date")),
        "platform": meta.get("platform"), "format": "thread_text", "source_file": source.path,
        "source_sha256": sha256_bytes(source.data),
    })
    body = [ln for ln in lines[body_start:body_end] if not ln.blank]
    post_id = None
    if body:
        post_id = utterance_id(did, "post")
        author = meta.get("post_author")
        out.utterances.append(_row(source, did, post_id, None, 0, 0, "post", author,
                                   "manifest:post_author" if author else None, meta.get("date"),
                                   text, body[0].start, body[-1].end))
    items = _parse_items(lines, marker, comments_lo, end)
    paths = _tree_paths(items)
    depths: list[int] = []
    for k, it in enumerate(items):
        depth = 1 if it.parent is None else depths[it.parent] + 1
        depths.append(depth)
        parent = post_id if it.parent is None else utterance_id(did, paths[it.parent])
        first = it.first_line.strip(_INDENT_CHARS)
        kind = "pingback" if first.startswith(cfg.pingback_prefixes) else "comment"
        out.utterances.append(_row(source, did, utterance_id(did, paths[k]), parent, len(out.utterances),
                                   depth, kind, None, None, None, text, it.start, it.end))
    return out


def _str_or_none(v: object) -> str | None:
    return None if v is None else str(v)


def _row(source: Source, did: str, uid: str, parent: str | None, position: int, depth: int, kind: str,
         author: str | None, evidence: str | None, date: object, text: str, start: int, end: int) -> dict:
    return {
        "corpus": source.corpus, "doc_id": did, "utterance_id": uid, "parent_id": parent,
        "position": position, "depth": depth, "kind": kind, "author": author,
        "author_evidence": evidence, "date": _str_or_none(date), "text": normalize_text(text[start:end]),
        "source_file": source.path, "char_start": start, "char_end": end,
    }


class ThreadTextAdapter:
    """Adapter for plain-text thread exports."""

    name = "thread_text"

    def sniff(self, data: bytes, path: str) -> bool:
        """Plain text (not markup or JSON) with a .txt extension."""
        head = data[:512].lstrip()
        return path.lower().endswith(".txt") and not head.startswith((b"<", b"{", b"["))

    def parse(self, source: Source, params: IngestConfig) -> Parsed:
        """Decode and parse one export."""
        if not source.data.strip():
            raise SourceError("empty-file", f"{source.path}: file is empty")
        try:
            text, _ = decode(source.data)
        except DecodeError as e:
            raise SourceError("binary-file", f"{source.path}: {e}") from None
        return parse_thread_text(text, source, params.thread_text)


ADAPTER = ThreadTextAdapter()
