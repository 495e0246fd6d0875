"""Property-based tests of every parser (issue 10): no crash on arbitrary input, and round trips.

1. Arbitrary bytes, markup soup and well-formed files cut at a random point never raise anything but
   SourceError from an adapter's parse().
2. parse(render(thread)) == thread for generated well-formed threads (tests/thread_render.py): authors,
   parents, order and text. thread_text has no comment authors; its layout cannot tell "the first item
   lost its indentation" from "every later item replies to the first", so threads where only the first
   comment is top level are left out for it. HTML post text comes from trafilatura, which adds the
   header (title, byline, date) and may join paragraphs: it must contain every post sentence.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from thread_render import EXTENSIONS, RENDERERS, Comment, Thread, threads

from pipeline.common.config import load_params
from pipeline.common.schema import DOCUMENTS, PROBLEMS, UTTERANCES, make_table
from pipeline.common.textnorm import normalize_text
from pipeline.ingest.adapters.base import REGISTRY, Parsed, Source, SourceError, get_adapter

CFG = load_params(Path(__file__).resolve().parents[1] / "params.yaml").ingest
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
_TOKENS = st.sampled_from([
    "<p>", "</p>", "<div class='comment'>", "</div>", "<li id='comment-1' class='comment'>", "<b class='fn'>",
    "<time>", "<![CDATA[", "]]>", "<item>", "</item>", "<wp:comment>", "</wp:comment>", "<post>", "<thread>",
    '{"kind": "t1", "data": {', '"replies": ', "}", "]", "[", '"', ",", "\n", "•", "  ", "1. ", "&amp;", "&", "<",
    ">", "\x00", "\ufeff", "3 Comments", "Pingback:", '"body": 5', '"id": null'])
markup = st.lists(st.one_of(_TOKENS, st.text(max_size=10)), max_size=40).map("".join)


def _cut(fmt: str) -> st.SearchStrategy[bytes]:
    """A well-formed file of `fmt` cut at a random point, with markup soup appended."""
    return st.tuples(threads(2), st.integers(0, 3000), markup).map(
        lambda x: RENDERERS[fmt](x[0]).encode()[: x[1]] + x[2].encode("utf-8", "surrogatepass"))


def _parse(fmt: str, data: bytes, path: str, meta: dict | None = None) -> Parsed | None:
    """parse() the source; None on SourceError; rows are schema-checked."""
    try:
        out = get_adapter(fmt).parse(Source("c", path, data, meta or {}), CFG)
    except SourceError as e:
        assert e.reason and path in e.detail
        return None
    make_table(out.documents, DOCUMENTS), make_table(out.utterances, UTTERANCES), make_table(out.problems, PROBLEMS)
    return out


@pytest.mark.parametrize("fmt", sorted(REGISTRY))
def test_arbitrary_input_never_crashes(fmt: str) -> None:
    @SETTINGS
    @given(st.one_of(st.binary(max_size=300), markup.map(lambda s: s.encode("utf-8", "surrogatepass")), _cut(fmt)),
           st.sampled_from(["x.txt", "x.html", "x.xml", "x.json", "x.csv", "x.jsonl"]))
    def check(data: bytes, path: str) -> None:
        _parse(fmt, data, f"c/{path}")

    check()


def recovered(out: Parsed, authors: bool) -> tuple:
    """(post author, post text, comments) as parsed."""
    index = {u["utterance_id"]: k - 1 for k, u in enumerate(out.utterances)}
    post = out.utterances[0]
    comments = tuple(Comment(u["author"] if authors else None,
                             None if u["parent_id"] == post["utterance_id"] else index[u["parent_id"]], u["text"])
                     for u in out.utterances[1:])
    return post["author"], post["text"], comments


def expected(t: Thread, authors: bool) -> tuple:
    """The thread as the parser should give it back (text normalised)."""
    comments = tuple(Comment(c.author if authors else None, c.parent, normalize_text(c.text)) for c in t.comments)
    return t.post_author, normalize_text(t.post_text), comments


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_round_trip(fmt: str) -> None:
    @SETTINGS
    @given(threads())
    def check(t: Thread) -> None:
        if fmt == "thread_text":
            assume(len(t.comments) < 2 or any(c.parent is None for c in t.comments[1:]))
        meta = {"title": t.title, "post_author": t.post_author} if fmt == "thread_text" else {}
        out = _parse(fmt, RENDERERS[fmt](t).encode("utf-8"), f"c/{t.key}.{EXTENSIONS[fmt]}", meta)
        assert out is not None and len(out.documents) == 1 and out.problems == []
        authors = fmt != "thread_text"
        got, want = recovered(out, authors), expected(t, authors)
        if fmt == "html":
            flat = " ".join(got[1].split())
            assert all(" ".join(s.split()) in flat for s in want[1].replace("\n", " ").split(". ")), (got[1], want[1])
            got, want = (got[0], got[2]), (want[0], want[2])
        assert got == want

    check()


@pytest.mark.parametrize("name", ["Aa On", "Jo On"])
def test_html_post_author_ending_in_capital_on_is_kept(name: str) -> None:
    # Found by test_round_trip: the byline tail " on" (as in "Posted by X on <date>") is lower-case only.
    t = Thread("k1", "A title here", name, "Some post text. More text.", (Comment("Cc Dd", None, "Hello there."),))
    out = _parse("html", RENDERERS["html"](t).encode("utf-8"), "c/k1.html")
    assert out is not None and out.utterances[0]["author"] == name
