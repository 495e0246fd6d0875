"""HTML adapter: generic comment-thread detection on hand-written pages, and floors on real pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.common.config import IngestConfig
from pipeline.common.schema import DOCUMENTS, UTTERANCES, make_table
from pipeline.common.textnorm import decode
from pipeline.evaluation.extraction import id_key, score_page
from pipeline.ingest.adapters.base import Source, SourceError
from pipeline.ingest.adapters.html import ADAPTER

FIX = Path(__file__).resolve().parent / "fixtures" / "html"
ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.name for p in FIX.glob("*.html"))


def parse(name: str, meta: dict | None = None):
    """Parse a fixture page as corpus 't'."""
    data = (FIX / name).read_bytes()
    return ADAPTER.parse(Source("t", f"tests/fixtures/html/{name}", data, meta or {}), IngestConfig())


def local(uid: str | None) -> str | None:
    """The local part of an utterance id ('t/page/x' -> 'x')."""
    return None if uid is None else uid.split("/", 2)[-1]


def thread(name: str) -> list[tuple]:
    """(local id, parent local id, depth, kind, author) of every comment row."""
    rows = parse(name).utterances[1:]
    return [(local(u["utterance_id"]), local(u["parent_id"]), u["depth"], u["kind"], u["author"]) for u in rows]


def test_old_wordpress_commentlist():
    assert thread("wp_old_commentlist.html") == [
        ("div-comment-101", "post", 1, "comment", "Bob Builder"),
        ("div-comment-102", "div-comment-101", 2, "comment", "Alice Admin"),
        ("div-comment-103", "post", 1, "comment", "Carol"),
    ]
    rows = parse("wp_old_commentlist.html").utterances
    assert rows[1]["text"] == "Agreed. We bought the tool first & regretted it."
    assert rows[1]["date"] == "2011-03-04T09:15:00"
    assert rows[1]["author_evidence"] == "html:author-element"
    assert rows[3]["text"] == "What about small businesses?\n\nThey cannot afford a strategy team."
    assert [u["position"] for u in rows] == [0, 1, 2, 3]


def test_modern_wordpress_children_lists_and_widget_ignored():
    assert thread("wp_modern_children.html") == [
        ("div-comment-201", "post", 1, "comment", "Erin"),
        ("div-comment-202", "div-comment-201", 2, "comment", "Frank"),
        ("div-comment-204", "div-comment-202", 3, "comment", "Erin"),
        ("div-comment-203", "div-comment-201", 2, "comment", "Dana Writer"),
    ]
    rows = parse("wp_modern_children.html").utterances
    assert rows[1]["date"] == "2012-05-02T10:00:00+00:00"
    assert rows[2]["text"] == "True, but acting without listening is worse."


def test_blogger_nested_thread():
    assert thread("blogger_threads.html") == [
        ("c111", "post", 1, "comment", "Ruby"),
        ("c222", "c111", 2, "comment", "Lena"),
        ("c333", "post", 1, "comment", "Anonym"),
    ]
    rows = parse("blogger_threads.html").utterances
    assert rows[1]["text"] == "Ein tolles Interview.\n\nLieben Gruß,\nRuby"
    assert rows[1]["date"] is None  # German month name: never guessed


def test_dt_dd_layout_pairs_header_and_body():
    assert thread("dt_dd_comments.html") == [
        ("comment-1769", "post", 1, "comment", "Armand"),
        ("comment-1779", "post", 1, "comment", "FLO"),
        ("comment-1800", "post", 1, "comment", "Leo"),
    ]
    rows = parse("dt_dd_comments.html").utterances
    assert rows[2]["text"] == "Bogus list.\n\nSecond paragraph."
    text, _ = decode((FIX / "dt_dd_comments.html").read_bytes())
    span = text[rows[2]["char_start"]:rows[2]["char_end"]]
    assert span.startswith('<dt class="comment odd alt thread-odd depth-1" id="comment-1779">')
    assert span.endswith("</dd>")


def test_drupal_indented_sibling_and_anchor_ids():
    assert thread("drupal_indented.html") == [
        ("comment-11", "post", 1, "comment", "Gina"),
        ("comment-12", "comment-11", 2, "comment", "editor"),
        ("comment-13", "post", 1, "comment", "Hank"),
    ]


def test_drupal_submitted_byline_holding_author_and_date():
    assert thread("drupal_garland_submitted.html") == [
        ("1", "post", 1, "comment", "Rita"),
        ("2", "post", 1, "comment", "Sam"),
    ]
    assert parse("drupal_garland_submitted.html").utterances[1]["date"] == "2013-03-05T10:15:00"


def test_plugin_and_custom_markup():
    assert thread("plugin_custom.html") == [
        ("wpd-comm-501_0", "post", 1, "comment", "Mona"),
        ("wpd-comm-502_501", "wpd-comm-501_0", 2, "comment", "Ned"),
        ("wpd-comm-503_0", "post", 1, "comment", "Olga"),
        ("4", "post", 1, "comment", "Pia"),
        ("5", "post", 1, "comment", "Quinn"),
    ]
    assert parse("plugin_custom.html").utterances[1]["date"] == "2012-03-02T16:00:00"  # title attribute


def test_empty_scaffold_yields_only_the_post():
    rows = parse("empty_scaffold.html").utterances
    assert [u["kind"] for u in rows] == ["post"]
    assert "Enterprise 2.0 promised" in rows[0]["text"]


def test_pingbacks_and_trackbacks_are_kind_pingback_and_never_parents():
    assert thread("wp_pingbacks.html") == [
        ("div-comment-301", "post", 1, "comment", "Kim"),
        ("comment-302", "post", 1, "pingback", "Why ROI matters « Other Blog"),
        ("div-comment-303", "post", 1, "comment", "Lou"),
        ("comment-304", "post", 1, "pingback", "Third Site"),
    ]
    rows = parse("wp_pingbacks.html").utterances
    assert rows[2]["text"] == "Pingback: Why ROI matters « Other Blog"
    assert rows[2]["author_evidence"] == "html:pingback-link"


def test_manifest_meta_wins_and_ids_use_manifest_id():
    meta = {"id": "roi", "title": "Manifest title", "post_author": "M. Author", "url": "http://x.example/roi",
            "date": "2013-01-09"}
    parsed = parse("wp_pingbacks.html", meta)
    doc = parsed.documents[0]
    assert (doc["doc_id"], doc["title"], doc["post_author"], doc["url"], doc["date"], doc["format"]) == (
        "t/roi", "Manifest title", "M. Author", "http://x.example/roi", "2013-01-09", "html")
    post = parsed.utterances[0]
    assert (post["utterance_id"], post["author"], post["author_evidence"], post["depth"], post["position"]) == (
        "t/roi/post", "M. Author", "manifest:post_author", 0, 0)
    assert parsed.utterances[1]["parent_id"] == "t/roi/post"


@pytest.mark.parametrize("name", PAGES)
def test_rows_follow_schema_stable_ids_and_spans(name):
    parsed, again = parse(name), parse(name)
    make_table(parsed.documents, DOCUMENTS)
    make_table(parsed.utterances, UTTERANCES)
    ids = [u["utterance_id"] for u in parsed.utterances]
    assert ids == [u["utterance_id"] for u in again.utterances] and len(set(ids)) == len(ids)
    text, _ = decode((FIX / name).read_bytes())
    for u in parsed.utterances[1:]:
        span = text[u["char_start"]:u["char_end"]]
        assert span.startswith("<") and u["char_start"] < u["char_end"]
        if u["kind"] == "comment" and u["author"] is not None:  # talk pages: unsigned comments have none
            assert u["author"] in span.replace("&amp;", "&")


def test_post_text_leaves_comments_out():
    parsed = parse("plugin_custom.html")
    assert "Showing up is the whole job" not in parsed.utterances[0]["text"]
    assert parsed.utterances[0]["text"].startswith("Community does not happen")


@pytest.mark.parametrize(("data", "reason"), [(b"", "empty-file"), (b"\x00\x01\x02", "not-text"),
                                              (b"just words, no markup", "not-html")])
def test_bad_sources_raise_named_errors(data, reason):
    with pytest.raises(SourceError) as e:
        ADAPTER.parse(Source("t", "raw/page.html", data), IngestConfig())
    assert e.value.reason == reason and "raw/page.html" in str(e.value)


def test_sniff():
    assert ADAPTER.sniff(b"anything", "a/page.HTM")
    assert ADAPTER.sniff(b"  <!DOCTYPE html><html>", "a/page")
    assert not ADAPTER.sniff(b'{"kind": "Listing"}', "a/thread.json")


def test_score_page_counts_matches_authors_parents():
    rows = [
        {"utterance_id": "e/p/post", "parent_id": None, "kind": "post", "depth": 0, "author": "A", "text": ""},
        {"utterance_id": "e/p/div-comment-1", "parent_id": "e/p/post", "kind": "comment", "depth": 1, "author": "Bob",
         "text": "one"},
        {"utterance_id": "e/p/div-comment-2", "parent_id": "e/p/div-comment-1", "kind": "comment", "depth": 2,
         "author": "carol ", "text": "two"},
        {"utterance_id": "e/p/3", "parent_id": "e/p/post", "kind": "comment", "depth": 1, "author": "Dan", "text": "x"},
        {"utterance_id": "e/p/comment-9", "parent_id": "e/p/post", "kind": "pingback", "depth": 1, "author": "X",
         "text": ""},
    ]
    expected = {"group": "with_comments", "platform_key": "wp", "pingbacks": 1,
                "items": [{"id": "comment-1", "author": "Bob", "parent": None},
                          {"id": "comment-2", "author": "Carol", "parent": "comment-1"},
                          {"id": "comment-4", "author": "Eve", "parent": "comment-2"}]}
    got = score_page(rows, expected)
    assert (got["found"], got["matched"], got["author_ok"], got["parent_ok"], got["expected"]) == (3, 2, 2, 2, 3)
    assert got["pingbacks_found"] == 1 and got["platform"] == "wp"
    assert id_key("div-comment-123") == "123" and id_key("c8091") == "8091" and id_key(None) is None


@pytest.mark.real
def test_real_pages_floors(real_dir):
    """The 8 old pages and Hacker News (fit numbers of the combined finder): every comment, author and parent."""
    from pipeline.evaluation.extraction import by_platform, evaluate_pages
    from pipeline.evaluation.extraction_cli import Runner, load_pages

    pages, missing = load_pages([real_dir], [ROOT / "evaluation" / "html_expected.yaml"])
    assert not missing
    runner = Runner(pages, IngestConfig())
    scored = evaluate_pages(pages, runner.parse, None)
    old = [p for p in scored.values() if p["group"] == "with_comments"]
    assert sum(p["expected"] for p in old) == 183 and sum(p["matched"] for p in old) == 183
    assert sum(p["author_ok"] for p in old) >= 181 and sum(p["parent_ok"] for p in old) >= 181
    assert all(p["pingbacks_found"] == p["pingbacks_expected"] for p in old)
    assert all(p["found"] == 0 and not p["warned"] for p in scored.values() if p["group"] == "without_comments")
    hn = by_platform(scored)["hackernews"]
    assert hn["matched"] == 100 and hn["author_accuracy"] >= 0.99 and hn["parent_accuracy"] >= 0.99
