"""Roles (mentions, contexts, zero-shot, supervised), participant positions and map, and the stage end to end."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.common.config import ConfigError, PositionsConfig, load_yaml
from pipeline.common.storage import read_json, read_table
from pipeline.positions.participants import layout, participant_positions
from pipeline.positions.positions_cli import main
from pipeline.positions.role_model import cv_predict, cv_threshold, role_report
from pipeline.positions.role_scores import align_annotations, score_roles
from pipeline.positions.roles import (
    Role,
    assign,
    concept_contexts,
    cue_matrix,
    find_mentions,
    load_concepts,
    load_roles,
)

ROLES = [Role("tool", "t", "d", (), ()), Role("strategy", "s", "d", (), ()), Role("unclear", "u", "d", (), ())]


@pytest.fixture(scope="module")
def concepts(fixtures):
    """Fixture concepts."""
    return load_concepts(load_yaml(fixtures / "positions" / "concepts.yaml"))


def test_mentions_longest_first(concepts):
    got = find_mentions("Social CRM leverages Social Media; SCRM and CRM.", concepts)
    assert [(m.concept, m.start, m.end) for m in got] == [
        ("social_crm", 0, 10), ("social_media", 21, 33), ("social_crm", 35, 39), ("crm", 44, 47)]


def test_contexts_split_at_the_next_concept(concepts):
    text = "You confused Social Media (channels) with Social CRM (business strategy)."
    ctx = concept_contexts(text, find_mentions(text, concepts), min_chars=5)
    assert ctx == {"social_media": "You confused Social Media (channels) with", "social_crm": "Social CRM (business strategy)."}
    assert concept_contexts(text, find_mentions(text, concepts), min_chars=40)["social_crm"] == text


def test_cues_of_the_project_codebook(root):
    roles = load_roles(load_yaml(root / "codebooks" / "social_business.yaml"))
    assert [r.id for r in roles] == ["tool", "strategy", "transformation", "evolution", "unclear"]
    hits = cue_matrix(["Social Media is about tools and tactics", "reinventing your organization",
                       "it will simply be referred to as CRM"], roles)
    assert hits.tolist() == [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]]


def test_assign_threshold_and_unclear_never_argmax():
    scores = np.array([[0.5, 0.2, 0.9], [0.1, 0.25, 0.0]])
    labels, top = assign(scores, ROLES, threshold=0.3)
    assert labels == ["tool", "unclear"]
    assert top.tolist() == [0.5, 0.25]


def test_load_roles_errors():
    with pytest.raises(ConfigError, match="cb.yaml: roles must include 'unclear'"):
        load_roles({"roles": {"tool": {"definition": "x"}}}, "cb.yaml")
    with pytest.raises(ConfigError, match=r"cb.yaml: roles.tool.cues: bad regular expression '\('"):
        load_roles({"roles": {"tool": {"definition": "x", "cues": ["("]}, "unclear": {"definition": "y"}}}, "cb.yaml")


def test_evaluate_exact():
    m = role_report(["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b"], 200, 1)
    assert (m["accuracy"], m["macro_f1"], m["kappa"]) == (0.75, 0.7333, 0.5)
    assert m["per_role"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert m["confusion"]["rows_gold_cols_predicted"] == [[1, 1], [0, 2]]
    assert m["ci95"]["accuracy"][0] <= 0.75 <= m["ci95"]["accuracy"][1]


def test_cv_predict_separable_and_rare_label():
    x = np.array([[0.0, 1.0]] * 6 + [[1.0, 0.0]] * 6 + [[0.5, 0.5]])
    y = ["a"] * 6 + ["b"] * 6 + ["c"]
    pred, prob, folds = cv_predict(x, y, folds=3, seed=0, c=10.0)
    assert folds == 3
    assert pred == y[:12] + [None]
    assert prob[12] is None and all(q > 0.5 for q in prob[:12])


def test_cv_threshold_chosen_inside_folds():
    scores = np.array([[0.9], [0.8], [0.7], [0.2], [0.1], [0.15]])
    y = ["tool"] * 3 + ["unclear"] * 3
    pred, chosen = cv_threshold(scores, y, ["tool"], "unclear", [0.1, 0.5, 0.9], folds=3, seed=0)
    assert pred == y and chosen == [0.5, 0.5, 0.5]


def _uc() -> pd.DataFrame:
    rows = [("u1", "social_media", "tool talk"), ("u2", "social_media", "strategy talk"),
            ("u3", "social_crm", "vague"), ("u4", "social_crm", "strategy talk")]
    return pd.DataFrame([{"corpus": "k", "doc_id": "k/d", "utterance_id": "k/d/1", "unit_id": u, "author": "Ann",
                          "participant_id": "k/ann", "concept": c, "context": t, "text": t} for u, c, t in rows])


def test_score_roles_zero_shot_exact():
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, -0.8], [0.6, 0.8]])
    role_emb = {"tool": np.array([[1.0, 0.0]]), "strategy": np.array([[0.0, 1.0]])}
    cfg = PositionsConfig(cue_weight=0.0, unclear_threshold=0.7, bootstrap=0)
    gold = {("u1", "social_media"): "tool", ("u2", "social_media"): "strategy", ("u3", "social_crm"): "unclear",
            ("u4", "social_crm"): "tool"}
    out, metrics = score_roles(_uc(), emb, role_emb, ROLES, gold, cfg)
    assert out["role"].tolist() == ["tool", "strategy", "unclear", "strategy"]
    assert out["score"].round(4).tolist() == [1.0, 1.0, 0.6, 0.8]
    assert out["candidate_roles"].tolist()[0] == ["tool", "strategy"]
    assert metrics["zeroshot"]["accuracy"] == 0.75 and metrics["n_coded"] == 4
    positions = participant_positions(out, {"k/ann": "Ann"}, ["tool", "strategy", "unclear"],
                                      {"k/ann": Counter({"f1": 3, "f2": 1})}, ["f2", "f1"])
    assert positions[["concept", "dominant_role", "roles", "role_shares", "n_units", "unit_ids", "frames", "frame_shares"]
                     ].values.tolist() == [
        ["social_crm", "strategy", ["strategy", "unclear"], [0.5, 0.5], 2, ["u3", "u4"], ["f2", "f1"], [0.25, 0.75]],
        ["social_media", "tool", ["tool", "strategy"], [0.5, 0.5], 2, ["u1", "u2"], ["f2", "f1"], [0.25, 0.75]]]


def test_align_annotations_realigns_by_text_and_reports():
    ann = pd.DataFrame([
        {"unit_id": "old-id", "text": "tool talk", "concept": "social_media", "role": "tool"},
        {"unit_id": "u2", "text": "x", "concept": "social_media", "role": "banana"},
        {"unit_id": "u9", "text": "x", "concept": "crm", "role": "tool"},
    ])
    gold, problems = align_annotations(ann, _uc(), ["tool", "strategy", "unclear"], "ann.csv")
    assert gold == {("u1", "social_media"): "tool"}
    assert [(p["reason"], p["location"]) for p in problems] == [
        ("annotation-realigned", "line 2"), ("annotation-bad-role", "line 3"), ("annotation-unmatched", "line 4")]


def test_layout_deterministic():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4))
    assert np.allclose(layout(x, 1), layout(x, 1))
    assert layout(x[:2], 1).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def _stage_inputs(tmp_path, root, fixtures, frame_column="frame"):
    """Tiny stage inputs in tmp_path: argv, output paths, frame ids."""
    codebook = load_yaml(root / "codebooks" / "social_business.yaml")
    codebook["concepts"] = load_yaml(fixtures / "positions" / "concepts.yaml")["concepts"]
    (tmp_path / "cb.yaml").write_text(yaml.safe_dump(codebook, allow_unicode=True), encoding="utf-8")
    params = yaml.safe_load((root / "params.yaml").read_text(encoding="utf-8"))
    params["embed"]["backend"] = "hashing"
    params["positions"]["bootstrap"] = 50
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    texts = [("d/post", None, 0, "Ann", ["Social Media is about tools and tactics.",
                                         "Social Business = Social CRM + Enterprise 2.0"]),
             ("d/c1", "d/post", 1, "Bob", ["Great post. Social CRM is a strategy with long-term goals."]),
             ("d/c1.1", "d/c1", 2, "Ann", ["I disagree, Social CRM is just a tool."])]
    utts, units = [], []
    for uid, parent, depth, author, sents in texts:
        utts.append({"corpus": "k", "doc_id": "d", "utterance_id": uid, "parent_id": parent, "depth": depth,
                     "author": author, "included": True, "clean_text": " ".join(sents)})
        for i, s in enumerate(sents):
            found = sorted({m.concept for m in find_mentions(s, load_concepts(codebook))})
            units.append({"corpus": "k", "doc_id": "d", "utterance_id": uid, "unit_id": f"{uid}/s{i}", "index": i,
                          "author": author, "text": s, "clean_start": 0, "clean_end": len(s), "raw_start": None,
                          "raw_end": None, "concepts": found})
    pd.DataFrame(utts).to_parquet(tmp_path / "utts.parquet")
    from pipeline.common.schema import UNITS
    from pipeline.common.storage import write_table
    write_table(pd.DataFrame(units), UNITS, tmp_path / "units.parquet")
    pd.DataFrame([{"unit_id": "d/post/s0", "text": "Social Media is about tools and tactics.", "concept": "social_media",
                   "role": "tool", "note": ""}]).to_csv(tmp_path / "ann.csv", index=False)
    frames = list(codebook["frames"])
    pd.DataFrame([{"corpus": "k", "utterance_id": u["utterance_id"], "unit_id": u["unit_id"], frame_column: frames[i % 2],
                   "score": 0.5, "method": "zeroshot"} for i, u in enumerate(units)]).to_parquet(tmp_path / "uf.parquet")
    outs = {n: tmp_path / f"{n}.out" for n in ("unit-roles", "relations", "positions", "map", "map-figure", "replies",
                                                 "reply-pairs", "problems", "metrics")}
    argv = ["--units", str(tmp_path / "units.parquet"), "--utterances", str(tmp_path / "utts.parquet"),
            "--codebook", str(tmp_path / "cb.yaml"), "--params", str(tmp_path / "params.yaml"),
            "--annotations", str(tmp_path / "ann.csv"), "--unit-frames", str(tmp_path / "uf.parquet")]
    argv += [a for n, p in outs.items() for a in (f"--out-{n}", str(p))]
    return argv, outs, frames


def test_stage_end_to_end(tmp_path, root, fixtures):
    argv, outs, frames = _stage_inputs(tmp_path, root, fixtures)
    assert main(argv) == 0
    roles = read_table(outs["unit-roles"])
    assert sorted(zip(roles["unit_id"], roles["concept"], strict=True))[:2] == [
        ("d/c1.1/s0", "social_crm"), ("d/c1/s0", "social_crm")]
    rel = read_table(outs["relations"])
    assert rel[["unit_id", "relation"]].values.tolist() == [["d/post/s1", "equals"]]
    rep = read_table(outs["replies"])
    assert rep[["utterance_id", "replier_id", "addressee_id", "stance"]].values.tolist() == [
        ["d/c1", "k/bob", "k/ann", "agree"], ["d/c1.1", "k/ann", "k/bob", "rebut"]]
    pos = read_table(outs["positions"])
    assert set(zip(pos["participant_id"], pos["concept"], strict=True)) == {
        ("k/ann", "social_media"), ("k/ann", "social_business"), ("k/ann", "social_crm"), ("k/ann", "enterprise_2_0"),
        ("k/bob", "social_crm")}
    # units in order get frames 0, 1, 0, 1: Ann has d/post/s0 (0), d/post/s1 (1), d/c1.1/s0 (1); Bob d/c1/s0 (0)
    ann_pos = pos[pos["participant_id"] == "k/ann"].iloc[0]
    assert dict(zip(ann_pos["frames"], ann_pos["frame_shares"], strict=True)) == {frames[0]: 1 / 3, frames[1]: 2 / 3}
    pmap = read_table(outs["map"])
    assert pmap["participant_id"].tolist() == ["k/ann", "k/bob"] and pmap["n_units"].tolist() == [3, 1]
    assert pmap["dominant_frame"].tolist() == [frames[1], frames[0]]
    metrics = read_json(outs["metrics"])
    assert metrics["n_coded"] == 1 and metrics["relations"]["n"] == 1 and metrics["replies"]["by_stance"] == {
        "agree": 1, "rebut": 1}
    assert '"type":"scatter"' in outs["map-figure"].read_text().replace(" ", "")


def test_dominant_role_ignores_unclear_unless_alone():
    rows = [("u1", "unclear"), ("u2", "unclear"), ("u3", "tool")]
    ur = pd.DataFrame([{"corpus": "k", "participant_id": "k/ann", "concept": "c", "unit_id": u, "role": r} for u, r in rows]
                      + [{"corpus": "k", "participant_id": "k/bob", "concept": "c", "unit_id": "u4", "role": "unclear"}])
    pos = participant_positions(ur, {}, ["tool", "strategy", "unclear"], {}, [])
    assert pos[["name", "dominant_role", "roles", "role_shares"]].values.tolist() == [
        ["ann", "tool", ["tool", "unclear"], [1 / 3, 2 / 3]], ["bob", "unclear", ["unclear"], [1.0]]]


def test_stage_bad_unit_frames_is_a_problem_row(tmp_path, root, fixtures):
    argv, outs, _ = _stage_inputs(tmp_path, root, fixtures, frame_column="label")
    assert main(argv) == 0
    problems = read_table(outs["problems"])
    assert problems["reason"].tolist() == ["bad-unit-frames"]
    assert "uf.parquet: needs columns unit_id and frame" in problems["detail"].iloc[0]
    assert read_table(outs["positions"])["frames"].map(len).sum() == 0
