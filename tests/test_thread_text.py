"""The plain-text thread adapter on tiny hand-built exports."""

from __future__ import annotations

import pytest

from pipeline.common.config import IngestConfig, ThreadTextConfig
from pipeline.ingest.adapters.base import Source, SourceError
from pipeline.ingest.adapters.thread_text import ADAPTER

CFG = IngestConfig(thread_text=ThreadTextConfig(
    comment_headings=(r"^\d+\s+(Replies|Comments)\b",), closing_lines=("^Comments are closed", "^Leave a reply"),
))


def parse(text: str, **meta: object):
    return ADAPTER.parse(Source("c", "c/t.txt", text.encode("utf-8"), dict(meta)), CFG)


def shape(parsed) -> list[tuple[str, str, str | None, int]]:
    return [(u["utterance_id"].split("/", 2)[-1], u["kind"], u["parent_id"] and u["parent_id"].split("/", 2)[-1],
             u["depth"]) for u in parsed.utterances]


def test_post_list_is_body_and_numbered_replies_nest() -> None:
    text = ("A Title\n\nBody line one.\n\n  • a post bullet\n  • another\n\nEnd of body.\n\n2 Replies to “A Title”\n\n"
            "  1. Pingback: Someone\n  2. Ann,\n\n    first paragraph.\n\n    second paragraph.\n\n"
            "    1. Bob,\n\n      a reply.\n\nComments are closed.\n")
    p = parse(text, title="A Title", post_author="Pat")
    assert shape(p) == [("post", "post", None, 0), ("c1", "pingback", "post", 1), ("c2", "comment", "post", 1),
                        ("c2.1", "comment", "c2", 2)]
    assert p.utterances[0]["text"] == "Body line one.\n\n• a post bullet\n• another\n\nEnd of body."
    assert p.utterances[2]["text"] == "Ann,\n\nfirst paragraph.\n\nsecond paragraph."
    assert [s["reason"] for s in p.skipped] == ["title", "comment-heading", "boilerplate-after-thread"]


def test_first_bullet_that_lost_its_indentation_is_top_level() -> None:
    text = "• one\u00a0\n\n    • reply to one\n\n  • two\n\n    continued two\n\nComments are closed\n"
    p = parse(text)
    assert shape(p) == [("c1", "comment", None, 1), ("c1.1", "comment", "c1", 2), ("c2", "comment", None, 1)]
    assert p.utterances[0]["text"] == "one"
    assert p.utterances[2]["text"] == "two\n\ncontinued two"


def test_trailing_block_before_form_is_a_comment_without_heading() -> None:
    text = "Title Here\n\nPost text.\n\n  • post list item\n\nMore post.\n\n\n\n  • a reader comment\n\nLeave a reply\n\nform"
    p = parse(text)
    assert shape(p) == [("post", "post", None, 0), ("c1", "comment", "post", 1)]
    assert p.documents[0]["title"] == "Title Here"
    assert p.utterances[1]["text"] == "a reader comment"


def test_no_closing_line_means_all_body() -> None:
    p = parse("We believe this.\n\n  1. first point;\n  2. second point.\n")
    assert shape(p) == [("post", "post", None, 0)]
    assert p.documents[0]["title"] is None


@pytest.mark.parametrize("data,reason", [(b"", "empty-file"), (b"  \n\n", "empty-file"), (b"\x00\x01bin", "binary-file")])
def test_bad_input_names_the_file(data: bytes, reason: str) -> None:
    with pytest.raises(SourceError) as e:
        ADAPTER.parse(Source("c", "c/bad.txt", data), CFG)
    assert e.value.reason == reason and "c/bad.txt" in e.value.detail
