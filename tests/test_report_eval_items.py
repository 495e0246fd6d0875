"""Per-item rows behind the confusion matrices (eval_items): built by the stages, counted exactly like the
recorded matrices, and turned into clickable cells by the validation page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.common.config import PositionsConfig
from pipeline.common.eval_items import combine, eval_items, frame_items, role_items, stance_items
from pipeline.common.schema import EVAL_ITEMS
from pipeline.common.storage import read_json, read_table, write_table
from pipeline.positions.role_scores import score_roles, score_roles_items, validate_stances
from pipeline.report.inputs import read_eval_items
from pipeline.report.pages import build_pages
from pipeline.report.validation_page import (
    evaluation,
    find_evaluations,
    item_confusion,
    validation_context,
)
from tests.report_tables import PAYLOAD, base_tables, position_tables

ROLE_IDS = ["tool", "strategy", "unclear"]


def clickable(metrics: dict, items: dict[str, pd.DataFrame]) -> dict[str, bool]:
    """{dotted evaluation path: whether its cells drill down} (rows reproduce the recorded counts)."""
    return {".".join(p): evaluation(p, b, "f", items.get(".".join(p)))["ids"] is not None
            for p, b in find_evaluations(metrics)}


def test_eval_items_rows_and_errors() -> None:
    df = eval_items("intercoder", ["u1", "u2"], ["a", "b"], ["a", "a"], {"u1": PAYLOAD}, "unit")
    assert df.to_dict("records") == [
        {"evaluation": "intercoder", "id": "u1", "level": "unit", "concept": None, "actual": "a", "predicted": "a",
         "text": PAYLOAD},
        {"evaluation": "intercoder", "id": "u2", "level": "unit", "concept": None, "actual": "b", "predicted": "a",
         "text": ""}]
    with pytest.raises(ValueError, match="x: 2 ids, 1 actual"):
        eval_items("x", ["u1", "u2"], ["a"], ["a", "b"], {}, "unit")
    assert list(combine([df.iloc[:0]]).columns) == EVAL_ITEMS.names and len(combine([df, df])) == 4


def test_frame_items_pairs_and_intercoder() -> None:
    units = base_tables()["units"]
    pairs = {"unit": pd.DataFrame({"unit_id": ["t/d/post/s1"], "frame_gold": ["A"], "frame_pred": ["B"]}),
             "utterance": pd.DataFrame({"utterance_id": ["t/d/post"], "frame_gold": ["A"], "frame_pred": ["A"]})}
    code = {"coder": "c", "note": ""}
    c1 = pd.DataFrame([{"unit_id": "t/d/post/s0", "text": "CRM is a tool.", "frame": "A", **code},
                       {"unit_id": "old-id", "text": "Strategy first.", "frame": "B", **code},  # re-aligned by text
                       {"unit_id": "t/d/post/s1", "text": "Buy it.", "frame": "A", **code}])
    c2 = pd.DataFrame([{"unit_id": "t/d/post/s0", "text": "CRM is a tool.", "frame": "B", **code},
                       {"unit_id": "t/e/post/s0", "text": "Strategy first.", "frame": "B", **code}])
    got = frame_items(pairs, c1, {"intercoder": c2}, units)
    assert got[["evaluation", "id", "level", "actual", "predicted", "text"]].values.tolist() == [
        ["unit", "t/d/post/s1", "unit", "A", "B", "Buy it."],
        ["utterance", "t/d/post", "utterance", "A", "A", "CRM is a tool. Buy it."],
        ["intercoder", "t/d/post/s0", "unit", "A", "B", "CRM is a tool."],
        ["intercoder", "t/e/post/s0", "unit", "B", "B", "Strategy first."]]
    assert set(frame_items(pairs, c1, {}, units)["evaluation"]) == {"unit", "utterance"}


def test_frame_stage_writes_items_matching_its_matrices(tmp_path: Path, fixtures: Path) -> None:
    from pipeline.frames import frame_cli as stage
    from tests.test_frames import _tiny_project

    p = _tiny_project(tmp_path)
    out = tmp_path / "out"
    assert stage.main([
        "--units", str(p["units.parquet"]), "--embeddings", str(p["emb.parquet"]),
        "--codebook", str(fixtures / "frames" / "codebook.yaml"), "--params", str(fixtures / "frames" / "params.yaml"),
        "--unit-codes", str(p["c1.csv"]), "--utterance-codes", str(p["utt.csv"]), "--second-coder", str(p["c2.csv"]),
        "--independent-coder", str(p["c2.csv"]), "--unit-topics", str(p["topics.parquet"]), "--unit-frames", str(out / "uf.parquet"),
        "--utterance-frames", str(out / "utf.parquet"), "--frame-topics", str(out / "ft.parquet"),
        "--metrics", str(out / "frames.json"), "--confusion-units", str(out / "cu.csv"),
        "--confusion-utterances", str(out / "cutt.csv"), "--problems", str(out / "problems.parquet"),
        "--eval-items", str(out / "items.parquet")]) == 0
    items = read_table(out / "items.parquet", EVAL_ITEMS)
    assert items.groupby("evaluation").size().to_dict() == {"intercoder": 6, "intercoder_independent": 6,
                                                            "unit": 12, "utterance": 6}
    ic = items[items["evaluation"] == "intercoder"]
    assert ic[ic["actual"] != ic["predicted"]][["id", "actual", "predicted", "text"]].values.tolist() == [
        ["t/d/u1/s0", "tools", "org", "twitter channel tool"]]  # the one unit coder 2 coded differently
    m = {"frames": read_json(out / "frames.json")}
    assert clickable(m, item_confusion("frames", items)) == {
        "frames.unit": True, "frames.utterance": True, "frames.intercoder": True, "frames.intercoder_independent": True}
    assert "rows_coder1_cols_coder3" in m["frames"]["intercoder_independent"]["confusion"]


def _uc() -> pd.DataFrame:
    rows = [("u1", "social_media", "tool talk"), ("u2", "social_media", "strategy talk"),
            ("u3", "social_crm", "vague"), ("u4", "social_crm", "strategy talk"), ("u1", "social_crm", "tool talk")]
    return pd.DataFrame([{"corpus": "k", "doc_id": "k/d", "utterance_id": "k/d/1", "unit_id": u, "author": "Ann",
                          "participant_id": "k/ann", "concept": c, "context": t, "text": t} for u, c, t in rows])


def test_role_items_drop_left_out_predictions() -> None:
    got = role_items(_uc(), [0, 2, 4], ["tool", "unclear", "strategy"],
                     {"zeroshot": ["tool", "tool", "tool"], "supervised_cv": [None, "unclear", "tool"]})
    assert got[["evaluation", "id", "concept", "actual", "predicted", "text"]].values.tolist() == [
        ["zeroshot", "u1", "social_media", "tool", "tool", "tool talk"],
        ["zeroshot", "u3", "social_crm", "unclear", "tool", "vague"],
        ["zeroshot", "u1", "social_crm", "strategy", "tool", "tool talk"],  # same unit, second concept
        ["supervised_cv", "u3", "social_crm", "unclear", "unclear", "vague"],
        ["supervised_cv", "u1", "social_crm", "strategy", "tool", "tool talk"]]


def test_score_roles_items_match_role_metrics() -> None:
    from pipeline.positions.roles import Role

    roles = [Role(r, r[0], "d", (), ()) for r in ROLE_IDS]
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, -0.8], [0.6, 0.8], [1.0, 0.0]])
    role_emb = {"tool": np.array([[1.0, 0.0]]), "strategy": np.array([[0.0, 1.0]])}
    cfg = PositionsConfig(cue_weight=0.0, unclear_threshold=0.7, bootstrap=0)
    gold = {("u1", "social_media"): "tool", ("u2", "social_media"): "strategy", ("u3", "social_crm"): "unclear",
            ("u4", "social_crm"): "tool"}
    out, metrics, items = score_roles_items(_uc(), emb, role_emb, roles, gold, cfg)
    plain_out, plain_metrics = score_roles(_uc(), emb, role_emb, roles, gold, cfg)
    assert plain_metrics == metrics and plain_out.equals(out)
    zs = items[items["evaluation"] == "zeroshot"]
    assert zs[["id", "concept", "actual", "predicted"]].values.tolist() == [
        ["u1", "social_media", "tool", "tool"], ["u2", "social_media", "strategy", "strategy"],
        ["u3", "social_crm", "unclear", "unclear"], ["u4", "social_crm", "tool", "strategy"]]
    assert set(items["evaluation"]) == {"zeroshot", "zeroshot_embedding_only"}  # too few items to cross-validate
    assert clickable({"positions": metrics}, item_confusion("positions", items)) == {
        "positions.zeroshot": True, "positions.zeroshot_embedding_only": True}


def test_stance_items_match_stance_validation() -> None:
    replies = position_tables()["replies"]
    gold = pd.DataFrame({"utterance_id": ["t/d/c1", "t/x/missing"], "stance": ["agree", "rebut"]})
    items = stance_items(replies, gold)
    assert items[["evaluation", "id", "level", "actual", "predicted", "text"]].values.tolist() == [
        ["replies.validation", "t/d/c1", "utterance", "agree", "rebut", PAYLOAD]]
    m = {"positions": {"replies": {"validation": validate_stances(replies, gold, PositionsConfig(bootstrap=0))}}}
    assert clickable(m, item_confusion("positions", items)) == {"positions.replies.validation": True}


def test_report_reads_items_and_cells_drill_down(tmp_path: Path) -> None:
    items = combine([eval_items("intercoder", ["t/d/post/s0", "t/e/post/s0"], ["A", "B"], ["B", "B"], {}, "unit"),
                     eval_items("replies.validation", ["t/d/c1"], ["agree"], ["rebut"], {}, "utterance")])
    write_table(items, EVAL_ITEMS, tmp_path / "items.parquet")
    conf = read_eval_items([f"frames={tmp_path / 'items.parquet'}", f"positions={tmp_path / 'absent.parquet'}"])
    assert sorted(conf) == ["frames.intercoder", "frames.replies.validation"]
    assert conf["frames.intercoder"].to_dict("list") == {"actual": ["A", "B"], "predicted": ["B", "B"],
                                                        "id": ["t/d/post/s0", "t/e/post/s0"]}
    assert item_confusion("frames", pd.DataFrame({"id": ["x"]})) == {}  # not an eval_items table
    m = {"frames": {"intercoder": {"n": 2, "kappa": 0.0, "confusion": {
        "labels": ["A", "B"], "rows_coder1_cols_coder2": [[0, 1], [0, 1]]}}}}
    t = base_tables()
    ctx = validation_context(m, conf, t["units"], t["attributed"])
    assert ctx["evaluations"][0]["ids"] == [["", "t/d/post/s0"], ["", "t/e/post/s0"]]
    html = build_pages(t, "R", "now", metrics=m, confusion=conf)["validation.html"]
    assert 'data-units="t/d/post/s0" data-title="coder1 A · coder2 B"' in html
