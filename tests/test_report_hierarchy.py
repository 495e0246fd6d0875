"""Topic hierarchy drill-down: merge nodes read from the dendrogram's geometry carry every unit below them."""

from __future__ import annotations

import base64
import copy

import numpy as np
import pandas as pd
import pytest

from pipeline.common.schema import TOPIC_HIERARCHY, TOPICS, UNIT_TOPICS, make_table
from pipeline.report.hierarchy import Merge, clickable_merges, dendrogram_merges, merge_rows, values
from pipeline.report.pages import build_pages
from pipeline.report.topics_page import topics_context
from tests.report_tables import PAYLOAD, base_tables


def bdata(xs: list[float]) -> dict:
    """A plotly typed array, as fig.to_json() writes it."""
    return {"dtype": "f8", "bdata": base64.b64encode(np.asarray(xs, dtype="<f8").tobytes()).decode()}


# Leaves top to bottom: topic 2, topic 0, topic 1. Merge (2, 0) at 0.5, then with topic 1 at 0.9; the outer
# link comes first and in typed-array form, as BERTopic's figure JSON does; a hover-only dot per merge.
DENDRO = {"data": [
    {"type": "scatter", "mode": "lines", "hoverinfo": "text", "text": ["same_name", "", "", "1_b"],
     "x": bdata([0.5, 0.9, 0.9, 0.0]), "y": bdata([-10.0, -10.0, -25.0, -25.0])},
    {"type": "scatter", "mode": "lines", "hoverinfo": "text", "text": ["2_c", "", "", "0_a"],
     "x": [0.0, 0.5, 0.5, 0.0], "y": [-5.0, -5.0, -15.0, -15.0]},
    {"type": "scatter", "mode": "markers", "hovertext": ["same_name", "same_name"], "x": [0.5, 0.9],
     "y": [-10.0, -17.5]}],
    "layout": {"width": 1000, "height": 300, "showlegend": False,
               "yaxis": {"ticktext": ["2_c", "0_a", "1_b"], "tickvals": [-5.0, -15.0, -25.0]}}}
BY_TOPIC = {0: ["u0a", "u0b"], 1: ["u1"], 2: ["u2"]}


def hierarchy() -> pd.DataFrame:
    """Both merges named alike (BERTopic does this): only their leaf sets tell them apart."""
    rows = [(4, [0, 1, 2], 3, 1, 0.9), (3, [0, 2], 2, 0, 0.5)]
    return make_table([{"parent_id": p, "parent_name": "same_name", "topics": t, "child_left_id": a,
                   "child_left_name": "x", "child_right_id": b, "child_right_name": "y", "distance": d}
                  for p, t, a, b, d in rows], TOPIC_HIERARCHY)


def test_typed_arrays_decode() -> None:
    assert values(bdata([1.5, -2.0])) == [1.5, -2.0] and values([1, 2]) == [1.0, 2.0] and values(None) == []


def test_merges_from_geometry() -> None:
    assert dendrogram_merges(DENDRO) == [Merge(0.5, -10.0, (0, 2)), Merge(0.9, -17.5, (0, 1, 2))]
    assert dendrogram_merges({"data": [], "layout": {}}) == []


def test_merge_dots_carry_units_of_every_topic_below() -> None:
    before = copy.deepcopy(DENDRO)
    out = clickable_merges(DENDRO, BY_TOPIC, hierarchy())
    assert before == DENDRO  # input untouched
    dots = out["data"][-1]
    assert [t.get("mode") for t in out["data"]] == ["lines", "lines", "markers"]  # BERTopic's hover dots replaced
    assert {t["hoverinfo"] for t in out["data"][:2]} == {"skip"}
    assert dots["x"] == [0.5, 0.9] and dots["y"] == [-10.0, -17.5]
    assert out["layout"]["xaxis"]["range"] == pytest.approx([-0.027, 0.927])  # leaves at x = 0 inside the plot, clickable
    assert [(c["units"], c["title"]) for c in dots["customdata"]] == [
        ("u0a u0b u2", "Merge 3 · same_name (topics 0, 2)"), ("u0a u0b u1 u2", "Merge 4 · same_name (topics 0, 1, 2)")]
    plain = clickable_merges(DENDRO, BY_TOPIC)["data"][-1]["customdata"]
    assert plain[0]["title"] == "Merge of topics 0, 2"  # no hierarchy table: named by its topics


def test_merge_table_rows() -> None:
    rows = merge_rows(hierarchy(), {**BY_TOPIC, 1: []})
    assert [(r["parent_id"], r["topics"], r["n"], r["units"]) for r in rows] == [
        (3, [0, 2], 3, "u0a u0b u2"), (4, [0, 1, 2], 3, "u0a u0b u2")]
    assert merge_rows(None, BY_TOPIC) == [] and merge_rows(hierarchy().iloc[:0], BY_TOPIC) == []


def topic_tables3() -> dict[str, pd.DataFrame]:
    """The four base units in topics 0 (two), 1 and 2, with the two-merge hierarchy above."""
    assign = {"t/d/post/s0": 0, "t/d/post/s1": 0, "t/d/c1/s0": 1, "t/e/post/s0": 2}
    ut = make_table([{"corpus": "t", "doc_id": u[:3], "unit_id": u, "author": None, "topic": t, "confidence": 1.0,
                 "outlier": False} for u, t in assign.items()], UNIT_TOPICS)
    topics = make_table([{"topic": t, "name": f"{t}_{PAYLOAD}", "size": n, "share": n / 4, "keywords": ["k"],
                     "keyword_scores": [0.1], "representative_unit_ids": [], "representative_texts": []}
                    for t, n in ((0, 2), (1, 1), (2, 1))], TOPICS)
    return {"unit_topics": ut, "topics": topics, "topic_hierarchy": hierarchy()}


def test_topics_page_merge_figure_and_table() -> None:
    t = {**base_tables(), **topic_tables3()}
    ctx = topics_context(t["topics"], t["unit_topics"], t["units"], bertopic={"topics_hierarchy": DENDRO},
                         hierarchy=t["topic_hierarchy"])
    fig = next(f["figure"] for f in ctx["figures"] if f["id"] == "fig-topics-hierarchy")
    merges, leaves = fig["data"][-2], fig["data"][-1]
    assert merges["customdata"][1]["units"] == "t/d/post/s0 t/d/post/s1 t/d/c1/s0 t/e/post/s0"
    assert leaves["customdata"][0] == {"units": "t/e/post/s0", "title": "Topic 2_c", "label": "Topic 2_c"}
    html = build_pages(t, "R", "now", figures={"topics_hierarchy": DENDRO})["topics.html"]
    assert ('data-units="t/d/post/s0 t/d/post/s1 t/e/post/s0" data-title="Merge 3 · same_name (topics 0, 2)"'
            in html)
    assert "<script>window" not in html  # hostile topic names escaped
