"""Structured-export adapters on tiny hand-built fixtures: exact rows, problems, recovery, detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.common.config import ExportsConfig, IngestConfig
from pipeline.common.schema import DOCUMENTS, PROBLEMS, UTTERANCES, make_table
from pipeline.ingest.adapters.base import Parsed, Source, SourceError, detect, get_adapter
from pipeline.ingest.adapters.sourcemap import LineIndex, SpanFinder
from pipeline.ingest.adapters.structured import Node, html_to_text, thread_order

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
CSV_COLUMNS = {"doc": "thread_id", "id": "comment_id", "parent": "parent_id", "author": "user",
               "date": "created", "text": "body", "title": "title"}
JSONL_COLUMNS = {"doc": "thread", "id": "cid", "parent": "reply_to", "author": "user.name", "date": "ts",
                 "text": "message", "title": "subject", "kind": "type"}


def parse(name: str, fmt: str | None = None, meta: dict | None = None, cfg: IngestConfig | None = None) -> Parsed:
    """Parse a fixture (format detected unless given) and check every row against the schemas."""
    path = EXPORTS / name
    data = path.read_bytes()
    fmt = fmt or detect(data, str(path))
    out = get_adapter(fmt).parse(Source("fx", f"fx/{name}", data, meta or {}), cfg or IngestConfig())
    make_table(out.documents, DOCUMENTS), make_table(out.utterances, UTTERANCES), make_table(out.problems, PROBLEMS)
    return out


def rows(out: Parsed, *cols: str) -> list[tuple]:
    """Selected columns of the utterances, in order."""
    return [tuple(u[c] for c in cols) for u in out.utterances]


def reasons(out: Parsed) -> list[tuple[str, str | None]]:
    """(reason, location) of every problem."""
    return [(p["reason"], p["location"]) for p in out.problems]


@pytest.mark.parametrize(("name", "fmt"), [
    ("reddit_small.json", "reddit_json"), ("wxr_small.xml", "wxr"), ("wxr_broken.xml", "wxr"),
    ("disqus_small.xml", "disqus_xml"), ("comments.csv", "csv"), ("comments.jsonl", "jsonl"),
])
def test_detect(name: str, fmt: str) -> None:
    assert detect((EXPORTS / name).read_bytes(), name) == fmt


def test_sniffers_reject_other_formats() -> None:
    wxr = (EXPORTS / "wxr_small.xml").read_bytes()
    assert not get_adapter("disqus_xml").sniff(wxr, "x.xml")
    assert not get_adapter("reddit_json").sniff(b'{"kind": "Listing"}\n{"a": 1}\n', "x.json")
    assert not get_adapter("jsonl").sniff(b'[{"kind": "Listing"}]', "x.json")
    assert not get_adapter("csv").sniff(b"a,b\n1,2\n", "notes.txt")


def test_reddit_rows() -> None:
    out = parse("reddit_small.json")
    assert out.documents[0]["doc_id"] == "fx/abc1"
    assert out.documents[0]["title"] == "Is social CRM & social business the same?"
    assert out.documents[0]["url"] == "https://www.reddit.com/r/test/comments/abc1/is_social_crm/"
    assert rows(out, "utterance_id", "parent_id", "position", "depth", "kind", "author", "date", "text") == [
        ("fx/abc1/abc1", None, 0, 0, "post", "op_user", "2011-03-13T07:06:40Z", "Asking for a <friend>.\n\nThoughts?"),
        ("fx/abc1/c1", "fx/abc1/abc1", 1, 1, "comment", "alice", "2011-03-13T07:08:20Z", "No, CRM is a tool."),
        ("fx/abc1/c2", "fx/abc1/c1", 2, 2, "comment", None, "2011-03-13T07:10:00Z", "[deleted]"),
        ("fx/abc1/c3", "fx/abc1/abc1", 3, 1, "comment", "bob", "2011-03-13T07:07:30Z", "Agree with alice."),
    ]
    assert out.utterances[2]["author_evidence"] == "reddit_json: author field '[deleted]' (account deleted or hidden)"
    assert [p["reason"] for p in out.problems] == ["unfetched-more", "unfetched-more"]
    assert "5 unfetched replies under t1_c1" in out.problems[0]["detail"]
    assert "2 unfetched replies under t3_abc1" in out.problems[1]["detail"]
    text = (EXPORTS / "reddit_small.json").read_text(encoding="utf-8")
    c2 = out.utterances[2]
    assert text[c2["char_start"]:c2["char_end"]].startswith('{"kind": "t1", "data": {"id": "c2"')
    assert text[c2["char_start"]:c2["char_end"]].endswith('"replies": ""}}')


def test_reddit_rejects_other_json() -> None:
    with pytest.raises(SourceError) as e:
        get_adapter("reddit_json").parse(Source("fx", "fx/x.json", b'[{"kind": "Listing", "data": {}}]'),
                                         IngestConfig())
    assert e.value.reason == "not-reddit-listing"


def test_wxr_rows_and_decisions() -> None:
    out = parse("wxr_small.xml")
    assert [(d["doc_id"], d["title"], d["post_author"], d["date"]) for d in out.documents] == [
        ("fx/10", "Social business is here", "Jane Doe", "2011-03-01T08:00:00Z"),
        ("fx/20", "About", "ghost", "2011-01-01T00:00:00"),
    ]
    assert rows(out, "utterance_id", "parent_id", "position", "depth", "kind", "author", "text") == [
        ("fx/10/post", None, 0, 0, "post", "Jane Doe", "First paragraph.\n\nSecond bold paragraph."),
        ("fx/10/1", "fx/10/post", 1, 1, "comment", "Ann", "Great post.\nReally."),
        ("fx/10/2", "fx/10/1", 2, 2, "comment", "Bob", "@Ann I disagree."),
        ("fx/10/6", None, 3, 1, "comment", "Carol", "Replying to Pete."),  # parent 3 is pending: orphan
        ("fx/10/5", "fx/10/post", 4, 1, "pingback", "Other Blog", "[...] as argued here [...]"),
        ("fx/20/post", None, 0, 0, "post", "ghost", "About us & our blog."),
    ]
    assert reasons(out) == [("wxr-not-approved", "line 38"), ("wxr-not-approved", "line 48"),
                            ("orphan-reply", "line 68")]
    text = (EXPORTS / "wxr_small.xml").read_text(encoding="utf-8")
    ann = out.utterances[1]
    span = text[ann["char_start"]:ann["char_end"]]
    assert span.startswith("<wp:comment>\n<wp:comment_id>1<") and span.endswith("</wp:comment>")


def test_wxr_keeps_pending_when_configured() -> None:
    cfg = IngestConfig(exports=ExportsConfig(wxr_comment_approved=("1", "0")))
    out = parse("wxr_small.xml", cfg=cfg)
    assert ("fx/10/6", "fx/10/3", 2) in rows(out, "utterance_id", "parent_id", "depth")
    assert reasons(out) == [("wxr-not-approved", "line 48")]


def test_wxr_recovers_broken_xml() -> None:
    out = parse("wxr_broken.xml")
    assert rows(out, "utterance_id", "parent_id", "author", "text") == [
        ("fx/1/post", None, None, "Hello world."),
        ("fx/1/11", "fx/1/post", "Ann & Co", "Fine comment."),
        ("fx/1/12", "fx/1/11", "Bob", "Reply to Ann."),
        ("fx/2/post", None, None, "Second post."),
    ]
    assert reasons(out) == [
        ("bad-xml-repaired", "line 4"), ("bad-xml-repaired", "line 13"),
        ("bad-xml", "line 34"), ("bad-xml", "line 34"),
        ("wxr-not-approved", "line 32"),  # the truncated comment 21 is reported, not kept
    ]


def test_unrecoverable_xml_raises() -> None:
    with pytest.raises(SourceError) as e:
        get_adapter("wxr").parse(Source("fx", "fx/bad.xml", b"no xml here"), IngestConfig())
    assert e.value.reason == "bad-xml" and "fx/bad.xml" in str(e.value)


def test_span_finder_reports_lost_elements() -> None:
    text = "<r>\n<post a='1'>x</post>\n<post>y</post>\n<thread id='1' />\n</r>"
    from lxml import etree

    root = etree.fromstring(text.encode())
    finder = SpanFinder(LineIndex(text))
    assert finder.span(root[0]) == (4, 24)
    assert finder.lost("post") == [3]
    assert finder.lost("thread") == []  # self-closing references are not elements to recover


def test_disqus_rows_and_decisions() -> None:
    out = parse("disqus_small.xml")
    assert [(d["doc_id"], d["title"], d["url"], d["post_author"]) for d in out.documents] == [
        ("fx/100", "Thread A", "http://site.example/a", "Site Owner"),
        ("fx/200", "Thread B", "http://site.example/b", "owner"),
    ]
    assert rows(out, "utterance_id", "parent_id", "position", "depth", "author", "date", "text") == [
        ("fx/100/post", None, 0, 0, "Site Owner", "2012-01-01T10:00:00Z", ""),
        ("fx/100/6", "fx/100/post", 1, 1, "Early Bird", "2012-01-01T11:00:00Z", "Early comment on A."),
        ("fx/100/5", None, 2, 1, "Replier", "2012-01-01T14:00:00Z", "Answering the deleted one."),
        ("fx/100/1", "fx/100/post", 3, 1, "Guest One", "2012-01-02T10:00:00Z", "First!\n\nSecond para\nnext line"),
        ("fx/100/2", "fx/100/1", 4, 2, "Member Two", "2012-01-03T10:00:00Z", "Reply to first."),
        ("fx/200/post", None, 0, 0, "owner", "2012-02-01T10:00:00Z", "Intro to B."),
        ("fx/200/7", "fx/200/post", 1, 1, "Bee", "2012-02-02T10:00:00Z", "On B."),
    ]
    assert out.utterances[3]["author_evidence"] == "disqus: author/name (guest, isAnonymous)"
    assert reasons(out) == [("disqus-deleted", "line 35"), ("disqus-spam", "line 42"),
                            ("unknown-thread", "line 71"), ("orphan-reply", "line 49")]


def test_disqus_keeps_deleted_when_configured() -> None:
    out = parse("disqus_small.xml", cfg=IngestConfig(exports=ExportsConfig(disqus_keep_deleted=True)))
    assert ("fx/100/5", "fx/100/3", 2) in rows(out, "utterance_id", "parent_id", "depth")


def test_csv_rows_and_bad_rows() -> None:
    out = parse("comments.csv", meta={"columns": CSV_COLUMNS})
    assert [(d["doc_id"], d["title"], d["post_author"]) for d in out.documents] == [
        ("fx/t1", "Trust and social business", "Olivia"), ("fx/t2", "Second thread", None)]
    assert rows(out, "utterance_id", "parent_id", "position", "depth", "author", "date", "text") == [
        ("fx/t1/t1", None, 0, 0, "Olivia", "2013-05-01T09:00:00Z", "Social business needs trust."),
        ("fx/t1/c3", "fx/t1/t1", 1, 1, "Rae", "2013-05-01T09:30:00Z", "First!"),
        ("fx/t1/c1", "fx/t1/t1", 2, 1, "Quinn", "2013-05-01T10:00:00Z", "Trust, yes:\nbut measured how?"),
        ("fx/t1/c2", "fx/t1/c1", 3, 2, "Pat", "2013-05-01T11:00:00Z", "Agree with Quinn."),
        ("fx/t2/post", None, 0, 0, None, None, ""),  # no post row: an empty post stands for it
        ("fx/t2/d2", None, 1, 1, "Vic", None, "Parent is missing."),
        ("fx/t2/d1", "fx/t2/post", 2, 1, None, "2013-05-01T10:00:00Z", "Orphan thread without post row."),
    ]
    assert reasons(out) == [("bad-row", "line 7"), ("bad-row", "line 9"), ("bad-date", "line 10"),
                            ("orphan-reply", "line 10")]
    assert "comments.csv: line 7: 8 fields, header has 7" in out.problems[0]["detail"]
    text = (EXPORTS / "comments.csv").read_text(encoding="utf-8")
    quinn = out.utterances[2]
    assert text[quinn["char_start"]:quinn["char_end"]] == 't1,c1,t1,Quinn,2013-05-01T10:00:00Z,"Trust, yes:\nbut measured how?",'


def test_csv_missing_mapped_column_fails_the_file() -> None:
    with pytest.raises(SourceError) as e:
        parse("comments.csv", meta={"columns": {**CSV_COLUMNS, "text": "message"}})
    assert e.value.reason == "missing-column" and "text -> 'message'" in e.value.detail


def test_jsonl_without_mapping_fails_the_file() -> None:
    with pytest.raises(SourceError) as e:
        parse("comments.jsonl")
    assert e.value.reason == "missing-column" and "doc -> 'doc'" in e.value.detail


def test_jsonl_rows_and_bad_lines() -> None:
    out = parse("comments.jsonl", meta={"columns": JSONL_COLUMNS})
    assert rows(out, "utterance_id", "parent_id", "position", "depth", "kind", "author", "date") == [
        ("fx/j1/j1", None, 0, 0, "post", "Wendy", "2013-05-01T09:20:00Z"),
        ("fx/j1/k1", "fx/j1/j1", 1, 1, "comment", "Xavier", "2013-05-01T09:21:40Z"),
        ("fx/j1/k5", "fx/j1/k1", 2, 2, "comment", "Yara", "2013-05-01T09:22:30Z"),
        ("fx/j1/k2", "fx/j1/k1", 3, 2, "comment", None, "2013-05-01T09:23:20Z"),
        ("fx/j1/k3", "fx/j1/j1", 4, 1, "pingback", "Other Site", "2013-05-01T09:25:00Z"),
    ]
    assert reasons(out) == [("bad-json", "line 5"), ("bad-row", "line 6"), ("bad-kind", "line 8")]
    text = (EXPORTS / "comments.jsonl").read_text(encoding="utf-8")
    k1 = out.utterances[1]
    assert text[k1["char_start"]:k1["char_end"]] == text.split("\n")[1]


def test_thread_order_breaks_parent_cycles() -> None:
    nodes = [Node("a", "b", (1,)), Node("b", "a", (2,)), Node("c", None, (0,))]
    placed, orphans = thread_order(nodes)
    assert [(p.node.local_id, p.depth, p.parent) for p in placed] == [("c", 1, ""), ("a", 1, None), ("b", 2, "a")]
    assert [o.local_id for o in orphans] == ["a"]


def test_html_to_text() -> None:
    assert html_to_text("<p>One</p><p>Two<br>three</p><script>x()</script>") == "\n\nOne\n\n\n\nTwo\nthree\n\n"
    assert html_to_text("plain\n\ntext") == "plain\n\ntext"
    assert html_to_text(None) == ""
