"""Clustering: exact small cases for the pure core, blob recovery, the consensus stage's determinism and its runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from pipeline.common.config import ClusterConfig
from pipeline.common.schema import (
    EMBEDDINGS,
    TOPIC_HIERARCHY,
    TOPIC_SHARES,
    TOPICS,
    UNIT_TOPICS,
    UNITS,
)
from pipeline.common.storage import read_json, read_table, write_table
from pipeline.topics.clustering import (
    ThresholdAgglomerative,
    cluster_labels,
    hierarchy_frame,
    min_cluster_size_for,
    reassign_outliers,
    relabel,
    representatives,
    shares_frame,
    units_with_vectors,
)
from pipeline.topics.consensus import runs_agreement

VOCAB = (
    ("crm", "customer", "sales", "pipeline", "lead"),
    ("culture", "employee", "collaboration", "intranet", "silo"),
    ("roi", "metric", "measure", "dashboard", "kpi"),
)


def blobs(n_per: int = 40, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Three well-separated Gaussian blobs, each with its own five-word vocabulary."""
    rng = np.random.default_rng(seed)
    centers = np.eye(dim)[:3] * 10
    X = np.concatenate([c + rng.normal(0, 0.5, (n_per, dim)) for c in centers]).astype(np.float32)
    y = np.repeat(np.arange(3), n_per)
    texts = [" ".join(rng.choice(VOCAB[k], 4)) for k in y]
    return X, y, texts


def test_relabel_and_min_size():
    assert relabel(np.array([5, 5, 7, -1, 9, 9, 9]), 2).tolist() == [0, 0, -1, -1, 1, 1, 1]
    cfg = ClusterConfig(min_cluster_size=10, min_cluster_share=0.005)
    assert [min_cluster_size_for(cfg, n) for n in (500, 2000, 2001, 10_000)] == [10, 10, 11, 50]


def test_threshold_agglomerative_exact():
    X = np.array([[1, 0], [0.99, 0.1], [0, 1], [0.1, 0.99], [-1, 0.05]], dtype=float)
    m = ThresholdAgglomerative("average", 0.2, 2).fit(X)
    assert m.labels_.tolist() == [0, 0, 1, 1, -1]
    assert m.predict(np.array([[0.2, 1.0], [1.0, -0.1]])).tolist() == [1, 0]


def test_reassign_outliers_exact():
    X = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1], [0.9, 0.2], [-1, -1]], dtype=float)
    labels = np.array([0, 0, 1, 1, -1, -1])
    assert reassign_outliers(X, labels, 0.0).tolist() == [0, 0, 1, 1, 0, -1]  # last: all sims < 0
    assert reassign_outliers(X, labels, 0.999).tolist() == [0, 0, 1, 1, -1, -1]


def test_representatives_closest_to_centroid():
    X = np.array([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1]], dtype=float)
    topics = np.array([0, 0, 0, 1])
    assert representatives(X, topics, 0, 2) == [1, 2]  # the middle points are nearest the mean direction
    assert representatives(X, topics, -1, 2) == []


def test_shares_exact():
    ut = pd.DataFrame({"corpus": ["c"] * 5, "doc_id": ["d1", "d1", "d1", "d2", "d2"],
                       "unit_id": list("abcde"), "author": ["A", "A", None, "B", "A"],
                       "topic": [0, 1, 0, -1, 0], "confidence": [1.0] * 5, "outlier": [False] * 5})
    s = shares_frame(ut)
    doc = s[s.level == "document"].set_index(["key", "topic"])["share"].to_dict()
    assert doc == {("d1", 0): pytest.approx(2 / 3), ("d1", 1): pytest.approx(1 / 3), ("d2", -1): 0.5, ("d2", 0): 0.5}
    part = s[s.level == "participant"].set_index(["key", "topic"])["n_units"].to_dict()
    assert part == {("A", 0): 2, ("A", 1): 1, ("B", -1): 1}  # the unit with unknown author is left out


def test_hierarchy_frame_mapping():
    raw = pd.DataFrame({"Parent_ID": ["4", "3"], "Parent_Name": ["p4", "p3"], "Topics": [[0, 1, 2], [0, 1]],
                        "Child_Left_ID": ["2", "0"], "Child_Left_Name": ["c2", "c0"], "Child_Right_ID": ["3", "1"],
                        "Child_Right_Name": ["c3", "c1"], "Distance": [0.9, 0.4]})
    h = hierarchy_frame(raw)
    assert h["parent_id"].tolist() == [3, 4] and h["topics"].tolist() == [[0, 1], [0, 1, 2]]
    assert hierarchy_frame(pd.DataFrame()).empty


def test_runs_agreement_exact():
    labels = np.array([[0, 0, 1, 1], [1, 1, 0, 0], [0, 0, 0, -1]])
    r = runs_agreement(labels, np.ones(4), np.array([0, 0, 1, 1]), [1, 2, 3])
    assert r["pairs"][0] == {"seeds": [1, 2], "ari": 1.0, "ari_clustered": 1.0}
    assert r["ari_min"] == 0.0 and r["n_topics"] == {"1": 2, "2": 2, "3": 1}
    assert r["outlier_share"]["3"] == 0.25 and r["ari_vs_consensus"]["2"] == 1.0 and r["seeds"] == [1, 2, 3]
    doubled = runs_agreement(labels, np.array([2.0, 1, 1, 1]), np.array([0, 0, 1, 1]), [1, 2, 3])
    assert doubled["outlier_share"]["3"] == 0.2  # weights count units behind a distinct text


@pytest.mark.parametrize("method", [pytest.param("hdbscan", marks=pytest.mark.slow), "agglomerative"])
def test_blobs_recovered(method):
    X, y, _ = blobs()
    # eom: leaf selection (the seed-corpus default) splits a homogeneous blob into its leaves.
    cfg = ClusterConfig(method=method, min_cluster_size=10, cluster_selection_method="eom")
    labels = cluster_labels(X, cfg, 42)
    assert adjusted_rand_score(y, labels) == 1.0
    assert cluster_labels(X[:2], cfg, 42).tolist() == [-1, -1]


def write_inputs(tmp_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """units.parquet, embeddings.parquet and params.yaml for the blob corpus (2 documents, 3 authors)."""
    X, y, texts = blobs()
    n = len(texts)
    units = pd.DataFrame({
        "corpus": "blobs", "doc_id": [f"blobs/d{i % 2}" for i in range(n)],
        "utterance_id": [f"blobs/d{i % 2}/u{i}" for i in range(n)], "unit_id": [f"blobs/d{i % 2}/u{i}/s0" for i in range(n)],
        "index": 0, "author": [["Ann", "Bob", None][i % 3] for i in range(n)], "text": texts,
        "clean_start": 0, "clean_end": [len(t) for t in texts], "raw_start": None, "raw_end": None,
        "concepts": [[] for _ in range(n)],
    })
    write_table(units, UNITS, tmp_path / "units.parquet")
    emb = pd.DataFrame({"corpus": "blobs", "unit_id": units["unit_id"], "text_sha256": "x", "vector": list(X)})
    write_table(emb, EMBEDDINGS, tmp_path / "embeddings.parquet")
    (tmp_path / "params.yaml").write_text("corpora: []\nembed:\n  backend: hashing\ncluster:\n  min_cluster_size: 10\n"
                                          "  cluster_selection_method: eom\n"
                                          "  consensus: {runs: 3}\n", encoding="utf-8")
    return X, y


def run_cluster(tmp_path: Path, out: Path) -> int:
    from pipeline.topics.cluster_cli import main

    return main(["--units", str(tmp_path / "units.parquet"), "--embeddings", str(tmp_path / "embeddings.parquet"),
                 "--params", str(tmp_path / "params.yaml"), "--unit-topics", str(out / "unit_topics.parquet"),
                 "--topics", str(out / "topics.parquet"), "--hierarchy", str(out / "hierarchy.parquet"),
                 "--shares", str(out / "shares.parquet"), "--figures-dir", str(out / "figures"),
                 "--model-dir", str(out / "models" / "bertopic"), "--problems", str(out / "problems.parquet"),
                 "--metrics", str(out / "cluster.json"), "--runs-metrics", str(out / "runs.json")])


@pytest.mark.slow
def test_cluster_stage_blobs_deterministic(tmp_path):
    X, y = write_inputs(tmp_path)
    assert run_cluster(tmp_path, tmp_path / "run1") == 0
    assert run_cluster(tmp_path, tmp_path / "run2") == 0
    for name, table in (("unit_topics", UNIT_TOPICS), ("topics", TOPICS), ("hierarchy", TOPIC_HIERARCHY),
                        ("shares", TOPIC_SHARES)):
        pd.testing.assert_frame_equal(read_table(tmp_path / "run1" / f"{name}.parquet", table),
                                      read_table(tmp_path / "run2" / f"{name}.parquet", table))
    out = tmp_path / "run1"
    ut = read_table(out / "unit_topics.parquet", UNIT_TOPICS)
    assert adjusted_rand_score(y, ut["topic"]) == 1.0 and not ut["outlier"].any()
    topics = read_table(out / "topics.parquet", TOPICS)
    assert topics["size"].tolist() == [40, 40, 40]
    for _, t in topics.iterrows():  # each topic's keywords are exactly its blob's vocabulary
        blob = y[ut.index[ut["topic"] == t["topic"]][0]]
        assert set(t["keywords"][:5]) == set(VOCAB[blob])
        assert len(t["representative_unit_ids"]) == 3
        assert set(ut.set_index("unit_id").loc[t["representative_unit_ids"], "topic"]) == {t["topic"]}
    h = read_table(out / "hierarchy.parquet", TOPIC_HIERARCHY)
    assert len(h) == 2 and sorted(h.iloc[-1]["topics"]) == [0, 1, 2]
    shares = read_table(out / "shares.parquet", TOPIC_SHARES)
    assert set(shares[shares.level == "participant"]["key"]) == {"Ann", "Bob"}
    np.testing.assert_allclose(shares.groupby(["level", "key"])["share"].sum(), 1.0)
    m = read_json(out / "cluster.json")
    assert read_table(out / "problems.parquet").empty
    assert (m["n_topics"], m["outlier_share"], m["figures"]) == (3, 0.0, ["topics_barchart", "topics_hierarchy", "topics_map"])
    assert m["runs"] == 3 and m["runs_n_topics"] == {"min": 3, "median": 3, "max": 3} and m["confident_share"] == 1.0
    assert topics["stability"].tolist() == [1.0, 1.0, 1.0] and topics["stable"].all()
    assert (ut["confidence"] == 1.0).all()
    runs = read_json(out / "runs.json")
    assert (runs["ari_mean"], runs["seeds"], len(runs["pairs"])) == (1.0, [42, 43, 44], 3)
    assert json.loads((out / "figures" / "topics_barchart.json").read_text())["data"]
    saved = {p.name for p in (out / "models" / "bertopic").iterdir()}
    assert {"topics.json", "topic_embeddings.safetensors", "ctfidf.safetensors", "config.json"} <= saved


def test_align_records_units_without_embedding(tmp_path):
    write_inputs(tmp_path)
    units = read_table(tmp_path / "units.parquet", UNITS)
    emb = read_table(tmp_path / "embeddings.parquet", EMBEDDINGS).iloc[1:].iloc[::-1]  # one missing, order shuffled
    kept, X, problems = units_with_vectors(units, emb, tmp_path / "embeddings.parquet")
    assert kept["unit_id"].tolist() == units["unit_id"].tolist()[1:]
    np.testing.assert_array_equal(X[0], np.stack(emb.set_index("unit_id").loc[kept["unit_id"].iloc[0], "vector"]))
    assert problems[["location", "stage", "reason"]].values.tolist() == [["blobs/d0/u0/s0", "cluster", "missing-embedding"]]
    assert "embeddings.parquet" in problems["detail"].iloc[0]


def test_cluster_stage_too_few_units(tmp_path, capsys):
    write_inputs(tmp_path)
    units = read_table(tmp_path / "units.parquet", UNITS).iloc[:5]
    write_table(units, UNITS, tmp_path / "units.parquet")
    assert run_cluster(tmp_path, tmp_path / "out") == 1
    assert "units.parquet has 5 units, too few" in capsys.readouterr().err


@pytest.mark.slow
def test_consensus_fits_a_sample_and_assigns_every_unit():
    from pipeline.common.config import ConsensusConfig
    from pipeline.topics.consensus import consensus_topics

    X, y, _ = blobs()
    cfg = ClusterConfig(min_cluster_size=10, cluster_selection_method="eom",
                        consensus=ConsensusConfig(runs=3, fit_sample=60))
    res = consensus_topics(X, np.ones(len(X)), cfg, cfg.consensus)
    assert res.fitted.sum() == 60 and len(res.topics) == 120 and adjusted_rand_score(y, res.topics) == 1.0
