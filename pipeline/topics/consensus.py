"""Consensus topics: R UMAP+HDBSCAN runs over distinct vectors, combined by co-association.

Pure core (no I/O). Vectors closer than `merge_tol` (texts that embed identically) are merged first. The
runs share one graph: the exact cosine kNN with unit weights (`graph: knn`), and its spectral layout;
they differ by seed (init jitter and UMAP's negative sampling), which makes them as different from each
other as independent UMAP fits. Because the shared graph depends only on who is whose neighbour, a
last-bit change of the vectors (batch size, thread count, 1e-6 noise) leaves it, and so every run and
the consensus, bit-identical as long as no neighbour set changes. Two vectors are co-associated in a
run when both sit in the same non-outlier topic; consensus topics are weighted average-linkage
clusters of the co-association cut where the mean co-association between two groups falls below
`coassoc_threshold`, computed exactly over "atoms" (vectors with identical label vectors across the
runs) with unit counts as weights. Each topic gets a stability (mean over runs of its best-match
Jaccard in units; below `stability_threshold` it is unstable) and each vector a confidence (the lower
of: the share of runs in which its topic reappears, Jaccard >= `match_jaccard`, and holds it; its mean
co-association with the topic's other members; for outliers, one minus the largest such value). Topic
ids are canonical: ordered by smallest member index (or by size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.config import ClusterConfig, ConsensusConfig
from pipeline.topics.clustering import OUTLIER, min_cluster_size_for
from pipeline.topics.linkage import consensus_partition
from pipeline.topics.runs import (
    RunMap,
    RunSpec,
    cluster_runs,
    cosine_knn,
    fit_sample_index,
    merge_near_duplicates,
    run_specs,
)

EPS = 1e-9


@dataclass(frozen=True)
class ConsensusResult:
    """Consensus topic per distinct vector, confidences, the topic table and the runs behind them."""

    topics: np.ndarray  # (n,) canonical topic id, -1 outlier (or unstable, when cfg.unstable == outlier)
    confidence: np.ndarray  # (n,) share of runs agreeing with the assignment (vote share if not fitted)
    table: pd.DataFrame  # one row per topic: topic, size, n_distinct, stability, mean_confidence, stable, ...
    run_labels: np.ndarray  # (R, m) each run's labels over the m fitted representatives
    fitted: np.ndarray  # (n,) bool: the vector (or the near-duplicate standing for it) was in the fit sample
    run_rows: np.ndarray  # (m,) row of each fitted representative in the input
    run_weights: np.ndarray  # (m,) units behind each fitted representative (its near-duplicates included)


def _contingency(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted contingency of non-outlier labels a (rows) and b (cols): matrix, row ids, col ids."""
    ra, ia = np.unique(a, return_inverse=True)
    rb, ib = np.unique(b, return_inverse=True)
    M = np.zeros((len(ra), len(rb)))
    np.add.at(M, (ia.ravel(), ib.ravel()), w)
    return M, ra, rb


def best_matches(topics: np.ndarray, run: np.ndarray, weights: np.ndarray) -> dict[int, tuple[int, float]]:
    """For each consensus topic: (run topic with the highest Jaccard in units, that Jaccard); (-1, 0) if none."""
    w = np.asarray(weights, dtype=np.float64)
    M, rt, rr = _contingency(topics, run, w)
    size_t = M.sum(axis=1)
    size_r = M.sum(axis=0)
    J = M / (size_t[:, None] + size_r[None, :] - M)
    J[:, rr == OUTLIER] = 0.0
    out: dict[int, tuple[int, float]] = {}
    for i, t in enumerate(rt.tolist()):
        if t == OUTLIER:
            continue
        j = int(np.argmax(J[i]))
        out[t] = (int(rr[j]), float(J[i, j])) if J[i, j] > 0 else (OUTLIER, 0.0)
    return out


def stability_and_confidence(topics: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                             match_jaccard: float) -> tuple[dict[int, float], np.ndarray]:
    """Per topic: mean over runs of best-match Jaccard; per vector: share of runs agreeing with its topic.

    A topic reappears in a run when a run topic matches it with Jaccard >= match_jaccard. A member's
    confidence is the share of runs in which its topic reappears and holds it; an outlier's is one minus
    its largest such share over the topics (how clearly it belongs to none)."""
    R, n = labels.shape
    ids = [int(t) for t in np.unique(topics) if t != OUTLIER]
    col = {t: k for k, t in enumerate(ids)}
    jac = dict.fromkeys(ids, 0.0)
    held = np.zeros((n, len(ids)), dtype=np.int64)  # runs in which vector i sits in topic k's reappearance
    for r in range(R):
        for t, (m, j) in best_matches(topics, labels[r], weights).items():
            jac[t] += j
            if m != OUTLIER and j >= match_jaccard - EPS:
                held[labels[r] == m, col[t]] += 1
    if not ids:
        return {}, np.ones(n)
    own = np.array([col.get(int(t), -1) for t in topics], dtype=np.int64)
    member = np.where(own >= 0, held[np.arange(n), np.maximum(own, 0)], 0) / R
    best_other = held.max(axis=1) / R
    return {t: s / R for t, s in jac.items()}, np.where(own >= 0, member, 1.0 - best_other)


def membership(topics: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(n, K) mean co-association of each vector with each topic's other members (weighted by counts)."""
    R, n = labels.shape
    w = np.asarray(weights, dtype=np.float64)
    ids = [int(t) for t in np.unique(topics) if t != OUTLIER]
    if not ids:
        return np.zeros((n, 0))
    own = np.searchsorted(ids, topics)
    inT = topics != OUTLIER
    onehot = np.zeros((n, len(ids)))
    onehot[np.flatnonzero(inT), own[inT]] = w[inT]
    total = np.zeros((n, len(ids)))
    for r in range(R):
        lab = labels[r]
        runs_ids, inv = np.unique(lab, return_inverse=True)
        M = np.zeros((len(runs_ids), len(ids)))
        np.add.at(M, inv.ravel(), onehot)
        if runs_ids[0] == OUTLIER:
            M[0] = 0.0
        total += M[inv.ravel()]
    total -= R * onehot * (labels != OUTLIER).mean(axis=0)[:, None]  # drop the vector itself
    size = onehot.sum(axis=0)[None, :] - onehot
    return np.divide(total, R * size, out=np.zeros_like(total), where=size > 0)


def membership_confidence(topics: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Members: mean co-association with their topic; outliers: one minus the largest with any topic."""
    M = membership(topics, labels, weights)
    if M.shape[1] == 0:
        return np.ones(len(topics))
    own = np.searchsorted(np.unique(topics[topics != OUTLIER]), topics)
    inT = topics != OUTLIER
    return np.where(inT, M[np.arange(len(topics)), np.minimum(own, M.shape[1] - 1)], 1.0 - M.max(axis=1))


def canonical_ids(topics: np.ndarray, weights: np.ndarray, order: str = "first") -> np.ndarray:
    """Topic ids 0..: order "first" = by smallest member index; "size" = by size in units (largest first), then
    smallest member index. -1 stays."""
    topics = np.asarray(topics)
    ids = [int(t) for t in np.unique(topics) if t != OUTLIER]
    w = np.asarray(weights, dtype=np.float64)
    key = {t: ((-float(w[topics == t].sum()),) if order == "size" else ()) + (int(np.flatnonzero(topics == t)[0]),)
           for t in ids}
    mapping = {t: k for k, t in enumerate(sorted(ids, key=lambda t: key[t]))}
    out = np.full(len(topics), OUTLIER, dtype=np.int64)
    for t, k in mapping.items():
        out[topics == t] = k
    return out


def assign_rest(X_fit: np.ndarray, topics_fit: np.ndarray, conf_fit: np.ndarray, X_rest: np.ndarray,
                k: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectors outside the fit sample: majority topic of their k nearest fitted vectors (ties -> smaller id,
    outlier first); confidence = sum of the agreeing neighbours' confidences / k."""
    if len(X_rest) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    idx, _ = cosine_knn(X_rest, k, Y=X_fit)
    nb = topics_fit[idx]
    ids = np.unique(topics_fit)
    votes = np.stack([(nb == t).sum(axis=1) for t in ids], axis=1)
    win = ids[np.argmax(votes, axis=1)]
    conf = ((nb == win[:, None]) * conf_fit[idx]).sum(axis=1) / idx.shape[1]
    return win.astype(np.int64), conf


def topic_table(topics: np.ndarray, confidence: np.ndarray, weights: np.ndarray, stability: dict[int, float],
                stable: dict[int, bool]) -> pd.DataFrame:
    """One row per topic (outliers as -1): size in units, distinct vectors, stability, mean confidence, flags."""
    w = np.asarray(weights, dtype=np.float64)
    rows = []
    for t in sorted({int(x) for x in np.unique(topics)}):
        m = topics == t
        rows.append({"topic": t, "size": int(round(w[m].sum())), "n_distinct": int(m.sum()),
                     "share": float(w[m].sum() / w.sum()),
                     "stability": round(stability.get(t, float("nan")), 6),
                     "mean_confidence": round(float(np.average(confidence[m], weights=w[m])), 6),
                     "stable": bool(stable.get(t, False)), "first_member": int(np.flatnonzero(m)[0])})
    return pd.DataFrame(rows, columns=["topic", "size", "n_distinct", "share", "stability", "mean_confidence",
                                       "stable", "first_member"])


def match_to(reference: np.ndarray, other: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Relabel `other` onto `reference` ids by a one-to-one matching that maximises shared units (outlier to outlier);
    topics of `other` left unmatched get ids below -1."""
    from scipy.optimize import linear_sum_assignment

    M, ra, rb = _contingency(reference, other, np.asarray(weights, dtype=np.float64))
    big = M.sum() + 1.0
    M[(ra == OUTLIER)[:, None] != (rb == OUTLIER)[None, :]] = -big  # outliers match outliers only
    rows, cols = linear_sum_assignment(-M)
    mapping = {int(rb[j]): int(ra[i]) for i, j in zip(rows, cols, strict=True) if M[i, j] > 0}
    mapping[OUTLIER] = OUTLIER
    lut = {int(t): mapping.get(int(t), -2 - k) for k, t in enumerate(rb)}
    return np.array([lut[int(t)] for t in other], dtype=np.int64)


def drop_unstable(raw: np.ndarray, labels: np.ndarray, weights: np.ndarray, cfg: ConsensusConfig) -> np.ndarray:
    """Raw topics whose stability is below the threshold -> outliers (when cfg.unstable is outlier)."""
    if cfg.unstable != "outlier":
        return raw
    stab, _ = stability_and_confidence(raw, labels, weights, cfg.match_jaccard)
    return np.where(np.isin(raw, [t for t, s in stab.items() if s < cfg.stability_threshold - EPS]), OUTLIER, raw)


def finalize(raw: np.ndarray, labels: np.ndarray, weights: np.ndarray,
             cfg: ConsensusConfig) -> tuple[np.ndarray, np.ndarray, dict[int, float], dict[int, bool]]:
    """A raw consensus partition -> canonical topics (unstable ones out or kept), confidences, stability, flags."""
    raw = drop_unstable(raw, labels, weights, cfg)
    topics = canonical_ids(raw, weights, cfg.order)
    stability, confidence = stability_and_confidence(topics, labels, weights, cfg.match_jaccard)
    if cfg.confidence == "coassoc":
        confidence = membership_confidence(topics, labels, weights)
    elif cfg.confidence == "min":
        confidence = np.minimum(confidence, membership_confidence(topics, labels, weights))
    stable = {t: s >= cfg.stability_threshold - EPS for t, s in stability.items()}
    return topics, confidence, stability, stable


def combine(labels: np.ndarray, weights: np.ndarray, cfg: ConsensusConfig,
            min_size: int) -> tuple[np.ndarray, np.ndarray, dict[int, float], dict[int, bool]]:
    """Run labels (R, n) -> canonical topics, confidences, stability and stable flag per topic."""
    return finalize(consensus_partition(labels, weights, cfg.coassoc_threshold, min_size), labels, weights, cfg)


def consensus_topics(vectors: np.ndarray, counts: np.ndarray, cluster: ClusterConfig, cfg: ConsensusConfig,
                     specs: Sequence[RunSpec] | None = None, run_map: RunMap | None = None) -> ConsensusResult:
    """Consensus topics over distinct vectors (n, d) with their unit counts; runs from specs (default run_specs),
    run by `run_map` (cluster_runs).

    Near-identical vectors are merged (cfg.merge_tol), a seeded sample of at most cfg.fit_sample of them is
    clustered R times and combined; the rest take the topic of their nearest fitted neighbours."""
    X = np.asarray(vectors, dtype=np.float32)
    w = np.asarray(counts, dtype=np.float64)
    if len(X) != len(w):
        raise ValueError(f"{len(X)} vectors but {len(w)} counts")
    specs = list(specs) if specs is not None else run_specs(cfg, cluster.seed)
    group = merge_near_duplicates(X, cfg.merge_tol)
    reps = np.unique(group)
    pos = np.searchsorted(reps, group)
    wr = np.bincount(pos, weights=w, minlength=len(reps))
    fit = fit_sample_index(len(reps), cfg, cluster.seed)
    labels = cluster_runs(X[reps[fit]], cluster, cfg, specs, run_map if len(fit) >= cfg.parallel_min_vectors else None)
    min_size = min_cluster_size_for(cluster, len(fit)) if cluster.method == "hdbscan" else cluster.agglomerative.min_cluster_size
    t_fit, c_fit, stability, stable = combine(labels, wr[fit], cfg, min_size)
    t_rep = np.full(len(reps), OUTLIER, dtype=np.int64)
    c_rep = np.zeros(len(reps))
    t_rep[fit], c_rep[fit] = t_fit, c_fit
    fitted = np.zeros(len(reps), dtype=bool)
    fitted[fit] = True
    rest = np.flatnonzero(~fitted)
    t_rep[rest], c_rep[rest] = assign_rest(X[reps[fit]], t_fit, c_fit, X[reps[rest]], cfg.assign_neighbors)
    topics, conf = t_rep[pos], c_rep[pos]
    return ConsensusResult(topics, conf, topic_table(topics, conf, w, stability, stable), labels, fitted[pos],
                           reps[fit], wr[fit])


def run_summary(labels: np.ndarray, weights: np.ndarray, topics: np.ndarray) -> dict[str, Any]:
    """Per-run topic counts, outlier shares (in units) and ARI with the consensus; pairwise ARI between runs."""
    import itertools

    from sklearn.metrics import adjusted_rand_score

    rep = np.asarray(np.round(weights), dtype=np.int64)
    expand = (lambda a: np.repeat(a, rep))  # noqa: E731
    cons = expand(topics)
    runs = [expand(lab) for lab in labels]
    pair = [adjusted_rand_score(a, b) for a, b in itertools.combinations(runs, 2)]
    return {
        "n_topics": [len(set(r.tolist()) - {OUTLIER}) for r in runs],
        "outlier_share": [round(float((r == OUTLIER).mean()), 4) for r in runs],
        "ari_vs_consensus": [round(float(adjusted_rand_score(r, cons)), 4) for r in runs],
        "pairwise_ari_mean": round(float(np.mean(pair)), 4) if pair else 1.0,
    }


def compare(a: ConsensusResult, b: ConsensusResult, weights: np.ndarray) -> dict[str, Any]:
    """How two consensus results over the same vectors differ: identical assignment table?, vectors whose id
    differs, vectors whose topic differs once topics are matched one-to-one, and their confidences."""
    same_table = a.table[["topic", "size", "n_distinct"]].equals(b.table[["topic", "size", "n_distinct"]])
    changed = np.flatnonzero(match_to(a.topics, b.topics, weights) != a.topics)
    conf = np.maximum(a.confidence[changed], b.confidence[changed])
    return {"identical": bool(same_table and (a.topics == b.topics).all()),
            "n_changed_ids": int((a.topics != b.topics).sum()), "n_changed": len(changed),
            "max_confidence_changed": float(conf.max()) if len(changed) else 0.0, "changed": changed}


def runs_agreement(labels: np.ndarray, weights: np.ndarray, topics: np.ndarray, seeds: Sequence[int]
                   ) -> dict[str, Any]:
    """The runs behind a consensus, as the validation page shows them: per run its topics, outlier share (in units)
    and ARI with the consensus; per pair of runs the ARI over all units and over units both cluster."""
    import itertools

    from sklearn.metrics import adjusted_rand_score

    rep = np.asarray(np.round(weights), dtype=np.int64)
    runs = {int(s): np.repeat(lab, rep) for s, lab in zip(seeds, labels, strict=True)}
    cons = np.repeat(topics, rep)
    pairs = []
    for (s1, a), (s2, b) in itertools.combinations(sorted(runs.items()), 2):
        both = (a != OUTLIER) & (b != OUTLIER)
        pairs.append({"seeds": [s1, s2], "ari": round(float(adjusted_rand_score(a, b)), 4),
                      "ari_clustered": round(float(adjusted_rand_score(a[both], b[both])), 4) if both.sum() > 1 else 0.0})
    aris = [p["ari"] for p in pairs] or [1.0]
    return {"seeds": sorted(runs), "n_topics": {str(s): len(set(r.tolist()) - {OUTLIER}) for s, r in sorted(runs.items())},
            "outlier_share": {str(s): round(float((r == OUTLIER).mean()), 4) for s, r in sorted(runs.items())},
            "ari_vs_consensus": {str(s): round(float(adjusted_rand_score(r, cons)), 4) for s, r in sorted(runs.items())},
            "ari_mean": round(float(np.mean(aris)), 4), "ari_min": round(float(np.min(aris)), 4),
            "ari_clustered_mean": round(float(np.mean([p["ari_clustered"] for p in pairs] or [1.0])), 4),
            "pairs": pairs}
