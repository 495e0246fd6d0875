"""The report benchmark's synthetic inputs (bench/report_synth.py): every table the report reads, consistent with
each other, and a report built from them with limits (thread pages, sampled drill-downs, clickable confusions)."""

from __future__ import annotations

from collections import Counter

from bench.report_synth import report_inputs
from pipeline.report.pages import build_pages
from pipeline.report.scale import Limits


def test_synthetic_report_inputs_are_consistent() -> None:
    r = report_inputs(150, seed=3)
    t = r.tables
    kinds = Counter(t["attributed"]["kind"])
    assert kinds["comment"] + kinds["pingback"] == 150 and kinds["post"] == len(t["documents"])
    assert set(t["units"]["utterance_id"]) <= set(t["attributed"].loc[t["attributed"]["included"], "utterance_id"])
    assert list(t["unit_frames"]["unit_id"]) == list(t["units"]["unit_id"]) == list(t["unit_topics"]["unit_id"])
    assert t["topics"]["size"].sum() == len(t["units"])
    assert len(t["topic_hierarchy"]) == (t["topics"]["topic"] != -1).sum() - 1  # a binary tree over the topics
    known = t["replies"].dropna(subset=["replier_id", "addressee_id"])
    assert t["reply_pairs"]["n_replies"].sum() == len(known)
    assert set(t["positions"]["participant_id"]) <= set(t["participants"]["participant_id"])
    unit = r.metrics["frames"]["unit"]
    assert sum(map(sum, unit["confusion"]["rows_gold_cols_predicted"])) == unit["n"] == len(r.confusion["frames.unit"])
    assert report_inputs(150, seed=3).counts() == r.counts()  # seeded


def test_report_of_synthetic_inputs_with_limits() -> None:
    r = report_inputs(150, seed=3)
    pages = build_pages(r.tables, "S", "now", metrics=r.metrics, figures=r.figures, confusion=r.confusion,
                        limits=Limits(max_quotes=500, page_quotes=300, max_rows=3, thread_page_utterances=60))
    assert sorted(p for p in pages if p.startswith("threads/")) == [f"threads/000{i}.html" for i in range(1, 5)]
    for name in ("frames.html", "topics.html", "positions.html", "validation.html"):
        assert "of N shown" in pages[name] and 'data-n="' in pages[name], name
    assert "do not reproduce" not in pages["validation.html"]  # every confusion matrix drills down
    assert "other documents" in pages["frames.html"] and "other participants" in pages["positions.html"]
