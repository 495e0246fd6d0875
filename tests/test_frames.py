"""Framing: metrics on hand-computed matrices, framers on known vectors, the stage CLI, real-coding floors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.common.agreement import (
    bootstrap_ci,
    cohen_kappa,
    confusion,
    krippendorff_alpha,
    macro_f1,
    per_class,
    report,
)
from pipeline.common.codebook import load_frames
from pipeline.common.codes import text_key
from pipeline.common.config import ConfigError, EmbedConfig, FrameConfig, load_yaml
from pipeline.common.embedders import HashingEmbedder
from pipeline.common.schema import (
    EMBEDDINGS,
    FRAME_TOPICS,
    UNIT_FRAMES,
    UNIT_TOPICS,
    UNITS,
    UTTERANCE_FRAMES,
)
from pipeline.common.storage import read_json, read_table, write_table
from pipeline.embed.embedding import embeddings_frame
from pipeline.frames import frame_cli as stage
from pipeline.frames.aggregate import aggregate_utterances, frame_topic_crosstab
from pipeline.frames.batch import contextualise, make_batch
from pipeline.frames.cv import candidates, grouped_folds, with_options
from pipeline.frames.features import FeatureBuilder
from pipeline.frames.framers import StackedFramer, SupervisedFramer, ZeroShotFramer
from pipeline.frames.sequence import smooth_by_utterance
from tests.frame_toys import select_on_runs, toy_units

GOLD = ["A", "A", "A", "B", "B", "C", "C", "C", "C", "A"]
PRED = ["A", "A", "B", "B", "C", "C", "C", "A", "C", "A"]


def test_confusion_and_per_class_hand_computed() -> None:
    cm = confusion(GOLD, PRED, ["A", "B", "C"])
    assert cm.tolist() == [[3, 1, 0], [0, 1, 1], [1, 0, 3]]
    p, r, f1, support = per_class(cm)
    assert p.tolist() == [0.75, 0.5, 0.75] and r.tolist() == [0.75, 0.5, 0.75]
    assert f1.tolist() == pytest.approx([0.75, 0.5, 0.75]) and support.tolist() == [4, 2, 4]
    assert macro_f1(cm) == pytest.approx(2 / 3)
    # po = 0.7, pe = (16 + 4 + 16) / 100 = 0.36 -> (0.7 - 0.36) / 0.64
    assert cohen_kappa(cm) == pytest.approx(0.53125)
    rep = report(GOLD, PRED, ["A", "B", "C"])
    assert rep["n"] == 10 and rep["accuracy"] == 0.7 and rep["macro_f1"] == 0.6667 and rep["kappa"] == 0.5312
    assert rep["per_frame"]["B"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}


def test_macro_f1_ignores_classes_absent_from_gold_and_unknown_labels_fail() -> None:
    cm = confusion(["A", "A"], ["A", "B"], ["A", "B", "C"])
    assert macro_f1(cm) == pytest.approx(2 / 3)  # only A has support: P=1, R=0.5
    with pytest.raises(ValueError, match="labels not in"):
        confusion(["A"], ["Z"], ["A", "B"])


def test_kappa_known_example() -> None:
    # Two raters, 50 items: agree yes 20, no 15; po = 0.7, pe = 0.5 -> kappa 0.4.
    assert cohen_kappa(np.array([[20, 5], [10, 15]])) == pytest.approx(0.4)
    assert cohen_kappa(np.array([[5, 0], [0, 0]])) == 1.0


def test_krippendorff_alpha_hand_computed() -> None:
    # Nominal, 2 coders x 4 items: o_aa=4, o_bb=2, o_ab=o_ba=1; n_a=5, n_b=3, n=8
    # alpha = 1 - (n-1) * 2 / (2 * n_a * n_b) = 1 - 14/30 = 8/15
    assert krippendorff_alpha([["a", "a", "b", "b"], ["a", "a", "b", "a"]], ["a", "b"]) == pytest.approx(8 / 15)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    gold, pred = GOLD * 10, PRED * 10
    a = bootstrap_ci(gold, pred, ["A", "B", "C"], 200, seed=5)
    assert a == bootstrap_ci(gold, pred, ["A", "B", "C"], 200, seed=5)
    assert a != bootstrap_ci(gold, pred, ["A", "B", "C"], 200, seed=6)
    assert a["macro_f1"][0] <= 2 / 3 <= a["macro_f1"][1] and a["kappa"][0] <= 0.53125 <= a["kappa"][1]
    assert bootstrap_ci(gold, pred, ["A", "B", "C"], 0, seed=5) == {}


def test_load_frames_and_errors(tiny_frames) -> None:
    assert [f.id for f in tiny_frames] == ["tools", "org", "other"]
    assert tiny_frames[0].prototype_texts == ["about channels and tools", "we bought a new tool for twitter"]
    with pytest.raises(ConfigError, match="exactly one frame 'residual: true'"):
        load_frames({"frames": {"a": {"definition": "x"}, "b": {"definition": "y"}}})
    with pytest.raises(ConfigError, match="frames.b: needs a 'definition'"):
        load_frames({"frames": {"a": {"definition": "x", "residual": True}, "b": {}}})


def test_zeroshot_framer_threshold_and_ties(tiny_frames) -> None:
    protos = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    x = np.array([[3.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
    pred = ZeroShotFramer(tiny_frames, protos, FrameConfig(other_threshold=0.8)).predict(x)
    assert pred.frame.tolist() == ["tools", "other", "other", "other"]  # 0.707 < 0.8 -> residual
    assert pred.score.tolist() == pytest.approx([3 / np.sqrt(10), np.sqrt(0.5), 1.0, 0.0])
    low = ZeroShotFramer(tiny_frames, protos, FrameConfig(other_threshold=0.5)).predict(x)
    assert low.frame.tolist() == ["tools", "tools", "other", "other"]  # tie -> codebook order


def test_supervised_framer_learns_separable_blobs(tiny_frames) -> None:
    rng = np.random.default_rng(0)
    centres = {"tools": [4, 0], "org": [0, 4], "other": [-4, -4]}
    x = np.vstack([rng.normal(c, 0.3, size=(10, 2)) for c in centres.values()])
    y = [f for f in centres for _ in range(10)]
    framer = SupervisedFramer(tiny_frames, None, FrameConfig(seed=1)).fit(x, y)
    pred = framer.predict(np.array([[4.0, 0.2], [0.1, 3.9], [-4.0, -4.0]]))
    assert pred.frame.tolist() == ["tools", "org", "other"]
    assert (pred.score > 0.9).all() and pred.scores.sum(axis=1) == pytest.approx(np.ones(3))
    with pytest.raises(ValueError, match="not in the codebook"):
        SupervisedFramer(tiny_frames, None, FrameConfig()).fit(x[:2], ["tools", "bogus"])


def test_aggregate_utterances_rules() -> None:
    uf = pd.DataFrame({
        "utterance_id": ["u1"] * 4 + ["u2"] * 2 + ["u3"] * 2 + ["u4"] * 3,
        "frame": ["other", "tools", "tools", "org", "other", "other", "tools", "org", "other", "other", "org"],
        "score": [0.9, 0.5, 0.5, 0.9, 0.4, 0.4, 0.3, 0.6, 0.5, 0.5, 0.5],
    })
    ids = ["tools", "org", "other"]
    out = aggregate_utterances(uf, ids, "other", ignore_residual=True).set_index("utterance_id")
    assert out["frame"].to_dict() == {"u1": "tools", "u2": "other", "u3": "org", "u4": "org"}
    assert out.loc["u1", "shares"] == [0.5, 0.25, 0.25] and out.loc["u1", "score"] == 0.5
    assert out.loc["u3", "score"] == 0.5  # tie on count broken by summed score (0.6 > 0.3)
    plain = aggregate_utterances(uf, ids, "other", ignore_residual=False).set_index("utterance_id")
    assert plain.loc["u4", "frame"] == "other"


def test_frame_topic_crosstab_exact() -> None:
    uf = pd.DataFrame({"unit_id": ["a", "b", "c", "d"], "frame": ["tools", "tools", "org", "org"]})
    ut = pd.DataFrame({"unit_id": ["a", "b", "c", "d", "zz"], "topic": [0, 1, 1, -1, 0]})
    out = frame_topic_crosstab(uf, ut)
    assert out.values.tolist() == [["org", -1, 1, 0.5, 1.0], ["org", 1, 1, 0.5, 0.5],
                                   ["tools", 0, 1, 0.5, 1.0], ["tools", 1, 1, 0.5, 0.5]]


def test_contextualise_adds_utterance_mean() -> None:
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    out = contextualise(x, ["u", "u", "v"], 1.0)
    assert out[0] == pytest.approx(np.array([1.5, 0.5]) / np.sqrt(2.5))
    assert out[2] == pytest.approx([1.0, 0.0])
    assert contextualise(x, ["u", "u", "v"], 0.0) is not None and (contextualise(x, ["u", "u", "v"], 0.0) == x).all()


def test_make_batch_context_and_neighbours_exact() -> None:
    units = toy_units({"u": ["a", "b", "c"], "v": ["d"]})
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 2.0]])
    b = make_batch(units, x)
    assert b.context[0] == pytest.approx(np.array([2.0, 1.0]) / np.sqrt(5))  # mean of a, b, c, normalised
    assert b.neighbours[0] == pytest.approx([0.0, 1.0])  # only b follows a
    assert b.neighbours[1] == pytest.approx([1.0, 0.0])  # mean of a and c
    assert b.neighbours[3] == pytest.approx([0.0, 0.0]) and b.unit[3] == pytest.approx([0.0, 1.0])
    sub = b.take([3, 0])
    assert sub.texts == ("d", "a") and sub.utterance_ids.tolist() == ["v", "u"] and len(sub) == 2


def test_smooth_by_utterance_exact() -> None:
    p = np.array([[1.0, 0.0], [0.0, 1.0], [0.2, 0.8]])
    out = smooth_by_utterance(p, ["u", "u", "v"], 0.5)
    assert out == pytest.approx(np.array([[0.75, 0.25], [0.25, 0.75], [0.2, 0.8]]))
    assert (smooth_by_utterance(p, ["u", "u", "v"], 0.0) == p).all()


def test_aggregate_utterances_mean_of_probabilities() -> None:
    uf = pd.DataFrame({"utterance_id": ["u1", "u1", "u1", "u2", "u2"],
                       "frame": ["tools", "tools", "org", "other", "other"], "score": [0.4, 0.4, 0.9, 0.6, 0.7]})
    scores = np.array([[0.4, 0.35, 0.25], [0.4, 0.35, 0.25], [0.05, 0.9, 0.05], [0.2, 0.2, 0.6], [0.1, 0.2, 0.7]])
    ids = ["tools", "org", "other"]
    out = aggregate_utterances(uf, ids, "other", True, "mean", scores).set_index("utterance_id")
    assert out.loc["u1", "frame"] == "org"  # mean 0.533 > 0.283, although tools has more units
    assert out.loc["u1", "score"] == pytest.approx(1 / 3)  # score stays the share of units
    assert out.loc["u2", "frame"] == "other"  # every unit residual
    assert aggregate_utterances(uf, ids, "other", True, "vote").set_index("utterance_id").loc["u1", "frame"] == "tools"
    with pytest.raises(ValueError, match="needs one score row per unit"):
        aggregate_utterances(uf, ids, "other", True, "mean", None)


def test_feature_builder_fits_on_training_units_only(tiny_frames) -> None:
    units = toy_units({"u": ["twitter tool", "culture"], "v": ["zebra words"]}, {"culture": ["org_concept"]})
    b = make_batch(units, np.eye(3))
    cfg = FrameConfig(stacked={"blocks": ["unit", "concepts", "words"], "word_min_df": 1, "word_ngram_max": 1})
    fb = FeatureBuilder(cfg.stacked.blocks, None, cfg).fit(b.take([0, 1]))
    assert sorted(fb.fitted["words"].vocabulary_) == ["culture", "tool", "twitter"]  # no 'zebra'
    z = fb.transform(b)
    assert z.shape == (3, 3 + 2 + 3)  # unit vector, concept (unit + utterance share), words
    assert z[2, 5:].nnz == 0  # unseen words give nothing
    with pytest.raises(ValueError, match="unknown"):
        FeatureBuilder(["bogus"], None, cfg)
    with pytest.raises(ValueError, match="needs frame prototype"):
        FeatureBuilder(["prototypes"], None, cfg)


def test_stacked_framer_learns_separable_blobs(tiny_frames) -> None:
    rng = np.random.default_rng(0)
    centres = {"tools": [4, 0, 0], "org": [0, 4, 0], "other": [0, 0, 4]}
    x = np.vstack([rng.normal(c, 0.3, size=(6, 3)) for c in centres.values()])
    units = toy_units({f"u{i}": [f"text {i}"] for i in range(18)})
    y = [f for f in centres for _ in range(6)]
    cfg = FrameConfig(method="stacked", stacked={"blocks": ["unit", "prototypes"], "smoothing": 0.5})
    framer = StackedFramer(tiny_frames, np.eye(3), cfg).fit(make_batch(units, x), y)
    pred = framer.predict(make_batch(units, x))
    assert pred.frame.tolist() == y and pred.scores.sum(axis=1) == pytest.approx(np.ones(18))
    with pytest.raises(TypeError, match="UnitBatch"):
        StackedFramer(tiny_frames, np.eye(3), cfg).fit(x, y)


def test_select_grid_options_and_validation() -> None:
    cfg = FrameConfig(method="stacked", select={"stacked.c": [0.5, 2.0], "utterance_aggregate": ["vote", "mean"]})
    assert candidates(cfg) == [{"stacked.c": 0.5, "utterance_aggregate": "vote"}, {"stacked.c": 0.5, "utterance_aggregate": "mean"},
                               {"stacked.c": 2.0, "utterance_aggregate": "vote"}, {"stacked.c": 2.0, "utterance_aggregate": "mean"}]
    c = with_options(cfg, {"stacked.c": 2.0, "utterance_aggregate": "mean"})
    assert c.stacked.c == 2.0 and c.utterance_aggregate == "mean" and cfg.stacked.c == 1.0
    with pytest.raises(ValueError, match="frame.select"):
        FrameConfig(select={"seed": [1, 2]})
    folds = grouped_folds(["a", "a", "b", "b", "a", "b"], ["g1", "g1", "g2", "g3", "g4", "g4"], 2, 0)
    for tr, te in folds:
        assert not {["g1", "g1", "g2", "g3", "g4", "g4"][i] for i in tr} & {["g1", "g1", "g2", "g3", "g4", "g4"][i] for i in te}


def test_select_options_prefers_smoothing_when_utterances_are_homogeneous(tiny_frames) -> None:
    # Each utterance has one clear unit and one ambiguous one of the same frame: smoothing can only help.
    sel = select_on_runs(tiny_frames, 3, 16, 1, "stacked.smoothing", [0.0, 0.75])
    assert sel.options == {"stacked.smoothing": 0.75} and len(sel.inner) == 2
    assert sel.inner[1][1] > sel.inner[0][1]  # unit macro-F1 higher with smoothing


def _tiny_project(tmp: Path) -> dict[str, Path]:
    """Units, hashing embeddings, coder sheets and topics for six utterances."""
    texts = {
        "u1": ["twitter channel tool", "the tool and the channel"], "u2": ["culture of the organisation", "process and culture"],
        "u3": ["thanks a lot", "twitter tool again"], "u4": ["organisation process change", "thank you so much"],
        "u5": ["channel tool twitter", "culture in the organisation"], "u6": ["thanks thanks", "process organisation"],
    }
    gold = {"twitter": "tools", "tool": "tools", "channel": "tools", "culture": "org", "process": "org",
            "organisation": "org", "thank": "other"}
    rows, codes = [], []
    for u, ts in texts.items():
        for i, t in enumerate(ts):
            rows.append({"corpus": "t", "doc_id": "t/d", "utterance_id": f"t/d/{u}", "unit_id": f"t/d/{u}/s{i}",
                         "index": i, "author": None, "text": t, "clean_start": 0, "clean_end": len(t),
                         "raw_start": None, "raw_end": None, "concepts": []})
            codes.append({"unit_id": f"t/d/{u}/s{i}", "text": t, "frame": next(v for k, v in gold.items() if k in t),
                          "coder": "coder1", "note": ""})
    units = pd.DataFrame(rows)
    paths = {k: tmp / f"{k}" for k in ("units.parquet", "emb.parquet", "c1.csv", "c2.csv", "utt.csv", "topics.parquet")}
    write_table(units, UNITS, paths["units.parquet"])
    vecs = HashingEmbedder(EmbedConfig(backend="hashing", hashing_dim=64)).embed(units["text"].tolist())
    write_table(embeddings_frame(units, vecs), EMBEDDINGS, paths["emb.parquet"])
    c1 = pd.DataFrame(codes)
    c1.to_csv(paths["c1.csv"], index=False)
    c2 = c1.iloc[:6].copy().assign(coder="coder2")
    c2.loc[0, "frame"] = "org"
    c2.to_csv(paths["c2.csv"], index=False)
    utt = [{"utterance_id": f"t/d/{u}", "text": " ".join(ts), "frame": f, "coder": "coder1", "note": ""}
           for (u, ts), f in zip(texts.items(), ["tools", "org", "tools", "org", "tools", "org"], strict=True)]
    pd.DataFrame(utt).to_csv(paths["utt.csv"], index=False)
    topics = units[["corpus", "doc_id", "unit_id", "author"]].assign(
        topic=[0, 0, 1, 1, 2, 2, 0, 1, 0, 1, 2, 1], confidence=1.0, outlier=False)
    write_table(topics, UNIT_TOPICS, paths["topics.parquet"])
    return paths


def _run_stage(p: dict[str, Path], params: Path, codebook: Path, out: Path) -> int:
    return stage.main([
        "--units", str(p["units.parquet"]), "--embeddings", str(p["emb.parquet"]), "--codebook", str(codebook),
        "--params", str(params), "--unit-codes", str(p["c1.csv"]), "--utterance-codes", str(p["utt.csv"]),
        "--second-coder", str(p["c2.csv"]), "--unit-topics", str(p["topics.parquet"]),
        "--unit-frames", str(out / "uf.parquet"), "--utterance-frames", str(out / "utf.parquet"),
        "--frame-topics", str(out / "ft.parquet"), "--metrics", str(out / "frames.json"),
        "--confusion-units", str(out / "cu.csv"), "--confusion-utterances", str(out / "cutt.csv"),
        "--problems", str(out / "problems.parquet")])


def test_stage_end_to_end_is_deterministic(tmp_path: Path, fixtures: Path) -> None:
    p = _tiny_project(tmp_path)
    params, cb = fixtures / "frames" / "params.yaml", fixtures / "frames" / "codebook.yaml"
    runs = [tmp_path / "r1", tmp_path / "r2"]
    for r in runs:
        assert _run_stage(p, params, cb, r) == 0
    for name in ("uf.parquet", "utf.parquet", "ft.parquet", "frames.json", "cu.csv", "cutt.csv"):
        assert (runs[0] / name).read_bytes() == (runs[1] / name).read_bytes(), name
    uf = read_table(runs[0] / "uf.parquet", UNIT_FRAMES)
    assert len(uf) == 12 and set(uf["method"]) == {"supervised"} and set(uf["frame"]) <= {"tools", "org", "other"}
    utf = read_table(runs[0] / "utf.parquet", UTTERANCE_FRAMES)
    assert len(utf) == 6 and all(abs(sum(s) - 1) < 1e-9 for s in utf["shares"])
    ft = read_table(runs[0] / "ft.parquet", FRAME_TOPICS)
    assert ft["n_units"].sum() == 12
    m = read_json(runs[0] / "frames.json")
    assert m["method"] == "supervised" and m["unit"]["n"] == 12 and m["utterance"]["n"] == 6
    assert set(m["routes"]) == {"zeroshot", "supervised"} and "ci95" in m["unit"]
    assert m["intercoder"]["n"] == 6 and m["intercoder"]["agreement"] == pytest.approx(5 / 6, abs=1e-4)
    cu = pd.read_csv(runs[0] / "cu.csv")
    assert list(cu.columns) == ["actual", "predicted", "id"] and len(cu) == 12


def test_stage_confusion_csvs_carry_coded_item_ids(tmp_path: Path, fixtures: Path) -> None:
    p = _tiny_project(tmp_path)
    assert _run_stage(p, fixtures / "frames" / "params.yaml", fixtures / "frames" / "codebook.yaml", tmp_path / "r") == 0
    m = read_json(tmp_path / "r" / "frames.json")
    for name, level, codes, key in (("cu.csv", "unit", "c1.csv", "unit_id"), ("cutt.csv", "utterance", "utt.csv",
                                                                             "utterance_id")):
        cm = pd.read_csv(tmp_path / "r" / name, dtype=str)
        gold = pd.read_csv(p[codes], dtype=str)
        assert list(cm.columns) == ["actual", "predicted", "id"] and cm["id"].is_unique
        assert dict(zip(cm["id"], cm["actual"], strict=True)) == dict(zip(gold[key], gold["frame"], strict=True))
        labels = m[level]["confusion"]["labels"]
        counts = [[int(((cm.actual == a) & (cm.predicted == b)).sum()) for b in labels] for a in labels]
        assert counts == m[level]["confusion"]["rows_gold_cols_predicted"], level


def test_stage_zeroshot_route(tmp_path: Path, fixtures: Path) -> None:
    p = _tiny_project(tmp_path)
    params = tmp_path / "params.yaml"
    params.write_text((fixtures / "frames" / "params.yaml").read_text().replace("method: supervised", "method: zeroshot"))
    assert _run_stage(p, params, fixtures / "frames" / "codebook.yaml", tmp_path / "z") == 0
    uf = read_table(tmp_path / "z" / "uf.parquet", UNIT_FRAMES)
    assert set(uf["method"]) == {"zeroshot"} and (uf["score"].between(-1, 1)).all()
    m = read_json(tmp_path / "z" / "frames.json")
    assert m["method"] == "zeroshot" and m["unit"]["macro_f1"] == m["routes"]["zeroshot"]["unit_macro_f1"]


def test_stage_stacked_route_nested_cv(tmp_path: Path, fixtures: Path) -> None:
    p = _tiny_project(tmp_path)
    cb = fixtures / "frames" / "codebook.yaml"
    assert _run_stage(p, fixtures / "frames" / "params_stacked.yaml", cb, tmp_path / "s") == 0
    uf = read_table(tmp_path / "s" / "uf.parquet", UNIT_FRAMES)
    assert len(uf) == 12 and set(uf["method"]) == {"stacked"} and uf["score"].between(0, 1).all()
    m = read_json(tmp_path / "s" / "frames.json")
    assert m["method"] == "stacked" and set(m["routes"]) == {"zeroshot", "supervised", "stacked"}
    assert m["unit"]["n"] == 12 and m["utterance"]["n"] == 6 and "ci95" in m["unit"]
    grid = {"stacked.c": [0.5, 2.0], "stacked.smoothing": [0.0, 0.5], "utterance_aggregate": ["vote", "mean"]}
    assert len(m["cv"]["chosen_per_outer_fold"]) == 2 and m["cv"]["inner_folds"] == 2
    for opts in [*m["cv"]["chosen_per_outer_fold"], m["cv"]["final_options"]]:
        assert all(opts[k] in grid[k] for k in grid)
    again = tmp_path / "s2"
    assert _run_stage(p, fixtures / "frames" / "params_stacked.yaml", cb, again) == 0
    assert (again / "frames.json").read_bytes() == (tmp_path / "s" / "frames.json").read_bytes()


def test_stage_missing_vectors_fails_with_file_name(tmp_path: Path, fixtures: Path) -> None:
    p = _tiny_project(tmp_path)
    emb = read_table(p["emb.parquet"], EMBEDDINGS).iloc[:5]
    write_table(emb, EMBEDDINGS, p["emb.parquet"])
    assert _run_stage(p, fixtures / "frames" / "params.yaml", fixtures / "frames" / "codebook.yaml", tmp_path / "o") == 1


# ---- the real seed coding (data/annotations) -------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
ANN = ROOT / "data" / "annotations"
PROCESSED = ROOT / "data" / "processed"


def _frame_ids() -> list[str]:
    return [f.id for f in load_frames(load_yaml(ROOT / "codebooks" / "social_business.yaml"))]


def test_real_coding_is_valid_and_large_enough() -> None:
    ids = _frame_ids()
    c1 = pd.read_csv(ANN / "frames_units_coder1.csv", dtype=str, keep_default_na=False)
    utt = pd.read_csv(ANN / "frames_utterances_coder1.csv", dtype=str, keep_default_na=False)
    assert len(c1) >= 200 and c1["unit_id"].is_unique and set(c1["frame"]) == set(ids)
    assert set(c1["coder"]) == {"coder1"} and set(utt["coder"]) == {"coder1"} and len(utt) >= 61
    examples = {text_key(t) for f in load_frames(load_yaml(ROOT / "codebooks" / "social_business.yaml"))
                for t in f.examples}
    assert not examples & set(c1["text"].map(text_key))  # codebook examples are never validation items


def test_real_intercoder_agreement_floor() -> None:
    c1 = pd.read_csv(ANN / "frames_units_coder1.csv", dtype=str, keep_default_na=False)
    c2 = pd.read_csv(ANN / "frames_units_coder2.csv", dtype=str, keep_default_na=False)
    both = c1.merge(c2, on="unit_id", suffixes=("_1", "_2"))
    assert len(both) >= 50
    assert cohen_kappa(confusion(both["frame_1"].tolist(), both["frame_2"].tolist(), _frame_ids())) >= 0.80


def test_real_utterance_coding_covers_every_seed_post_and_comment() -> None:
    from tests.seed_stages import seed_tables

    u = seed_tables()["utterances"]
    wanted = set(u.loc[u["kind"] != "pingback", "utterance_id"])
    utt = pd.read_csv(ANN / "frames_utterances_coder1.csv", dtype=str, keep_default_na=False)
    assert wanted <= set(utt["utterance_id"])


def frame_metrics(project: Path) -> dict:
    """metrics/frames.json of the session's seed pipeline run."""
    return json.loads((project / "metrics" / "frames.json").read_text())


def test_real_stage_validation_holds_floors(seed_project: Path) -> None:
    """The frame stage's own validation on the seeds (one nested CV, in the session's pipeline run).

    Measured (this machine; unit / utterance macro-F1): stacked nested CV 0.6475 / 0.6754, supervised
    out-of-fold 0.633 / 0.641, zero-shot 0.564 / 0.656; coder3 vs coder1 kappa 0.887, coder1 test-retest 0.95.
    The issue's target 0.70 is not reached at unit level. Floors sit just below.
    """
    m = frame_metrics(seed_project)
    assert m["method"] == "stacked" and m["coding"]["unit_codes"] == 494 - m["coding"]["excluded_as_codebook_examples"]
    assert len(m["cv"]["chosen_per_outer_fold"]) == m["cv"]["folds"] == 5
    assert m["unit"]["macro_f1"] >= 0.63 and m["utterance"]["macro_f1"] >= 0.65
    routes = m["routes"]
    assert routes["supervised"]["unit_macro_f1"] >= 0.61 and routes["supervised"]["utterance_macro_f1"] >= 0.60
    assert routes["zeroshot"]["unit_macro_f1"] >= 0.54 and routes["zeroshot"]["utterance_macro_f1"] >= 0.62
    assert m["intercoder_independent"]["kappa"] >= 0.87 and m["intercoder"]["kappa"] >= 0.92
