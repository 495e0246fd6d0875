"""Relevance: topic cosines, decisions and reasons, tuning and held-out scoring on hand-computed toys."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.common.config import ConfigError, RelevanceConfig, load_yaml, parse_params
from pipeline.evaluation.relevance import (
    align_labels,
    groups_of,
    join_labels,
    pseudo_threads,
    relevance_report,
    short_thread_report,
    substantive_shares,
)
from pipeline.frames.relevance import (
    Topic,
    apply_relevance,
    decide,
    grid_values,
    group_cosines,
    held_out,
    load_topic,
    passes,
    prf,
    relevance_features,
    topic_prototype,
    tune,
    utterance_relevance,
)

R2 = 1 / math.sqrt(2)

CODEBOOK = {
    "concepts": {"sm": {"forms": ["social media"]}, "crm": {"forms": ["CRM"]}},
    "topic": {"label": "T", "description": "social media at work", "examples": ["a", "b"],
              "evidence_concepts": ["sm"]},
}


def toy_units() -> tuple[pd.DataFrame, np.ndarray]:
    """Two threads: d1 (utterances u1 with two units, u2 with one), d2 (u3 with one unit)."""
    units = pd.DataFrame({
        "corpus": ["c", "c", "c", "c"],
        "doc_id": ["d1", "d1", "d1", "d2"],
        "utterance_id": ["u1", "u1", "u2", "u3"],
        "unit_id": ["u1/s0", "u1/s1", "u2/s0", "u3/s0"],
        "concepts": [["sm"], [], ["crm"], []],
    })
    x = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 0.0], [0.0, 1.0]])
    return units, x


def test_load_topic_and_errors() -> None:
    topic = load_topic(CODEBOOK)
    assert topic == Topic("T", "social media at work", ("a", "b"), ("sm",))
    assert topic.prototype_texts == ["social media at work", "a", "b"]
    with pytest.raises(ConfigError, match="needs a 'description'"):
        load_topic({"topic": {"label": "x"}}, "cb.yaml")
    with pytest.raises(ConfigError, match=r"\['nope'\] are not ids"):
        load_topic({"concepts": {}, "topic": {"description": "d", "evidence_concepts": ["nope"]}})


def test_project_codebook_topic_block_loads(root) -> None:
    topic = load_topic(load_yaml(root / "codebooks" / "social_business.yaml"))
    assert topic.evidence_concepts == ("social_media", "social_crm", "social_business")
    assert len(topic.examples) == 6


def test_topic_prototype_is_unit_mean_of_unit_rows() -> None:
    vecs = {"social media at work": [2.0, 0.0], "a": [0.0, 3.0], "b": [0.0, 0.0]}
    proto = topic_prototype(load_topic(CODEBOOK), lambda texts: np.array([vecs[t] for t in texts]))
    # unit rows (1,0), (0,1), (0,0): mean (1/3, 1/3) -> unit length (1/sqrt2, 1/sqrt2)
    assert np.allclose(proto, [R2, R2])


def test_group_cosines_hand_computed() -> None:
    x = np.array([[1.0, 0.0], [0.0, 5.0], [3.0, 0.0]])
    got = group_cosines(x, ["a", "a", "b"], np.array([1.0, 0.0]))
    assert np.allclose(got, [R2, R2, 1.0])
    assert group_cosines(np.zeros((0, 2)), [], np.array([1.0, 0.0])).shape == (0,)


def test_relevance_features_exact() -> None:
    units, x = toy_units()
    f = relevance_features(units, x, np.array([1.0, 0.0]), load_topic(CODEBOOK))
    assert f.columns.tolist() == ["unit_id", "utterance_id", "doc_id", "unit_cos", "utterance_cos", "thread_cos",
                                  "unit_concepts", "thread_concepts"]
    assert np.allclose(f["unit_cos"], [1.0, 0.0, 1.0, 0.0])
    assert np.allclose(f["utterance_cos"], [R2, R2, 1.0, 0.0])
    # d1: unit rows (1,0), (0,1), (1,0) -> mean (2/3, 1/3) -> cos 2/sqrt5
    assert np.allclose(f["thread_cos"], [2 / math.sqrt(5)] * 3 + [0.0])
    assert f["unit_concepts"].tolist() == [1, 0, 0, 0]  # crm is not an evidence concept
    assert np.allclose(f["thread_concepts"], [1 / 3, 1 / 3, 1 / 3, 0.0])


def test_decide_reasons_and_detail() -> None:
    units, x = toy_units()
    f = relevance_features(units, x, np.array([1.0, 0.0]), load_topic(CODEBOOK))
    cfg = RelevanceConfig(thresholds={"thread": 0.9, "utterance": 0.7, "unit": 0.95})
    d = decide(f, cfg)
    assert d["on_topic"].tolist() == [True, True, True, False]
    assert d["reason"].tolist() == ["utterance", "utterance", "utterance", "off-topic"]
    assert d["detail"].iloc[0] == "thread 0.89<0.90; utterance 0.71>=0.70; unit 1.00>=0.95"
    assert d["detail"].iloc[3] == "thread 0.00<0.90; utterance 0.00<0.70; unit 0.00<0.95"
    d2 = decide(f, RelevanceConfig(thresholds={"unit": 0.95, "unit_concepts": 1}))
    assert d2["reason"].tolist() == ["unit", "off-topic", "unit", "off-topic"]
    assert passes(f, {"unit_concepts": 1, "thread": 0.8}).columns.tolist() == ["thread", "unit_concepts"]


def test_utterance_relevance_any_unit() -> None:
    d = pd.DataFrame({"unit_id": ["a", "b", "c", "d"], "utterance_id": ["u1", "u1", "u2", "u3"],
                      "on_topic": [False, True, False, True], "reason": ["off-topic", "unit", "off-topic", "thread"]})
    u = utterance_relevance(d)
    assert u.to_dict("records") == [
        {"utterance_id": "u1", "on_topic": True, "n_units": 2, "n_on_topic": 1, "reason": "unit"},
        {"utterance_id": "u2", "on_topic": False, "n_units": 1, "n_on_topic": 0, "reason": "off-topic"},
        {"utterance_id": "u3", "on_topic": True, "n_units": 1, "n_on_topic": 1, "reason": "thread"},
    ]


def test_apply_relevance_sets_residual_and_keeps_model_frame() -> None:
    frames = pd.DataFrame({"utterance_id": ["u1", "u1"], "unit_id": ["a", "b"], "frame": ["m", "o"],
                           "score": [0.6, 0.7], "scores": [np.array([0.6, 0.1, 0.3]), np.array([0.1, 0.7, 0.2])]})
    d = pd.DataFrame({"unit_id": ["a", "b"], "on_topic": [False, True], "reason": ["off-topic", "unit"]})
    out = apply_relevance(frames, d, "other", ["m", "o", "other"])
    assert out["frame"].tolist() == ["other", "o"]
    assert out["model_frame"].tolist() == ["m", "o"]
    assert out["relevance_reason"].tolist() == ["off-topic", "unit"]
    assert out["score"].tolist() == [1.0, 0.7]
    assert out["scores"].iloc[0].tolist() == [0.0, 0.0, 1.0]
    assert out["scores"].iloc[1].tolist() == [0.1, 0.7, 0.2]
    with pytest.raises(ValueError, match="no relevance decision for 1 units"):
        apply_relevance(frames, d.iloc[:1], "other")


def test_prf_and_grid() -> None:
    r = prf(np.array([1, 1, 0, 0, 1]), np.array([1, 0, 1, 0, 1]))
    assert r == {"precision": 0.6667, "recall": 0.6667, "f1": 0.6667, "tp": 2, "fp": 1, "fn": 1, "tn": 1}
    assert prf(np.array([0]), np.array([0]))["f1"] == 0.0
    assert grid_values(0.2, 0.3, 0.05).tolist() == [0.2, 0.25, 0.3]


def test_tune_takes_the_middle_of_the_tied_plateau() -> None:
    # positives at unit_cos 0.6, 0.7; negatives at 0.2, 0.3: any threshold in (0.3, 0.6] is perfect
    f = pd.DataFrame({"unit_cos": [0.6, 0.7, 0.2, 0.3]})
    cfg = RelevanceConfig(thresholds={"unit": 0.5}, cosine_grid=(0.0, 1.0, 0.1))
    th, f1 = tune(f, np.array([True, True, False, False]), cfg)
    assert f1 == 1.0
    assert th == {"unit": 0.5}  # ties 0.4, 0.5, 0.6 -> median 0.5


def test_tune_two_levels_exact() -> None:
    # thread separates all but one positive, which only its unit score reaches
    f = pd.DataFrame({"thread_cos": [0.8, 0.8, 0.2, 0.2, 0.2], "unit_cos": [0.1, 0.1, 0.9, 0.3, 0.1]})
    y = np.array([True, True, True, False, False])
    cfg = RelevanceConfig(thresholds={"thread": 0.5, "unit": 0.5}, cosine_grid=(0.0, 1.0, 0.1))
    th, f1 = tune(f, y, cfg)
    assert f1 == 1.0
    # perfect: thread in (0.2, 0.8] and unit in (0.3, 0.9] -> ties thread 0.3..0.8 (median 0.55), unit 0.4..0.9 (0.65)
    assert list(th) == ["thread", "unit"]
    assert th == {"thread": 0.5, "unit": 0.6}


def test_held_out_retunes_without_the_group() -> None:
    f = pd.DataFrame({"unit_cos": [0.9, 0.7, 0.5, 0.1]})
    y = pd.Series([True, True, False, False], dtype=object)
    groups = np.array(["g1", "g2", "g3", "g3"])
    cfg = RelevanceConfig(thresholds={"unit": 0.5}, cosine_grid=(0.0, 1.0, 0.1))
    on, chosen = held_out(f, y, groups, cfg)
    # g1 out: ties 0.6, 0.7 -> 0.6 (nearest the median 0.65, first in grid order); g2 out: 0.6..0.9 -> 0.7;
    # g3 out: only positives left, every threshold up to 0.7 is perfect -> 0.3 (0.0..0.7 nearest 0.35)
    assert chosen == {"g1": {"unit": 0.6}, "g2": {"unit": 0.7}, "g3": {"unit": 0.3}}
    assert on.tolist() == [True, True, True, False]


def test_config_rejects_unknown_level(root) -> None:
    raw = load_yaml(root / "params.yaml")
    raw["relevance"]["thresholds"] = {"paragraph": 0.3}
    with pytest.raises(ConfigError, match="relevance.thresholds"):
        parse_params(raw)


def test_eval_helpers_on_a_toy() -> None:
    units = pd.DataFrame({"corpus": ["seeds", "seeds", "x", "x", "y"], "doc_id": ["s/a", "s/b", "x/1", "x/1", "y/1"],
                          "utterance_id": ["s/a/1", "s/b/1", "x/1/1", "x/1/2", "y/1/1"],
                          "unit_id": ["s/a/1/s0", "s/b/1/s0", "x/1/1/s0", "x/1/2/s0", "y/1/1/s0"]})
    groups = groups_of(units, {"seeds"})
    assert groups.tolist() == ["s/a", "s/b", "x", "x", "y"]
    feats = units[["unit_id", "utterance_id", "doc_id"]].assign(unit_cos=[0.8, 0.6, 0.7, 0.1, 0.2])
    labels = pd.DataFrame({"unit_id": ["s/a/1/s0", "s/b/1/s0", "x/1/1/s0", "y/1/1/s0"],
                           "label": ["on_topic", "on_topic", "off_topic", "off_topic"],
                           "kind": ["topical", "topical", "off_topic", "off_topic"], "borderline": ["no", "no", "yes", "no"]})
    table = join_labels(feats, labels)
    assert table["y"].tolist()[:3] == [True, True, False] and pd.isna(table["y"].iloc[3])
    cfg = RelevanceConfig(thresholds={"unit": 0.5}, cosine_grid=(0.0, 1.0, 0.1))
    rep, on_held, on_fit = relevance_report(table, units["corpus"].to_numpy(), groups, cfg)
    # no threshold separates (on 0.6 < off 0.7): best F1 0.8 (tp 2, fp 1) at 0.3..0.6 -> 0.4 (0.4 and 0.5 tie
    # around the median 0.45; the first in grid order wins)
    assert rep["fit"]["f1"] == 0.8 and rep["fit_thresholds"] == {"unit": 0.4}
    assert rep["held_out_clear_only"]["tp"] + rep["held_out_clear_only"]["fn"] == 2
    assert on_fit.tolist() == [True, True, True, False, False]
    assert rep["per_corpus"]["x"]["false_positive_rate_fit"] == 1.0
    frames = pd.DataFrame({"utterance_id": units["utterance_id"], "frame": ["m", "o", "m", "m", "other"]})
    shares = substantive_shares(frames, units["corpus"].to_numpy(), {"fit": on_fit}, "other")
    assert shares["x"] == {"units": 2, "utterances": 2, "unit_before": 1.0, "unit_fit": 0.5,
                           "utterance_before": 1.0, "utterance_fit": 0.5}
    with pytest.raises(ValueError, match="relevance labels must be"):
        join_labels(feats, labels.assign(label="maybe"))


def test_labelled_sample_is_well_formed(root) -> None:
    lab = pd.read_csv(root / "data" / "annotations" / "relevance_coder1.csv", dtype=str, keep_default_na=False)
    assert lab.columns.tolist() == ["unit_id", "corpus", "doc_id", "utterance_id", "source", "sample", "text",
                                    "text_key_sha256", "label", "kind", "borderline", "note", "coder"]
    assert lab["unit_id"].is_unique
    real = lab["corpus"] != "seeds"  # ../shared/real is never copied into the repo: its units by key only
    assert (lab.loc[real, "text"] == "").all() and lab.loc[real, "text_key_sha256"].str.fullmatch("[0-9a-f]{64}").all()
    assert (lab.loc[~real, "text"] != "").all() and (lab.loc[~real, "text_key_sha256"] == "").all()
    assert set(lab["label"]) == {"on_topic", "off_topic"}
    assert lab.groupby("label").size().to_dict() == {"off_topic": 352, "on_topic": 505}
    assert (lab.loc[lab["corpus"] == "seeds", "label"] == "on_topic").all()
    assert lab.loc[lab["corpus"] != "seeds"].groupby("label").size().to_dict() == {"off_topic": 352, "on_topic": 11}


def test_labels_realign_by_id_then_by_text_key() -> None:
    from pipeline.evaluation.relevance import align_labels, label_key

    units = pd.DataFrame({"unit_id": ["c/d/u1/s0", "c/d/u1/s1", "c/e/u2/s0"],
                          "text": ["Social media, marketing!", "thanks", "thanks"]})
    labels = pd.DataFrame({"unit_id": ["old/id", "c/d/u1/s1", "gone"], "text": ["", "thanks", "never seen"],
                           "text_key_sha256": [label_key("social media marketing"), "", ""],
                           "label": ["on_topic", "on_topic", "off_topic"], "kind": ["topical", "no_claim", "off_topic"]})
    out, lost = align_labels(labels, units)
    assert lost == 1 and out.to_dict("records") == [
        {"unit_id": "c/d/u1/s0", "label": "on_topic", "kind": "topical", "text": "Social media, marketing!"},
        {"unit_id": "c/d/u1/s1", "label": "on_topic", "kind": "no_claim", "text": "thanks"}]


def test_pseudo_threads_and_short_thread_report() -> None:
    units = pd.DataFrame({"doc_id": ["d", "d", "d", "d", "e"], "utterance_id": ["d/c2", "d/c1", "d/c1", "d/c3", "e/p"]})
    cut = pseudo_threads(units, 2)
    assert cut["doc_id"].tolist() == ["d#0", "d#0", "d#0", "d#1", "e#0"]  # c1, c2 | c3 (utterance-id order)
    table = pd.DataFrame({"unit_cos": [0.9, 0.2, 0.6, 0.1], "y": pd.Series([True, True, False, False], dtype=object),
                          "kind": ["topical", "no_claim", "off_topic", "off_topic"]})
    corpus = np.array(["s", "s", "x", "x"])
    rep = short_thread_report(table, corpus, np.array(["a", "a", "x", "x"]), {"a": {"unit": 0.5}, "x": {"unit": 0.5}})
    assert rep["s"] == {"recall": 0.5, "recall_topical": 1.0, "false_positive_rate": None}
    assert rep["x"] == {"recall": None, "recall_topical": None, "false_positive_rate": 0.5}
    assert rep["all"]["tp"] == 1 and rep["all"]["fp"] == 1


@pytest.mark.real
@pytest.mark.slow
def test_reddit_thread_off_topic_and_seeds_on_topic_real(real_dir, tmp_path) -> None:
    """The Reddit polls thread and the seeds through ingest..segment, MiniLM and the params thresholds."""
    import shutil

    from pipeline.common.concepts import load_forms
    from pipeline.common.config import CorpusConfig, load_params
    from pipeline.common.embedders import make_embedder
    from pipeline.ingest.reading import read_corpora
    from pipeline.prepare.attribution import attribute
    from pipeline.prepare.cleaning import clean_utterances
    from pipeline.prepare.partitioned import decode_sources, read_source_bytes
    from pipeline.prepare.segmentation import segment
    from tests.seed_stages import CODEBOOK, PARAMS, seed_tables

    (tmp_path / "data" / "raw" / "reddit").mkdir(parents=True)
    shutil.copy(real_dir / "threads" / "reddit_json" / "fo7p5b_introducing-reddit-polls.json",
                tmp_path / "data" / "raw" / "reddit")
    params = load_params(PARAMS)
    corpus = CorpusConfig(name="reddit", path="data/raw/reddit", format="reddit_json")
    ingested = read_corpora((corpus,), params.ingest, tmp_path)
    cleaned = clean_utterances(ingested["utterances"], params.clean, progress=False)
    attributed, _ = attribute(cleaned.utterances, ingested["documents"], params.attribute, params.clean)
    codebook = load_yaml(CODEBOOK)
    forms = load_forms(codebook["concepts"], str(CODEBOOK))
    reddit, _, _ = segment(attributed, decode_sources(read_source_bytes(set(attributed.source_file), tmp_path)), forms, params.segment,
                           progress=False)
    units = pd.concat([seed_tables()["units"], reddit], ignore_index=True)
    embedder = make_embedder(params.embed)
    topic = load_topic(codebook, str(CODEBOOK))
    feats = relevance_features(units, embedder.embed(units["text"].tolist()), topic_prototype(topic, embedder.embed), topic)
    dec = decide(feats, params.relevance)
    is_seed = units["corpus"].eq("seeds").to_numpy()
    assert len(reddit) == 924
    assert dec["on_topic"][is_seed].all()  # measured: 494 of 494, every seed thread cosine >= 0.63
    assert feats["thread_cos"][is_seed].min() > 0.6
    assert feats["thread_cos"][~is_seed].max() < 0.4  # measured 0.31
    assert dec["on_topic"][~is_seed].sum() <= 3  # measured 1 of 924 (an advertisers remark, utterance level)


def _relevance_project(tmp) -> dict[str, str]:
    """A debate corpus `s` (two threads) and two off-topic corpora, hashing vectors, codes and relevance labels."""
    from pipeline.common.config import EmbedConfig
    from pipeline.common.embedders import HashingEmbedder
    from pipeline.common.schema import EMBEDDINGS, UNITS
    from pipeline.common.storage import write_table
    from pipeline.embed.embedding import embeddings_frame

    threads = {("s", "s/a", "u1"): ["social media marketing", "thanks a lot"],
               ("s", "s/b", "u2"): ["customers and organisation", "social media for customers"],
               ("x", "x/1", "u3"): ["chocolate cake recipe", "bake it slowly"],
               ("x", "x/1", "u4"): ["the cake is sweet"], ("y", "y/1", "u5"): ["minecraft update news"]}
    rows = [{"corpus": c, "doc_id": d, "utterance_id": f"{d}/{u}", "unit_id": f"{d}/{u}/s{i}", "index": i,
             "author": None, "text": t, "clean_start": 0, "clean_end": len(t), "raw_start": None, "raw_end": None,
             "concepts": ["sm"] if "social media" in t else []}
            for (c, d, u), ts in threads.items() for i, t in enumerate(ts)]
    units = pd.DataFrame(rows)
    paths = {k: str(tmp / k) for k in ("units.parquet", "emb.parquet", "c1.csv", "utt.csv", "labels.csv", "out.json")}
    write_table(units, UNITS, paths["units.parquet"])
    vecs = HashingEmbedder(EmbedConfig(backend="hashing", hashing_dim=64)).embed(units["text"].tolist())
    write_table(embeddings_frame(units, vecs), EMBEDDINGS, paths["emb.parquet"])
    pd.DataFrame({"unit_id": units["unit_id"], "text": units["text"], "frame": "other", "coder": "coder1",
                  "note": ""}).to_csv(paths["c1.csv"], index=False)
    pd.DataFrame(columns=["utterance_id", "text", "frame", "coder", "note"]).to_csv(paths["utt.csv"], index=False)
    on = units["corpus"].eq("s")
    pd.DataFrame({"unit_id": units["unit_id"], "text": units["text"], "label": np.where(on, "on_topic", "off_topic"),
                  "kind": np.where(on, "topical", "off_topic"), "borderline": "no"}).to_csv(paths["labels.csv"], index=False)
    return paths


def test_eval_relevance_cli(tmp_path, fixtures) -> None:
    from pipeline.common.storage import read_json
    from pipeline.evaluation.relevance_cli import main

    p = _relevance_project(tmp_path)
    fx = fixtures / "relevance"
    base = ["--units", p["units.parquet"], "--embeddings", p["emb.parquet"], "--codebook", str(fx / "codebook.yaml"),
            "--params", str(fx / "params.yaml"), "--unit-codes", p["c1.csv"], "--utterance-codes", p["utt.csv"],
            "--document-groups", "s"]
    assert main([*base, "--labels", p["labels.csv"], "--short-threads", "1", "--out", p["out.json"]]) == 0
    out = read_json(p["out.json"])
    rel = out["relevance"]
    assert rel["levels"] == ["thread", "unit"]
    assert sorted(rel["held_out_thresholds"]) == ["s/a", "s/b", "x", "y"]
    assert rel["fit"]["tp"] + rel["fit"]["fn"] == 4 and rel["fit"]["fp"] + rel["fit"]["tn"] == 4
    assert rel["fit"]["f1"] == 1.0  # the debate threads share the topic's words, the others share none
    assert rel["per_corpus"]["x"]["false_positive_rate_fit"] == 0.0
    assert set(out["short_threads_1"]) == {"all", "s", "x", "y"}
    assert out["labels_unaligned"] == 0
    bad = tmp_path / "bad.csv"
    pd.read_csv(p["labels.csv"]).assign(label="maybe").to_csv(bad, index=False)
    assert main([*base, "--labels", str(bad)]) == 1


def test_align_labels_rekeys_by_text() -> None:
    units = pd.DataFrame({"unit_id": ["c/d/u1/s0", "c/d/u2/s0"], "utterance_id": ["c/d/u1", "c/d/u2"],
                          "text": ["Polls are market research.", "Nice duck."]})
    labels = pd.DataFrame({"unit_id": ["c/d/post/s7", "c/d/u2/s0", "c/d/gone/s0"],
                           "text": ["Polls are market research.", "Nice duck.", "Not in the corpus any more."],
                           "label": ["on_topic", "off_topic", "off_topic"], "kind": ["topical", "off_topic", "off_topic"],
                           "borderline": ["yes", "no", "no"]})
    out, lost = align_labels(labels, units)
    assert lost == 1
    assert out.sort_values("unit_id")[["unit_id", "label", "kind", "borderline"]].values.tolist() == [
        ["c/d/u1/s0", "on_topic", "topical", "yes"], ["c/d/u2/s0", "off_topic", "off_topic", "no"]]


def test_frame_stage_gives_off_topic_units_the_residual_frame_with_the_reason(tmp_path, fixtures) -> None:
    """The frame stage with relevance on: the two off-topic corpora's units are `other`, the reason kept."""
    import yaml

    from pipeline.common.schema import UNIT_FRAMES, UTTERANCE_FRAMES
    from pipeline.common.storage import read_json, read_table
    from pipeline.frames.frame_cli import main

    p = _relevance_project(tmp_path)
    fx = fixtures / "relevance"
    params = yaml.safe_load((fx / "params.yaml").read_text())
    params["relevance"]["enabled"] = True
    params["frame"]["method"] = "zeroshot"  # the fixture codes every unit `other`: nothing to train on
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    out = tmp_path / "out"
    assert main(["--units", p["units.parquet"], "--embeddings", p["emb.parquet"], "--codebook", str(fx / "codebook.yaml"),
                 "--params", str(tmp_path / "params.yaml"), "--unit-codes", p["c1.csv"], "--utterance-codes", p["utt.csv"],
                 "--unit-frames", str(out / "uf.parquet"), "--utterance-frames", str(out / "utf.parquet"),
                 "--frame-topics", str(out / "ft.parquet"), "--metrics", str(out / "m.json"), "--confusion-units",
                 str(out / "cu.csv"), "--confusion-utterances", str(out / "cut.csv"), "--problems",
                 str(out / "p.parquet")]) == 0
    uf = read_table(out / "uf.parquet", UNIT_FRAMES).set_index("unit_id")
    off = uf[uf.index.str.startswith(("x/", "y/"))]
    assert len(off) == 4 and not off["on_topic"].any() and set(off["frame"]) == {"other"}
    assert set(off["relevance"]) == {"off-topic"}
    on = uf[uf.index.str.startswith("s/")]
    assert on["on_topic"].all() and set(on["relevance"]) <= {"thread", "unit"}
    assert (uf["model_frame"].notna()).all()
    utf = read_table(out / "utf.parquet", UTTERANCE_FRAMES).set_index("utterance_id")
    assert utf.loc["x/1/u3", "on_topic"] is False or not utf.loc["x/1/u3", "on_topic"]
    assert utf.loc["s/a/u1", "on_topic"]
    m = read_json(out / "m.json")["relevance"]
    assert m["per_corpus"] == {"s": {"units": 4, "off_topic": 0, "off_topic_share": 0.0},
                               "x": {"units": 3, "off_topic": 3, "off_topic_share": 1.0},
                               "y": {"units": 1, "off_topic": 1, "off_topic_share": 1.0}}
