"""Structured-export adapters on the real exports in ../shared/real/threads (counts from its README).

Pinned from the data and matching the README: Reddit 492 comments (Reddit depth 0-9 = our depth
1-10), 222 `more` stubs for 3,748 unfetched replies; WXR 224 post/page items, 119 approved comments
(3 replies) and 62 pingbacks; Disqus 569 threads, 2,693 posts of which 6 are isDeleted (left out by
default), 439 replies via <parent dsq:id>. Every parent id resolves inside its own document.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from pipeline.common.config import ExportsConfig, IngestConfig
from pipeline.common.schema import DOCUMENTS, PROBLEMS, UTTERANCES, make_table
from pipeline.ingest.adapters.base import Parsed, Source, detect, get_adapter

REDDIT = "threads/reddit_json/fo7p5b_introducing-reddit-polls.json"
WXR = "threads/wordpress_wxr/labs.creativecommons.org.wxr.REDACTED.xml"
DISQUS = "threads/disqus_xml/tanglei.name.disqus.REDACTED.xml"


def parse(real_dir: Path, rel: str, fmt: str, cfg: IngestConfig | None = None) -> Parsed:
    """Parse a real export after checking that detection picks `fmt`; rows are schema-checked."""
    data = (real_dir / rel).read_bytes()
    assert detect(data, rel) == fmt
    out = get_adapter(fmt).parse(Source("real", rel, data), cfg or IngestConfig())
    make_table(out.documents, DOCUMENTS), make_table(out.utterances, UTTERANCES), make_table(out.problems, PROBLEMS)
    return out


def assert_threads_sound(out: Parsed) -> None:
    """Every parent resolves in its own document, positions run 0..n-1, depth = parent depth + 1."""
    by_id = {u["utterance_id"]: u for u in out.utterances}
    per_doc: dict[str, list[int]] = {}
    for u in out.utterances:
        per_doc.setdefault(u["doc_id"], []).append(u["position"])
        if u["kind"] == "post":
            assert u["position"] == 0 and u["depth"] == 0 and u["parent_id"] is None
            continue
        parent = by_id[u["parent_id"]]
        assert parent["doc_id"] == u["doc_id"] and u["depth"] == parent["depth"] + 1
        assert parent["position"] < u["position"]
    assert all(p == list(range(len(p))) for p in per_doc.values())
    assert {u["doc_id"] for u in out.utterances} == {d["doc_id"] for d in out.documents}


def test_reddit_counts(real_dir: Path) -> None:
    out = parse(real_dir, REDDIT, "reddit_json")
    comments = [u for u in out.utterances if u["kind"] == "comment"]
    assert len(out.documents) == 1 and len(comments) == 492
    assert Counter(u["depth"] for u in comments) == {1: 99, 2: 116, 3: 80, 4: 76, 5: 48, 6: 35, 7: 20, 8: 11,
                                                     9: 6, 10: 1}
    assert len({u["author"] for u in comments if u["author"]}) == 368  # + "[deleted]" = README's 369
    assert sum(u["author"] is None for u in comments) == 19
    more = [p for p in out.problems if p["reason"] == "unfetched-more"]
    assert len(more) == len(out.problems) == 222
    assert sum(int(m.group(1)) for p in more if (m := re.search(r": (\d+) unfetched replies", p["detail"]))) == 3748
    assert_threads_sound(out)
    text = (real_dir / REDDIT).read_text(encoding="utf-8")
    first = comments[0]
    assert text[first["char_start"]:first["char_end"]].startswith('{"kind": "t1"')


def test_wxr_counts(real_dir: Path) -> None:
    out = parse(real_dir, WXR, "wxr")
    kinds = Counter((u["kind"], u["depth"]) for u in out.utterances)
    assert len(out.documents) == 224  # 219 posts + 5 pages
    assert kinds == {("post", 0): 224, ("comment", 1): 116, ("comment", 2): 3, ("pingback", 1): 62}
    assert out.problems == []  # well-formed, all comments approved
    assert_threads_sound(out)
    assert all(u["char_start"] is not None and u["char_end"] > u["char_start"] for u in out.utterances)


def test_disqus_counts(real_dir: Path) -> None:
    out = parse(real_dir, DISQUS, "disqus_xml")
    comments = [u for u in out.utterances if u["kind"] == "comment"]
    assert len(out.documents) == 569
    assert len(comments) == 2693 - 6
    assert sum(u["depth"] > 1 for u in comments) == 439
    assert Counter(p["reason"] for p in out.problems) == {"disqus-deleted": 6}
    assert_threads_sound(out)
    kept = parse(real_dir, DISQUS, "disqus_xml", IngestConfig(exports=ExportsConfig(disqus_keep_deleted=True)))
    assert sum(u["kind"] == "comment" for u in kept.utterances) == 2693 and kept.problems == []
