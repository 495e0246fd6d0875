"""Consensus topics: tiny fixtures with known answers (pure combination steps, then UMAP+HDBSCAN on blobs)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.common.config import ClusterConfig, ConsensusConfig
from pipeline.topics.clustering import OUTLIER
from pipeline.topics.consensus import (
    assign_rest,
    canonical_ids,
    combine,
    compare,
    consensus_topics,
    match_to,
    membership_confidence,
    stability_and_confidence,
)
from pipeline.topics.linkage import atoms, average_linkage_cut, consensus_partition
from pipeline.topics.runs import cosine_knn, distinct_by_text, epochs_for, merge_near_duplicates


def test_atoms_group_identical_label_vectors_in_first_member_order():
    labels = np.array([[1, 0, 1, -1, 0],
                       [2, 5, 2, 5, 5]])
    sig, atom = atoms(labels)
    assert atom.tolist() == [0, 1, 0, 2, 1]
    assert sig.tolist() == [[1, 2], [0, 5], [-1, 5]]


def test_average_linkage_cut_merges_while_mean_distance_within_threshold():
    # a-b 0.1, c joins {a,b} at mean (0.3 + 0.5) / 2 = 0.4 with equal weights, at (3*0.3 + 0.5) / 4 = 0.35 with a heavy
    D = np.array([[0.0, 0.1, 0.3], [0.1, 0.0, 0.5], [0.3, 0.5, 0.0]])
    assert average_linkage_cut(D, np.ones(3), 0.38).tolist() == [0, 0, 2]
    assert average_linkage_cut(D, np.array([3.0, 1.0, 1.0]), 0.38).tolist() == [0, 0, 0]
    assert average_linkage_cut(D, np.ones(3), 0.05).tolist() == [0, 1, 2]


def test_atom_linkage_equals_average_linkage_over_units():
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    rng = np.random.default_rng(3)
    R, n = 9, 40
    base = rng.integers(0, 4, n)
    labels = np.array([np.where(rng.random(n) < 0.25, rng.integers(-1, 4, n), base) for _ in range(R)])
    counts = rng.integers(1, 4, n)
    units = np.repeat(np.arange(n), counts)
    L = labels[:, units]
    C = sum(((lab[:, None] == lab[None, :]) & (lab[:, None] != OUTLIER)).astype(float) for lab in L)
    D = 1.0 - C / R
    np.fill_diagonal(D, 0.0)
    tau = 0.55
    ref = fcluster(linkage(squareform(D, checks=False), "average"), t=1 - tau, criterion="distance")
    got = consensus_partition(labels, counts, tau, min_size=1)[units]
    clustered = got != OUTLIER
    # units that never reach tau with anything are singletons in the reference, outliers here
    sizes = np.bincount(ref)[ref]
    assert (clustered == (sizes > 1) | (np.diag(C)[np.arange(len(units))] / R >= tau)).all()
    pairs_ref = ref[:, None] == ref[None, :]
    pairs_got = (got[:, None] == got[None, :]) & clustered[:, None]
    assert (pairs_ref[clustered][:, clustered] == pairs_got[clustered][:, clustered]).all()


def _two_topics_and_a_swing(R: int = 10) -> np.ndarray:
    """10 runs over 13 vectors: 0-5 always together, 6-11 always together, 12 with the first group in half the runs."""
    rows = []
    for r in range(R):
        lab = np.array([3] * 6 + [7] * 6 + [3 if r % 2 == 0 else 7])
        rows.append(lab)
    return np.array(rows)


def test_combine_two_clear_topics_confidence_one():
    labels = _two_topics_and_a_swing()[:, :12]
    cfg = ConsensusConfig(coassoc_threshold=0.6, confidence="coassoc")
    topics, conf, stab, stable = combine(labels, np.ones(12), cfg, min_size=3)
    assert topics.tolist() == [0] * 6 + [1] * 6
    assert conf.tolist() == [1.0] * 12
    assert stab == {0: 1.0, 1: 1.0} and stable == {0: True, 1: True}


@pytest.mark.parametrize("confidence", ["coassoc", "match"])
def test_combine_point_between_topics_is_a_low_confidence_outlier(confidence):
    labels = _two_topics_and_a_swing()
    cfg = ConsensusConfig(coassoc_threshold=0.6, confidence=confidence)
    topics, conf, _, _ = combine(labels, np.ones(13), cfg, min_size=3)
    assert topics.tolist() == [0] * 6 + [1] * 6 + [OUTLIER]
    assert conf[12] == pytest.approx(0.5)
    assert conf[:12].tolist() == [1.0] * 12


def test_duplicate_counts_weigh_topic_sizes_and_ids():
    labels = _two_topics_and_a_swing()[:, :12]
    counts = np.array([1] * 6 + [5] * 6)
    topics, _, _, _ = combine(labels, counts, ConsensusConfig(coassoc_threshold=0.6, order="size"), min_size=3)
    assert topics.tolist() == [1] * 6 + [0] * 6  # the duplicated group is larger in units


def test_unstable_topic_becomes_outlier_or_is_kept():
    # vectors 6-11 form a topic in only 3 of 10 runs: co-association 0.3 passes the cut at 0.25, stability 0.3 does not
    labels = _two_topics_and_a_swing()[:, :12].copy()
    labels[3:, 6:] = OUTLIER
    out = combine(labels, np.ones(12), ConsensusConfig(coassoc_threshold=0.25, stability_threshold=0.5), 3)
    keep = combine(labels, np.ones(12), ConsensusConfig(coassoc_threshold=0.25, stability_threshold=0.5,
                                                        unstable="keep"), 3)
    assert out[0].tolist() == [0] * 6 + [OUTLIER] * 6
    assert keep[0].tolist() == [0] * 6 + [1] * 6
    assert keep[2] == {0: 1.0, 1: pytest.approx(0.3)} and keep[3] == {0: True, 1: False}


def test_runs_without_topics_give_all_outliers_with_full_confidence():
    topics, conf, stab, _ = combine(np.full((3, 5), OUTLIER), np.ones(5), ConsensusConfig(), 2)
    assert topics.tolist() == [OUTLIER] * 5 and conf.tolist() == [1.0] * 5 and stab == {}


def test_stability_is_mean_best_match_jaccard():
    topics = np.array([0, 0, 0, 0, OUTLIER])
    labels = np.array([[1, 1, 1, 1, -1],    # J = 1
                       [1, 1, 2, 2, -1],    # J = 2/4
                       [4, 4, 4, 4, 4]])    # J = 4/5
    stab, conf = stability_and_confidence(topics, labels, np.ones(5), match_jaccard=0.5)
    assert stab == {0: pytest.approx((1 + 0.5 + 0.8) / 3)}
    assert conf.tolist() == pytest.approx([1.0, 1.0, 2 / 3, 2 / 3, 2 / 3])


def test_membership_confidence_is_mean_coassociation():
    topics = np.array([0, 0, 0, OUTLIER])
    labels = np.array([[1, 1, 1, 1], [1, 1, 2, -1]])
    # 0-1 together twice, 0-2 and 1-2 once; 3 with 0/1/2 once
    assert membership_confidence(topics, labels, np.ones(4)).tolist() == pytest.approx([0.75, 0.75, 0.5, 0.5])


def test_canonical_ids_by_first_member_or_by_size():
    topics = np.array([OUTLIER, 9, 5, 9, 2, 2, 2, 5])
    assert canonical_ids(topics, np.ones(8)).tolist() == [OUTLIER, 0, 1, 0, 2, 2, 2, 1]
    assert canonical_ids(topics, np.ones(8), "size").tolist() == [OUTLIER, 1, 2, 1, 0, 0, 0, 2]


def test_match_to_relabels_one_to_one_and_outliers_to_outliers():
    ref = np.array([0, 0, 0, 1, 1, OUTLIER])
    other = np.array([7, 7, 3, 3, 3, OUTLIER])
    assert match_to(ref, other, np.ones(6)).tolist() == [0, 0, 1, 1, 1, OUTLIER]
    assert match_to(ref, np.array([5, 5, 5, 5, 5, 6]), np.ones(6)).tolist() == [0, 0, 0, 0, 0, -3]


def test_cosine_knn_exact_with_self_first_and_index_ties():
    X = np.array([[1, 0], [1, 0.1], [0, 1], [1, 0.1]], dtype=np.float32)
    idx, dist = cosine_knn(X, 3)
    assert idx[0].tolist() == [0, 1, 3] and idx[1].tolist() == [1, 3, 0] and idx[3].tolist() == [3, 1, 0]
    assert dist[:, 0].tolist() == [0.0] * 4


def test_assign_rest_majority_of_nearest_fitted_vectors():
    X_fit = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]], dtype=np.float32)
    topics, conf = assign_rest(X_fit, np.array([0, 0, 1, OUTLIER]), np.array([1.0, 0.5, 1.0, 1.0]),
                               np.array([[1, 0.05], [0.05, 1]], dtype=np.float32), k=2)
    assert topics.tolist() == [0, OUTLIER]  # tie 1 vs outlier -> outlier (smaller id)
    assert conf.tolist() == pytest.approx([0.75, 0.5])


def test_merge_near_duplicates_chains_within_tolerance():
    X = np.array([[1, 0], [0, 1], [1, 1e-5], [1, 2e-5], [0.7, 0.7]], dtype=np.float32)
    assert merge_near_duplicates(X, 1e-4).tolist() == [0, 1, 0, 0, 4]
    assert merge_near_duplicates(X, 0.0).tolist() == [0, 1, 2, 3, 4]


def test_epochs_capped_by_work_per_run():
    assert epochs_for(494, ConsensusConfig()) == 500
    assert epochs_for(20000, ConsensusConfig()) == 50
    assert epochs_for(20000, ConsensusConfig(max_vector_epochs=None)) == 200
    assert epochs_for(10**6, ConsensusConfig(n_epochs=100)) == 10


def test_distinct_by_text_keeps_first_occurrence_order():
    vecs = np.arange(8, dtype=np.float32).reshape(4, 2)
    X, counts, inverse = distinct_by_text(["b", "a", "b", "c"], vecs)
    assert X.tolist() == [[0, 1], [2, 3], [6, 7]] and counts.tolist() == [2, 1, 1] and inverse.tolist() == [0, 1, 0, 2]


def _blobs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    centers = np.eye(16, dtype=np.float32)[:3]
    X = np.concatenate([c + rng.normal(0, 0.05, (n, 16)) for c, n in zip(centers, (40, 30, 20), strict=True)])
    counts = np.ones(len(X))
    counts[40] = 12  # the middle blob holds 29 + 12 = 41 units
    return X.astype(np.float32), counts


BLOB_CLUSTER = ClusterConfig(min_cluster_size=8, min_samples=None, cluster_selection_method="eom")


@pytest.mark.slow
def test_three_blobs_three_topics_invariant_to_tiny_noise():
    X, counts = _blobs()
    cfg = ConsensusConfig(runs=4)
    res = consensus_topics(X, counts, BLOB_CLUSTER, cfg)
    assert res.topics.tolist() == [0] * 40 + [1] * 30 + [2] * 20
    assert res.table[["topic", "size", "n_distinct"]].values.tolist() == [[0, 40, 40], [1, 41, 30], [2, 20, 20]]
    assert res.confidence.tolist() == [1.0] * 90
    assert res.table["stability"].tolist() == [1.0, 1.0, 1.0]
    noisy = X + np.random.default_rng(1).normal(0, 1e-6, X.shape).astype(np.float32)
    assert compare(res, consensus_topics(noisy, counts, BLOB_CLUSTER, cfg), counts)["identical"]


@pytest.mark.slow
def test_vectors_outside_the_fit_sample_take_their_neighbours_topic():
    X, counts = _blobs()
    res = consensus_topics(X, counts, BLOB_CLUSTER, ConsensusConfig(runs=3, fit_sample=60))
    assert res.fitted.sum() == 60
    blobs = np.repeat([0, 1, 2], [40, 30, 20])
    assert len(set(res.topics.tolist())) == 3 and OUTLIER not in res.topics
    assert all(len(set(res.topics[blobs == b].tolist())) == 1 for b in range(3))


@pytest.mark.slow
def test_seed_consensus_survives_batch_size_threads_and_noise(seed_project, tmp_path):
    """The seed units: re-embedded with batch size 16 and with one torch thread, and with 1e-6 noise, give the same
    consensus topics as the pipeline's vectors (or differ only below the confidence threshold)."""
    from pipeline.evaluation.topic_invariance_cli import main

    processed = seed_project / "data" / "processed"
    out = tmp_path / "inv.json"
    code = main(["--params", str(seed_project / "params.yaml"), "--units", str(processed / "units.parquet"),
                 "--embeddings", str(processed / "embeddings.parquet"), "--out", str(out)])
    import json

    res = json.loads(out.read_text())
    assert code == 0, res
    assert set(res["perturbations"]) == {"batch_size_16", "threads_1", "noise_1e-06"}
    for name, p in res["perturbations"].items():
        assert p["holds"] and p["confident_changed"] == 0, (name, p)
        assert p["max_abs_vector_change"] < 1e-5, name
    assert res["perturbations"]["noise_1e-06"]["identical"]  # measured: all three identical on the seeds


@pytest.mark.slow
def test_runs_on_engine_workers_give_the_same_labels_as_in_process():
    from pipeline.common.engine import LocalEngine
    from pipeline.topics.runs import cluster_runs, run_specs

    X, _ = _blobs()
    cfg = ConsensusConfig(runs=3)
    specs = run_specs(cfg, 7)
    serial = cluster_runs(X, BLOB_CLUSTER, cfg, specs)
    engine = LocalEngine(2)
    try:
        pooled = cluster_runs(X, BLOB_CLUSTER, cfg, specs, lambda fn, s: engine.imap(fn, s, len(s)))
        assert len(engine.worker_pids()) == 2  # the runs really went to the pool
    finally:
        engine.close()
    assert serial.shape == (3, 90)
    assert np.array_equal(serial, pooled)
    assert [len(set(row.tolist()) - {OUTLIER}) for row in serial] == [3, 3, 3]


@pytest.mark.slow
def test_consensus_hands_the_runs_to_run_map_only_from_parallel_min_vectors():
    X, counts = _blobs()
    calls: list[int] = []

    def run_map(fn, specs):  # a serial stand-in that records it was used
        calls.append(len(specs))
        return map(fn, specs)

    consensus_topics(X, counts, BLOB_CLUSTER, ConsensusConfig(runs=2, parallel_min_vectors=91), run_map=run_map)
    assert calls == []
    consensus_topics(X, counts, BLOB_CLUSTER, ConsensusConfig(runs=2, parallel_min_vectors=90), run_map=run_map)
    assert calls == [2]
