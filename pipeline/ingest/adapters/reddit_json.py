"""Reddit API JSON: a `/comments/<id>` response, [submission listing, comment listing].

One document per submission. The post (title as document title, selftext as text) is position 0;
comments follow depth-first in the API's native order, depth = Reddit depth + 1. `kind: more`
stubs are not dropped: each becomes a problems row (reason "unfetched-more") naming the number of
replies Reddit did not send. Authors shown as "[deleted]" become null with that as evidence.
char_start/char_end span each record's JSON object ({"kind": "t1", "data": ...}) in the decoded file.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from pipeline.common.config import IngestConfig
from pipeline.common.textnorm import DecodeError, decode
from pipeline.ingest.adapters.base import Parsed, Source, SourceError
from pipeline.ingest.adapters.structured import Node, build_thread, iso_from_epoch, problem

_SNIFF = re.compile(rb'^\s*\[\s*\{\s*"kind"\s*:\s*"Listing"')
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[{}]', re.S)
DELETED = ("[deleted]", "[removed]")


def object_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every JSON object in `text`, in document (pre-)order."""
    spans, stack = [], []
    for m in _TOKENS.finditer(text):
        tok = m.group()
        if tok == "{":
            stack.append((len(spans), m.start()))
            spans.append((m.start(), -1))
        elif tok == "}" and stack:
            i, start = stack.pop()
            spans[i] = (start, m.end())
    return spans


def _dicts_preorder(obj: Any, out: list[int]) -> None:
    """Append id() of every dict in `obj` in the order json.loads met their opening braces."""
    if isinstance(obj, dict):
        out.append(id(obj))
        for v in obj.values():
            _dicts_preorder(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _dicts_preorder(v, out)


def _author(name: str | None) -> tuple[str | None, str | None]:
    """(author, evidence) from a Reddit author field."""
    if name is None or name in DELETED:
        return None, f"reddit_json: author field {name!r} (account deleted or hidden)"
    return name, "reddit_json: author field"


def _text(value: str | None) -> str:
    """Reddit text fields escape &, < and > as HTML entities; undo that."""
    return html.unescape(value or "")


def _int(value: Any) -> int:
    """A count field as an int (0 when absent or not a number)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _str(value: Any) -> str | None:
    """A string field, None when absent or not a string."""
    return value if isinstance(value, str) and value else None


def _epoch(value: Any) -> str | None:
    """ISO date from a created_utc field; None when absent or not a number."""
    try:
        return iso_from_epoch(value)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


class RedditJsonAdapter:
    """Adapter for Reddit API comment-page JSON."""

    name = "reddit_json"

    def sniff(self, data: bytes, path: str) -> bool:
        """A JSON array whose first element is a Reddit Listing."""
        return bool(_SNIFF.match(data[:200].lstrip(b"\xef\xbb\xbf")))

    def parse(self, source: Source, params: IngestConfig) -> Parsed:
        """Parse one comment-page response into one document."""
        try:
            text, _ = decode(source.data)
            obj = json.loads(text)
        except (DecodeError, json.JSONDecodeError) as e:
            line = getattr(e, "lineno", None)
            raise SourceError("bad-json", f"{source.path}: not JSON: {e}", f"line {line}" if line else None) from None
        try:
            post_rec = obj[0]["data"]["children"][0]
            comments = obj[1]["data"]["children"]
            sub = post_rec["data"]
            if post_rec.get("kind") != "t3" or not isinstance(sub, dict):
                raise TypeError("first listing holds no submission (kind t3)")
            if not isinstance(comments, list):
                raise TypeError("second listing's children is not a list")
        except (KeyError, IndexError, TypeError, AttributeError) as e:
            raise SourceError("not-reddit-listing", f"{source.path}: not a Reddit [submission, comments] "
                              f"listing pair ({e})") from None
        spans = self._spans(text, obj)
        out = Parsed()
        nodes: list[Node] = []
        self._walk(source, comments, spans, nodes, out)
        author, evidence = _author(sub.get("author") if isinstance(sub.get("author"), str) else None)
        permalink = sub.get("permalink") if isinstance(sub.get("permalink"), str) else None
        post = {
            "author": author, "author_evidence": evidence, "date": _epoch(sub.get("created_utc")),
            "text": _text(sub.get("selftext") if isinstance(sub.get("selftext"), str) else None), "char_start": spans.get(id(post_rec), (None, None))[0],
            "char_end": spans.get(id(post_rec), (None, None))[1],
        }
        doc_fields = {
            "title": _text(sub.get("title") if isinstance(sub.get("title"), str) else None) or None, "platform": "reddit",
            "url": f"https://www.reddit.com{permalink}" if permalink else _str(sub.get("url")),
        }
        key = str(sub.get("id") or source.path.rsplit("/", 1)[-1].rsplit(".", 1)[0])
        doc, rows, problems = build_thread(source, self.name, key, doc_fields, post, nodes, post_local=key)
        out.documents.append(doc)
        out.utterances += rows
        out.problems = problems + out.problems
        return out

    @staticmethod
    def _spans(text: str, obj: Any) -> dict[int, tuple[int, int]]:
        """Map id() of each parsed dict to its span; empty when the scan and the parse disagree."""
        order: list[int] = []
        _dicts_preorder(obj, order)
        spans = object_spans(text)
        return dict(zip(order, spans, strict=True)) if len(order) == len(spans) else {}

    def _walk(self, source: Source, children: list[Any], spans: dict[int, tuple[int, int]],
              nodes: list[Node], out: Parsed) -> None:
        """Collect comments (t1) as nodes and `more` stubs as problems, depth-first."""
        stack = list(reversed(children))
        while stack:
            rec = stack.pop()
            start, end = spans.get(id(rec), (None, None))
            loc = f"char {start}" if start is not None else None
            if not isinstance(rec, dict):
                out.problems.append(problem(source, "unknown-record", f"a JSON {type(rec).__name__} where a "
                                            "record object was expected; skipped", loc))
                continue
            kind, d = rec.get("kind"), rec.get("data")
            d = d if isinstance(d, dict) else {}
            if kind == "more":
                count, parent = _int(d.get("count")), d.get("parent_id")
                what = (f"{count} unfetched replies" if d.get("children")
                        else "'continue this thread' stub (depth limit; 0 unfetched replies counted)")
                out.problems.append(problem(source, "unfetched-more", f"{what} under {parent} "
                                            f"(more stub {d.get('name')}, {len(d.get('children') or [])} ids listed)",
                                            loc))
                continue
            if kind != "t1":
                out.problems.append(problem(source, "unknown-record", f"record of kind {kind!r} skipped", loc))
                continue
            replies = d.get("replies")
            if isinstance(replies, dict) and isinstance(replies.get("data"), dict):
                kids = replies["data"].get("children")
                stack.extend(reversed(kids) if isinstance(kids, list) else [])
            missing = [f for f, ok in (("id", isinstance(d.get("id"), str | int) and d.get("id") != ""),
                                       ("body", isinstance(d.get("body"), str))) if not ok]
            if missing:
                out.problems.append(problem(source, "missing-field", f"comment record (t1) without "
                                            f"{' or '.join(missing)}; left out (its replies are kept)", loc))
                continue
            parent = d.get("parent_id") if isinstance(d.get("parent_id"), str) else ""
            author, evidence = _author(d.get("author") if isinstance(d.get("author"), str) else None)
            nodes.append(Node(str(d.get("id")), parent[3:] if parent.startswith("t1_") else None, (len(nodes),), {
                "kind": "comment", "author": author, "author_evidence": evidence,
                "date": _epoch(d.get("created_utc")), "text": _text(str(d.get("body"))),
                "char_start": start, "char_end": end,
            }))


ADAPTER = RedditJsonAdapter()
