"""Do the consensus topics survive what should not matter? The same units with vectors from another batch size,
another torch thread count, or with 1e-6 noise added, against the committed vectors: the consensus tables must be
identical, or differ only in units whose confidence is below `cluster.consensus.confidence_threshold`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pipeline.common.config import ClusterConfig
from pipeline.topics.consensus import ConsensusResult, compare, consensus_topics
from pipeline.topics.runs import distinct_by_text


def consensus_of(texts: list[str], vectors: np.ndarray, cfg: ClusterConfig) -> tuple[ConsensusResult, np.ndarray]:
    """The consensus over the distinct texts, and the unit counts behind them."""
    distinct, counts, _ = distinct_by_text(texts, vectors)
    return consensus_topics(distinct, counts, cfg, cfg.consensus), counts


def invariance(texts: list[str], vectors: np.ndarray, cfg: ClusterConfig,
               perturbed: dict[str, Callable[[], np.ndarray]]) -> dict[str, Any]:
    """For each named way of recomputing the vectors: how far they moved and how the consensus differs."""
    base, counts = consensus_of(texts, vectors, cfg)
    out: dict[str, Any] = {"n_units": len(texts), "n_distinct": len(counts),
                           "n_topics": int(len(set(base.topics.tolist()) - {-1})),
                           "confidence_threshold": cfg.consensus.confidence_threshold, "perturbations": {}}
    for name, make in perturbed.items():
        other_vectors = make()
        other, _ = consensus_of(texts, other_vectors, cfg)
        diff = compare(base, other, counts)
        changed = diff.pop("changed")
        units_changed = int(counts[changed].sum())
        out["perturbations"][name] = {
            "max_abs_vector_change": float(np.abs(np.asarray(other_vectors, dtype=np.float64) - vectors).max()),
            **diff, "units_changed": units_changed,
            "confident_changed": int((np.maximum(base.confidence[changed], other.confidence[changed])
                                      >= cfg.consensus.confidence_threshold).sum()),
            "holds": bool(diff["identical"] or diff["max_confidence_changed"] < cfg.consensus.confidence_threshold),
        }
    return out
