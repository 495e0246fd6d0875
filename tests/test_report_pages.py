"""Report pages frames/topics/positions/validation: exact cells and their unit ids, escaping, page presence."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from pipeline.report.frames_page import frames_context
from pipeline.report.pages import available_pages, build_pages
from pipeline.report.positions_page import participant_units, positions_context, role_order
from pipeline.report.topics_page import (
    clickable_barchart,
    clickable_hierarchy,
    clickable_map,
    topics_context,
)
from pipeline.report.validation_page import (
    find_evaluations,
    has_validation,
    role_confusion,
    validation_context,
    wilson,
)
from tests.report_tables import (
    MF,
    OT,
    PAYLOAD,
    all_tables,
    base_tables,
    frame_tables,
    metrics,
    position_tables,
    topic_tables,
)

ESCAPED = PAYLOAD.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
FIGS = {"topics_map": {"data": [{"type": "scatter", "customdata": [[0, "0_crm", 2]], "x": [0], "y": [0]}],
                       "layout": {"width": 1000, "title": {"text": "map"}}},
        "topics_barchart": {"data": [{"type": "bar", "x": [0.2, 0.1], "y": ["buy  ", "zebra  "]}],
                            "layout": {"annotations": [{"text": "Topic 0"}], "width": 1000}},
        "topics_hierarchy": {"data": [], "layout": {"yaxis": {"ticktext": ["0_crm_tool"], "tickvals": [-5.0]}}}}


def figure(ctx: dict, fig_id: str) -> dict:
    return next(f["figure"] for f in ctx["figures"] if f["id"] == fig_id)


def test_frames_overall_document_time_cells() -> None:
    t = {**base_tables(), **frame_tables()}
    ctx = frames_context(t["unit_frames"], t["units"], t["documents"], t["utterance_frames"], n_examples=1)
    assert ctx["frame_names"] == [OT, MF]  # codebook order from share_frames, not alphabetical
    assert [(r["frame"], r["n"], r["units"], r["n_utterances"]) for r in ctx["frames"]] == [
        (OT, 2, "t/d/c1/s0 t/e/post/s0", 2), (MF, 2, "t/d/post/s0 t/d/post/s1", 1)]
    assert [e["unit_id"] for e in ctx["frames"][1]["examples"]] == ["t/d/post/s0"]  # highest score
    doc = ctx["by_document"][0]
    assert doc["key"] == "t/d" and doc["label"].startswith("Doc <script>")  # escaped by the template, not here
    assert [(c["frame"], c["n"], c["units"]) for c in doc["cells"]] == [
        (OT, 1, "t/d/c1/s0"), (MF, 2, "t/d/post/s0 t/d/post/s1")]
    assert [r["key"] for r in ctx["by_time"]] == ["2011-03"] and ctx["undated"] == 1
    people = {r["key"]: r["n"] for r in ctx["by_participant"]}
    assert people == {"Pat": 2, PAYLOAD: 1, "Kim": 1}
    bars = figure(ctx, "fig-frames-documents")["data"]
    assert bars[0]["y"][0] == f"Doc {ESCAPED}"
    assert [b["name"] for b in bars] == [OT, MF]
    assert bars[1]["customdata"][0]["units"] == "t/d/post/s0 t/d/post/s1" and bars[1]["x"][0] == pytest.approx(2 / 3)
    assert set(ctx["units_data"]) == {"t/d/post/s0", "t/d/post/s1", "t/d/c1/s0", "t/e/post/s0"}


def test_topics_figures_gain_unit_ids() -> None:
    by_topic = {0: ["t/d/post/s0", "t/d/post/s1"]}
    m = clickable_map(FIGS["topics_map"], by_topic)
    assert m["data"][0]["customdata"] == [[0, "0_crm", 2, "t/d/post/s0 t/d/post/s1"]]
    assert m["data"][0]["meta"] == {"units_at": 3} and "width" not in m["layout"]
    assert FIGS["topics_map"]["data"][0]["customdata"] == [[0, "0_crm", 2]]  # input untouched
    texts = {"t/d/post/s0": "CRM is a tool.", "t/d/post/s1": "Buy it."}
    bars = clickable_barchart(FIGS["topics_barchart"], by_topic, texts)["data"][0]["customdata"]
    assert [(b["units"], b["title"]) for b in bars] == [
        ("t/d/post/s1", "Topic 0 · buy"), ("t/d/post/s0 t/d/post/s1", "Topic 0 · zebra")]  # no unit has it: all
    leaves = clickable_hierarchy(FIGS["topics_hierarchy"], by_topic)["data"][-1]
    assert leaves["y"] == [-5.0] and leaves["customdata"][0]["units"] == "t/d/post/s0 t/d/post/s1"


def test_topics_table_and_frame_cross_tab() -> None:
    t = {**base_tables(), **frame_tables(), **topic_tables()}
    ctx = topics_context(t["topics"], t["unit_topics"], t["units"], t["unit_frames"], t["utterance_frames"],
                         t["documents"], FIGS)
    assert [(r["topic"], r["units"]) for r in ctx["topics"]] == [(0, "t/d/post/s0 t/d/post/s1"),
                                                                  (-1, "t/d/c1/s0 t/e/post/s0")]
    assert [f["id"] for f in ctx["figures"]] == ["fig-topics-map", "fig-topics-barchart", "fig-topics-hierarchy",
                                                 "fig-frame-topics", "fig-doc-topics"]
    other = ctx["frame_rows"][0]
    assert other["frame"] == OT and [(c["topic"], c["n"], c["units"]) for c in other["cells"]] == [
        ("0", 0, ""), ("-1", 2, "t/d/c1/s0 t/e/post/s0")]
    heat = figure(ctx, "fig-frame-topics")["data"][0]
    assert heat["z"] == [[0, 2], [2, 0]] and heat["customdata"][1][0]["units"] == "t/d/post/s0 t/d/post/s1"


def test_positions_matrix_relations_replies() -> None:
    t = {**base_tables(), **position_tables()}
    ctx = positions_context(t["positions"], t["units"], t["relations"], t["participant_map"], t["replies"],
                            t["reply_pairs"], t["participants"])
    assert [r["role"] for r in ctx["roles"]] == ["tool", "strategy", "unclear", "evolution"]
    assert ctx["matrix"]["concepts"] == ["crm", "strategy"]
    pat = next(r for r in ctx["matrix"]["rows"] if r["name"] == "Pat")
    assert pat["cells"][0] == {"role": "tool", "index": 0, "n": 1, "units": "t/d/post/s0", "mix": "tool 100%",
                               "title": "Pat · crm: tool"} and pat["cells"][1] is None
    [group] = ctx["relations"]
    assert group["relation"] == "opposed" and group["statements"][0]["negated"] is True
    assert ctx["pairs"]["rows"][0]["cells"] == [{"n": 1, "stance": "rebut", "index": 2, "units": "t/d/c1",
                                                 "title": f"{PAYLOAD} → Pat", "mix": "rebut 1"}]
    assert [(s["stance"], s["units"]) for s in ctx["stances"] if s["n"]] == [("rebut", "t/d/c1")]
    assert ctx["units_data"]["t/d/c1"]["speaker"] == PAYLOAD  # the reply itself, for the quotes panel
    pmap = figure(ctx, "fig-participant-map")["data"]
    assert [tr["name"] for tr in pmap] == ["tool", "strategy", "none"]
    assert pmap[0]["customdata"] == [{"units": "t/d/post/s0 t/d/post/s1", "title": "Pat", "label": "Pat"}]
    # plotly reads a little HTML in labels (<a href>): data text reaches it escaped, the quotes panel gets it raw
    assert pmap[1]["text"] == [ESCAPED] and pmap[1]["customdata"][0]["title"] == PAYLOAD
    net = figure(ctx, "fig-reply-network")["data"]
    assert ESCAPED in net[-1]["text"] and net[1]["customdata"][0]["label"] == f"{ESCAPED} → Pat: rebut"


def test_role_order_merges_codebook_order() -> None:
    assert role_order(pd.Series([["unclear"], ["tool", "unclear"], ["strategy", "unclear"], ["tool", "strategy"]])) == [
        "tool", "strategy", "unclear"]


def test_participant_units_match_aliases_case_insensitively() -> None:
    t = {**base_tables(), **position_tables()}
    units = t["units"].assign(author=["PAT", "pat", None, "Kim"])
    assert participant_units(units, t["participants"], {}) == {"t/pat": ["t/d/post/s0", "t/d/post/s1"],
                                                              "t/kim": ["t/e/post/s0"]}


def test_validation_blocks_intervals_stability() -> None:
    assert wilson(8, 10) == (0.4902, 0.9433) and wilson(0, 0) is None
    m = metrics()
    assert [p for p, _ in find_evaluations(m)] == [("frames", "unit")]
    ctx = validation_context(m)
    [ev] = ctx["evaluations"]
    assert ev["rows"] == "gold" and ev["cols"] == "predicted" and ev["n"] == 12
    assert ev["summary"][0] == {"metric": "accuracy", "value": 0.75, "ci": (0.5, 0.9)}
    mf = ev["classes"][0]  # no per_frame given: from the confusion counts
    assert (mf["precision"], mf["recall"], mf["support"]) == (8 / 9, 0.8, 10)
    assert mf["recall_ci"] == wilson(8, 10) and mf["precision_ci"] == wilson(8, 9)
    stab = ctx["stability"]
    assert stab["figure"]["figure"]["data"][0]["z"] == [[1.0, 0.2, 0.8], [0.2, 1.0, 0.5], [0.8, 0.5, 1.0]]
    assert stab["per_seed"][1] == {"seed": 2, "n_topics": 3, "outlier_share": 0.2, "ari_vs_consensus": None}
    assert ("kept", "3") in next(o for o in ctx["other"] if o["file"] == "clean")["rows"]
    assert not has_validation({"clean": {"kept": 3}})


def test_confusion_cells_drill_down_to_units_and_utterances() -> None:
    block = {"n": 4, "confusion": {"labels": ["A", "B"], "rows_gold_cols_predicted": [[2, 1], [0, 1]]}}
    m = {"frames": {"unit": block, "utterance": {**block, "n": 3,
                                                "confusion": {"labels": ["A", "B"],
                                                              "rows_gold_cols_predicted": [[1, 1], [1, 0]]}}}}
    units = pd.DataFrame({"actual": ["A", "B", "A", "A"], "predicted": ["A", "B", "B", "A"],
                          "id": ["t/d/post/s1", "t/d/c1/s0", "t/e/post/s0", "t/d/post/s0"]})
    utts = pd.DataFrame({"actual": ["A", "A", "B"], "predicted": ["B", "A", "A"],
                         "id": ["t/d/c1", "t/e/post", "t/d/post"]})
    t = base_tables()
    ctx = validation_context(m, {"frames.unit": units, "frames.utterance": utts}, t["units"], t["attributed"])
    unit_ev, utt_ev = ctx["evaluations"]
    assert unit_ev["ids"] == [["t/d/post/s0 t/d/post/s1", "t/e/post/s0"], ["", "t/d/c1/s0"]]
    assert utt_ev["ids"] == [["t/e/post", "t/d/c1"], ["t/d/post", ""]] and unit_ev["note"] is None
    cd = figure(ctx, "fig-confusion-0")["data"][0]["customdata"]
    assert cd[0][1] == {"units": "t/e/post/s0", "title": "gold A · predicted B", "label": "gold A · predicted B"}
    assert cd[1][0]["units"] == "" and figure(ctx, "fig-confusion-1")["data"][0]["customdata"][1][0]["units"] == "t/d/post"
    data = ctx["units_data"]
    assert set(data) == {"t/d/post/s0", "t/d/post/s1", "t/d/c1/s0", "t/e/post/s0", "t/d/c1", "t/e/post", "t/d/post"}
    assert data["t/d/post/s1"]["text"] == "Buy it." and data["t/d/post/s1"]["utterance_id"] == "t/d/post"
    assert data["t/d/post"] == {"text": "CRM is a tool. Buy it.", "speaker": "Pat", "doc_id": "t/d",
                                "utterance_id": "t/d/post"}
    html = build_pages(t, "R", "now", metrics=m, confusion={"frames.unit": units})["validation.html"]
    assert 'data-units="t/d/post/s0 t/d/post/s1" data-title="gold A · predicted A"' in html
    assert html.count("data-units=") == 3  # zero cells and the utterance block (no per-item file) stay plain
    stale = validation_context(m, {"frames.unit": units.iloc[:3], "frames.utterance": utts[["actual", "predicted"]]})
    assert [e["ids"] for e in stale["evaluations"]] == [None, None] and stale["units_data"] == {}
    assert "do not reproduce" in stale["evaluations"][0]["note"] and "id" in stale["evaluations"][1]["note"]
    assert "customdata" not in figure(stale, "fig-confusion-0")["data"][0]


def test_role_confusion_cells_from_unit_roles() -> None:
    ur = pd.DataFrame({"unit_id": ["t/d/post/s0", "t/d/c1/s0", "t/e/post/s0", "t/d/post/s1"],
                       "gold_role": ["tool", "tool", "strategy", None],
                       "zeroshot_role": ["tool", "strategy", "strategy", "tool"],
                       "supervised_role": ["tool", "tool", "tool", "tool"]})
    conf = role_confusion(ur)
    assert conf["positions.zeroshot"].to_dict("list") == {"actual": ["tool", "tool", "strategy"],
                                                          "predicted": ["tool", "strategy", "strategy"],
                                                          "id": ["t/d/post/s0", "t/d/c1/s0", "t/e/post/s0"]}
    labels = ["tool", "strategy"]
    m = {"positions": {"zeroshot": {"confusion": {"labels": labels, "rows_gold_cols_predicted": [[1, 1], [0, 1]]}},
                       "supervised_cv": {"confusion": {"labels": labels, "rows_gold_cols_predicted": [[2, 0], [0, 1]]}}}}
    html = build_pages({**base_tables(), "unit_roles": ur}, "R", "now", metrics=m)["validation.html"]
    assert 'data-units="t/d/c1/s0" data-title="gold tool · predicted strategy"' in html
    ctx = validation_context(m, conf)
    assert ctx["evaluations"][0]["ids"] == [["t/d/post/s0", "t/d/c1/s0"], ["", "t/e/post/s0"]]
    assert ctx["evaluations"][1]["ids"] is None  # supervised rows give 2 + 1 off-diagonal, not the recorded counts
    assert role_confusion(ur.drop(columns="gold_role")) == {} and role_confusion(None) == {}


def test_pages_appear_only_with_their_inputs() -> None:
    assert [f for f, _ in available_pages(base_tables())] == ["index.html", "threads.html", "provenance.html"]
    names = [f for f, _ in available_pages(all_tables(), metrics())]
    assert names == ["index.html", "threads.html", "frames.html", "topics.html", "positions.html", "validation.html",
                     "provenance.html"]


def test_hostile_text_is_escaped_on_every_page() -> None:
    pages = build_pages(all_tables(), "Report", "now", metrics=metrics(), figures=FIGS)
    assert set(pages) >= {"frames.html", "topics.html", "positions.html", "validation.html", "threads.html"}
    for name, html in pages.items():
        assert "<script>window.__pwned" not in html and "<img src=x" not in html, name
        assert "http://" not in html and "https://" not in html, name
        for blob in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
            json.loads(blob)  # embedded data stays valid JSON after escaping
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in pages["positions.html"]
    assert "\\u003cscript\\u003ewindow.__pwned" in pages["frames.html"]  # units-data JSON


def test_threads_colour_units_by_frame_with_legend() -> None:
    html = build_pages({**base_tables(), **frame_tables()}, "Report", "now")["threads.html"]
    assert 'class="unit fc-1" id="u-t--d--post--s0"' in html  # marketing-first = second codebook frame
    assert 'class="unit fc-0" id="u-t--d--c1--s0"' in html
    assert '<span class="sw sw-0"></span>other' in html


def test_empty_analysis_tables_still_render() -> None:
    tables = {k: (v.iloc[0:0] if k in ("unit_frames", "utterance_frames", "topics", "unit_topics", "positions",
                                       "relations", "participant_map", "replies", "reply_pairs") else v)
              for k, v in all_tables().items()}
    pages = build_pages(tables, "R", "now", metrics={"cluster": {"n_topics": 0}})
    assert {"frames.html", "topics.html", "positions.html"} <= set(pages) and "validation.html" not in pages
    assert "How the 0 argument units are framed" in pages["frames.html"]
