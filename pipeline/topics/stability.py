"""Topic stability: the clustering refitted with several seeds, and the pairwise agreement of the partitions."""

from __future__ import annotations

import itertools

import numpy as np
from sklearn.metrics import adjusted_rand_score
from tqdm import tqdm

from pipeline.common.config import ClusterConfig
from pipeline.topics.clustering import OUTLIER, cluster_labels


def pairwise_stability(partitions: dict[int, np.ndarray]) -> dict:
    """ARI over all units (outliers as one class) and over units clustered in both runs, per seed pair."""
    pairs = []
    for (s1, a), (s2, b) in itertools.combinations(sorted(partitions.items()), 2):
        both = (a != OUTLIER) & (b != OUTLIER)
        pairs.append({"seeds": [s1, s2], "ari": float(adjusted_rand_score(a, b)),
                      "ari_clustered": float(adjusted_rand_score(a[both], b[both])) if both.sum() > 1 else 0.0})
    aris = [p["ari"] for p in pairs] or [1.0]
    clustered = [p["ari_clustered"] for p in pairs] or [1.0]
    return {
        "ari_mean": round(float(np.mean(aris)), 4), "ari_min": round(float(np.min(aris)), 4),
        "ari_clustered_mean": round(float(np.mean(clustered)), 4),
        "n_topics": {str(s): len(set(p.tolist()) - {OUTLIER}) for s, p in sorted(partitions.items())},
        "outlier_share": {str(s): round(float((p == OUTLIER).mean()), 4) for s, p in sorted(partitions.items())},
        "pairs": [{**p, "ari": round(p["ari"], 4), "ari_clustered": round(p["ari_clustered"], 4)} for p in pairs],
    }


def refit(embeddings: np.ndarray, cfg: ClusterConfig, progress: bool = True) -> dict[int, np.ndarray]:
    """The pipeline's partition (as BERTopic finds it) for every seed in cfg.stability_seeds."""
    return {s: cluster_labels(embeddings, cfg, s) for s in tqdm(cfg.stability_seeds, desc="seeds", disable=not progress)}
