"""The report at any size (pipeline/report/scale.py): id -> thread page + anchor, pagination, drill-down samples
("K of N shown") under a page budget, top rows with the rest in one row; tiny hand-built tables, exact values."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipeline.common.schema import UNIT_FRAMES, UNITS, UTTERANCE_FRAMES, make_table
from pipeline.report.drill import point
from pipeline.report.frames_page import frames_context
from pipeline.report.pages import build_pages
from pipeline.report.scale import (
    OTHERS,
    Ids,
    Limits,
    ThreadLinks,
    cap_rows,
    finish,
    page_files,
    paginate,
    sample_sizes,
    thread_links,
    top,
)
from tests.report_tables import MF, OT, _unit, _utt, base_tables, frame_tables

# CRC-32 order (the sampling rank) of the ids below, lowest first, as zlib computes it:
#   c < b < a;  t/d/post/s1 < t/d/post/s0 < t/d2/post/s0;  t/d/c1/s0 < t/e/post/s0


def three_docs() -> dict[str, pd.DataFrame]:
    """base_tables (t/d: post + c1, t/e: post) plus t/d2 (a doc id that t/d is a string prefix of) with frames."""
    from pipeline.common.schema import CLEAN_UTTERANCES, DOCUMENTS, UTTERANCES

    t = {**base_tables(), **frame_tables()}
    doc = t["documents"].iloc[[1]].assign(doc_id="t/d2", title="Third", post_author="Ann")
    utt = _utt("t/d2", "post", None, 0, "Ann", "Third thread.")
    t["documents"] = make_table(pd.concat([t["documents"], doc]).to_dict("records"), DOCUMENTS)
    t["utterances"] = make_table([*t["utterances"].to_dict("records"), utt], UTTERANCES)
    t["attributed"] = make_table([*t["attributed"].to_dict("records"), {
        **utt, "clean_text": "Third thread.", "commentluv": None, "signature": None, "included": True,
        "exclusion_reason": None, "author_confidence": 1.0}], CLEAN_UTTERANCES)
    t["units"] = make_table([*t["units"].to_dict("records"), _unit("t/d2", "post", 0, "Ann", "Third thread.", [])],
                            UNITS)
    t["unit_frames"] = make_table([*t["unit_frames"].to_dict("records"), {
        "corpus": "t", "utterance_id": "t/d2/post", "unit_id": "t/d2/post/s0", "frame": MF, "score": 0.95,
        "method": "zeroshot", "on_topic": True, "relevance": "thread", "model_frame": MF}], UNIT_FRAMES)
    t["utterance_frames"] = make_table([*t["utterance_frames"].to_dict("records"), {
        "corpus": "t", "utterance_id": "t/d2/post", "frame": MF, "score": 1.0, "n_units": 1, "share_frames": [OT, MF],
        "shares": [0.0, 1.0], "on_topic": True}], UTTERANCE_FRAMES)
    return t


def test_one_helper_maps_document_utterance_and_unit_ids_to_page_and_anchor() -> None:
    links = ThreadLinks({"t/d": "threads/0001.html", "t/e": "threads/0002.html", "t/d2": "threads/0003.html"})
    assert links.paginated
    assert links.href("t/d") == "threads/0001.html#u-t--d"
    assert links.href("t/d/c1") == "threads/0001.html#u-t--d--c1"
    assert links.href("t/d/c1/s0") == "threads/0001.html#u-t--d--c1--s0"
    assert links.href("t/d2/post/s0") == "threads/0003.html#u-t--d2--post--s0"  # t/d is a prefix only as a string
    assert links.href("t/e/post", root="../") == "../threads/0002.html#u-t--e--post"
    assert links.href("x/unknown/c1") == "threads.html#u-x--unknown--c1"
    deep = ThreadLinks({"c/a/b": "threads/0001.html", "c/a": "threads/0002.html"})
    assert deep.page_of("c/a/b/c3") == "threads/0001.html" and deep.page_of("c/a/c3") == "threads/0002.html"
    assert links.subset(["t/d2/post/s0", "t/d/c1", "x/y"]) == {"t/d": "threads/0001.html", "t/d2": "threads/0003.html"}
    single = ThreadLinks({"t/d": "threads.html"})
    assert not single.paginated and single.href("t/d/c1") == "threads.html#u-t--d--c1" and single.subset(["t/d"]) == {}


def test_pagination_in_document_order_within_the_budget() -> None:
    sizes = {"a": 2, "b": 1, "c": 1, "d": 5, "e": 1}
    assert paginate(list(sizes), sizes, None) == [["a", "b", "c", "d", "e"]]
    assert paginate(list(sizes), sizes, 10) == [["a", "b", "c", "d", "e"]]  # everything fits: one page
    assert paginate(list(sizes), sizes, 3) == [["a", "b"], ["c"], ["d"], ["e"]]  # d alone exceeds: its own page
    assert paginate(list(sizes), sizes, 4) == [["a", "b", "c"], ["d"], ["e"]]
    assert page_files([["a"]]) == ["threads.html"]
    assert page_files([["a"], ["b"], ["c"]]) == ["threads/0001.html", "threads/0002.html", "threads/0003.html"]
    assert page_files([[str(i)] for i in range(10_000)])[-1] == "threads/10000.html"
    links, pages = thread_links(["a", "b", "c"], {"a": 2, "b": 1, "c": 1}, 2)
    assert pages == [("threads/0001.html", ["a"]), ("threads/0002.html", ["b", "c"])]
    assert dict(links.pages) == {"a": "threads/0001.html", "b": "threads/0002.html", "c": "threads/0002.html"}


def test_three_documents_three_thread_pages_and_an_index_with_correct_links() -> None:
    pages = build_pages(three_docs(), "R", "now", examples=3, limits=Limits(thread_page_utterances=1))
    assert {p for p in pages if "thread" in p} == {"threads.html", "threads/0001.html", "threads/0002.html",
                                                   "threads/0003.html"}
    index = pages["threads.html"]
    assert re.findall(r'<td><a href="([^"]+)">', index) == [
        "threads/0001.html#u-t--d", "threads/0002.html#u-t--e", "threads/0003.html#u-t--d2"]
    assert 'class="units-data"' not in index and "<article" not in index  # an index, no threads
    for file, doc, others in (("threads/0001.html", "t--d", ("t--e", "t--d2")), ("threads/0002.html", "t--e", ("t--d",)),
                              ("threads/0003.html", "t--d2", ("t--e",))):
        html = pages[file]
        assert f'<section class="doc" id="u-{doc}">' in html and all(f'id="u-{o}"' not in html for o in others)
        assert 'href="../assets/style.css"' in html and 'src="../assets/report.js"' in html
        assert 'href="../index.html"' in html and 'href="../threads.html">all documents</a>' in html
    assert 'id="u-t--d--c1--s0"' in pages["threads/0001.html"]  # unit spans keep their anchors
    assert 'href="../threads/0002.html" rel="next"' in pages["threads/0001.html"]
    assert 'href="../threads/0002.html" rel="prev"' in pages["threads/0003.html"]
    frames = pages["frames.html"]
    assert re.findall(r'<footer class="muted">[^<]*<a href="([^"]+)">', frames) == [
        "threads/0002.html#u-t--e--post--s0", "threads/0001.html#u-t--d--c1--s0",  # other: e 0.8, then c1 0.7
        "threads/0003.html#u-t--d2--post--s0", "threads/0001.html#u-t--d--post--s0",
        "threads/0001.html#u-t--d--post--s1"]
    assert ('<script type="application/json" class="thread-pages">{"t/d":"threads/0001.html",'
            '"t/d2":"threads/0003.html","t/e":"threads/0002.html"}</script>') in frames
    assert '<a href="threads/0001.html#u-t--d">t/d</a>' in pages["index.html"]
    whole = build_pages(three_docs(), "R", "now", limits=Limits(thread_page_utterances=4))
    assert not any(p.startswith("threads/") for p in whole) and whole["threads.html"].count('<section class="doc"') == 3
    assert 'class="thread-pages"' not in whole["frames.html"] and 'href="threads.html#u-t--d--c1--s0"' in whole[
        "frames.html"]


def test_sample_is_the_lowest_ranked_ids_in_the_cells_own_order() -> None:
    cell = Ids(["a", "b", "c"])
    assert cell.sample(None) == ["a", "b", "c"] and cell.sample(3) == ["a", "b", "c"]
    assert cell.sample(2) == ["b", "c"] and cell.chosen(1) == ["c"]
    assert str(cell) == "a b c" and cell == "a b c"  # unfinished, it reads as all its ids


def test_sample_sizes_fill_the_page_budget() -> None:
    four, two_pairs = [Ids(["a", "b", "c", "d"])], [Ids(["e", "f"]), Ids(["g", "h"])]
    assert sample_sizes({"g1": four, "g2": two_pairs}, None, None) == {"g1": None, "g2": None}
    assert sample_sizes({"g1": four, "g2": two_pairs}, 3, None) == {"g1": 3, "g2": None}
    assert sample_sizes({"g1": four, "g2": two_pairs}, None, 8) == {"g1": None, "g2": None}  # all 8 fit
    # budget 4: share 2 -> g1 shows 2 of its 4, g2 one of each pair (2 ids); share 3 would show 3 + 2 = 5
    assert sample_sizes({"g1": four, "g2": two_pairs}, None, 4) == {"g1": 2, "g2": 1}
    # a table repeating its chart's cells costs nothing more: the union is what counts
    assert sample_sizes({"chart": four, "table": [Ids(["a", "b", "c", "d"])]}, None, 4) == {"chart": None,
                                                                                           "table": None}
    assert sample_sizes({"g": [Ids(["a", "b"]), Ids(["c", "d"])]}, None, 1) == {"g": 1}  # floor: one per cell


def test_finish_samples_cells_records_totals_and_embeds_only_shown_quotes() -> None:
    ctx = {"figures": [{"id": "f", "figure": {"data": [{"customdata": [point(["a", "b", "c"], "T")]}]}}],
           "rows": [{"n": 3, "units": Ids(["a", "b", "c"])}, {"n": 1, "units": Ids(["d"])}],
           "map": [[0, "x", 3, Ids(["a", "b", "c"], trail=True)], [1, "y", 1, Ids(["d"], trail=True)]]}
    out = finish(ctx, Limits(max_quotes=2), lambda ids: {i: {"text": i.upper()} for i in ids})
    assert out["figures"][0]["figure"]["data"][0]["customdata"] == [{"units": "b c", "title": "T", "label": "T",
                                                                      "n": 3}]
    assert out["rows"] == [{"n": 3, "units": "b c"}, {"n": 1, "units": "d"}]
    assert out["rows"][0]["units"].total == 3 and out["rows"][0]["units"].sampled
    assert not out["rows"][1]["units"].sampled
    assert out["map"] == [[0, "x", 3, "b c", 3], [1, "y", 1, "d"]]  # a sampled customdata row: total after the ids
    assert out["units_data"] == {"b": {"text": "B"}, "c": {"text": "C"}, "d": {"text": "D"}}
    assert out["drill"]["sampled"] and out["drill"]["k_min"] == out["drill"]["k_max"] == 2
    whole = finish(ctx, Limits(), lambda ids: dict.fromkeys(ids, {}))
    assert whole["map"] == [[0, "x", 3, "a b c"], [1, "y", 1, "d"]] and not whole["drill"]["sampled"]
    assert set(whole["units_data"]) == {"a", "b", "c", "d"}


def test_sampled_cells_say_k_of_n_in_the_page() -> None:
    html = build_pages(three_docs(), "R", "now", limits=Limits(max_quotes=1))["frames.html"]
    # overall: other = c1/s0 + e/post/s0 (2), marketing-first = post/s0, post/s1, d2/post/s0 (3)
    assert '<td class="num" data-units="t/d/c1/s0" data-title="other" data-n="2">2</td>' in html
    assert '<td class="num" data-units="t/d/post/s1" data-title="marketing-first" data-n="3">3</td>' in html
    assert 'data-units="t/e/post/s0" data-title="Doc' not in html and "1 of N shown" in html
    data = re.search(r'class="units-data">(.*?)</script>', html).group(1)
    assert set(re.findall(r'"(t/[^"]+/s\d)":', data)) == {"t/d/c1/s0", "t/d/post/s1", "t/e/post/s0",
                                                          "t/d2/post/s0"}  # only the ids some cell shows
    plain = build_pages(three_docs(), "R", "now")["frames.html"]
    assert "data-n=" not in plain and "of N shown" not in plain


def test_rows_beyond_max_rows_are_summed_in_one_row() -> None:
    cells = {("a", "x"): ["a1"], ("b", "x"): ["b1", "b2"], ("b", "y"): ["b3"], ("c", "y"): ["c2", "c1"]}
    assert cap_rows(["a", "b", "c"], cells, 3) == (["a", "b", "c"], cells, 0)
    keys, out, n = cap_rows(["a", "b", "c"], cells, 1)
    assert (keys, n) == (["b", OTHERS], 2)
    assert out == {("b", "x"): ["b1", "b2"], ("b", "y"): ["b3"], (OTHERS, "x"): ["a1"], (OTHERS, "y"): ["c1", "c2"]}
    assert top([1, 2, 3], 2) == ([1, 2], 1) and top([1, 2], None) == ([1, 2], 0)
    t = three_docs()
    ctx = frames_context(t["unit_frames"], t["units"], t["documents"], t["utterance_frames"], limits=Limits(max_rows=1))
    assert [(r["label"], r["n"], r["others"]) for r in ctx["by_document"]] == [
        ("Doc <script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned=2\">", 3, False),
        ("2 other documents", 2, True)]
    assert [(r["label"], r["n"]) for r in ctx["by_participant"]] == [("Pat", 2), ("3 other participants", 3)]
    assert ctx["rows_left_out"] == {"documents": 2, "participants": 3}
    index = build_pages(t, "R", "now", limits=Limits(max_rows=1))["index.html"]
    assert "… and 2 more documents (the 1 with the most comments are listed" in index


@pytest.mark.parametrize("n", [0, 1])
def test_no_cells_no_sampling(n: int) -> None:
    out = finish({"rows": [{"units": Ids(["a"] * n)}]}, Limits(max_quotes=1, page_quotes=1), lambda ids: {})
    assert out["drill"] == {"k": {}, "cells": 1, "quotes": n, "sampled": False, "k_min": None, "k_max": None}


def test_threads_folder_holds_a_note_when_no_thread_page_is_needed(tmp_path) -> None:
    from pipeline.report.report_cli import THREADS_NOTE, write_site

    (tmp_path / "threads").mkdir()
    (tmp_path / "threads" / "0009.html").write_text("old run", encoding="utf-8")
    write_site({"index.html": "<html></html>"}, tmp_path)
    assert sorted(p.name for p in (tmp_path / "threads").iterdir()) == ["README.txt"]
    assert (tmp_path / "threads" / "README.txt").read_text(encoding="utf-8") == THREADS_NOTE
    write_site({"index.html": "<html></html>", "threads/0001.html": "<html></html>"}, tmp_path)
    assert sorted(p.name for p in (tmp_path / "threads").iterdir()) == ["0001.html"]
