"""Stage `stability`: refit the clustering with several seeds; pairwise ARI between the partitions."""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score
from tqdm import tqdm

from pipeline.common.config import ClusterConfig, ConfigError, load_params
from pipeline.common.schema import EMBEDDINGS, UNITS
from pipeline.common.storage import read_table, write_json
from pipeline.topics.cluster_cli import align
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


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options (every path passed in)."""
    ap = argparse.ArgumentParser(prog="python -m pipeline stability", description=__doc__)
    ap.add_argument("--units", type=Path, required=True)
    ap.add_argument("--embeddings", type=Path, required=True)
    ap.add_argument("--params", type=Path, default=Path("params.yaml"))
    ap.add_argument("--metrics", type=Path, required=True)
    return ap.parse_args(argv)


def main(argv: list[str]) -> int:
    """Load, refit per seed, write metrics."""
    args = parse_args(argv)
    try:
        cfg = load_params(args.params).cluster
        units, X, _ = align(read_table(args.units, UNITS), read_table(args.embeddings, EMBEDDINGS), args.embeddings)
    except (ConfigError, ValueError, FileNotFoundError) as e:
        sys.stderr.write(f"stability: {e}\n")
        return 1
    result = pairwise_stability(refit(X, cfg, progress=not os.environ.get("CI")))
    write_json({"n_units": len(units), "method": cfg.method, "seeds": list(cfg.stability_seeds), **result}, args.metrics)
    sys.stderr.write(f"stability: ARI mean {result['ari_mean']}, min {result['ari_min']}\n")
    return 0
