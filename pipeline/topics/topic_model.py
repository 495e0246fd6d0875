"""The cluster stage's core: consensus topics over the distinct unit vectors, BERTopic's description of them,
the topic tables, and the metrics of the topics and of the runs behind them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.config import ClusterConfig
from pipeline.topics.clustering import (
    OUTLIER,
    describe_topics,
    hierarchy_frame,
    min_cluster_size_for,
    reassign_outliers,
    shares_frame,
    topics_frame,
    unit_topics_frame,
)
from pipeline.topics.consensus import ConsensusResult, consensus_topics, runs_agreement
from pipeline.topics.runs import RunMap, distinct_by_text, run_specs


@dataclass(frozen=True)
class TopicsResult:
    """Everything the cluster stage writes (tables, the BERTopic model or None, metrics of topics and runs)."""

    unit_topics: pd.DataFrame
    topics: pd.DataFrame
    hierarchy: pd.DataFrame
    shares: pd.DataFrame
    model: Any
    raw_hierarchy: pd.DataFrame | None
    n_topics: int
    metrics: dict[str, Any]
    runs: dict[str, Any]


def fit_topic_model(units: pd.DataFrame, X: np.ndarray, cfg: ClusterConfig, run_map: RunMap | None = None) -> TopicsResult:
    """Consensus topics of the units (one row per unit in `X`), described by BERTopic; runs by `run_map`."""
    texts = units["text"].tolist()
    distinct, counts, inverse = distinct_by_text(texts, X)
    res = consensus_topics(distinct, counts, cfg, cfg.consensus, run_map=run_map)
    topics, confidence = res.topics[inverse], res.confidence[inverse]
    outlier = topics == OUTLIER
    if cfg.reduce_outliers:
        topics = reassign_outliers(X, topics, cfg.outlier_threshold)
    n_topics = len(set(topics.tolist()) - {OUTLIER})
    model = describe_topics(texts, X, topics, cfg) if n_topics else None
    raw_hier = model.hierarchical_topics(texts) if n_topics >= 2 else None
    unit_topics = unit_topics_frame(units, topics, confidence, outlier)
    table = topics_frame(units, X, model, topics, res.table, cfg.n_representatives)
    seeds = [s.seed for s in run_specs(cfg.consensus, cfg.seed)]
    runs = runs_agreement(res.run_labels, res.run_weights, res.topics[res.run_rows], seeds)
    metrics = topic_metrics(units, topics, confidence, outlier, table, res, runs, cfg, len(distinct))
    return TopicsResult(unit_topics, table, hierarchy_frame(raw_hier), shares_frame(unit_topics), model, raw_hier,
                        n_topics, metrics, {"method": cfg.method, "n_units": len(units), **runs})


def topic_metrics(units: pd.DataFrame, topics: np.ndarray, confidence: np.ndarray, outlier: np.ndarray,
                  table: pd.DataFrame, res: ConsensusResult, runs: dict[str, Any], cfg: ClusterConfig,
                  n_distinct: int) -> dict[str, Any]:
    """metrics/cluster.json: the consensus topics, their stability and the spread of the single runs."""
    sizes = table.loc[table["topic"] != OUTLIER, "size"]
    per_run_topics = list(runs["n_topics"].values())
    per_run_outliers = list(runs["outlier_share"].values())
    stab = table.loc[table["topic"] != OUTLIER, ["topic", "stability"]]
    return {
        "n_units": len(units), "n_distinct_texts": n_distinct, "n_fitted": int(res.fitted.sum()),
        "method": cfg.method, "seed": cfg.seed, "runs": cfg.consensus.runs,
        "min_cluster_size": min_cluster_size_for(cfg, min(n_distinct, cfg.consensus.fit_sample or n_distinct)),
        "n_topics": len(sizes), "outlier_share": round(float(outlier.mean()), 4),
        "outlier_share_final": round(float((topics == OUTLIER).mean()), 4),
        "confident_share": round(float((confidence >= cfg.consensus.confidence_threshold).mean()), 4),
        "mean_confidence": round(float(confidence.mean()), 4) if len(confidence) else None,
        "runs_n_topics": {"min": min(per_run_topics), "median": statistics.median(per_run_topics),
                          "max": max(per_run_topics)},
        "runs_outlier_share": {"min": min(per_run_outliers), "median": statistics.median(per_run_outliers),
                               "max": max(per_run_outliers)},
        "runs_ari_vs_consensus_mean": round(float(np.mean(list(runs["ari_vs_consensus"].values()))), 4),
        "topic_stability": {str(int(t)): round(float(s), 4) for t, s in zip(stab["topic"], stab["stability"],
                                                                              strict=True)},
        "largest_topic_share": round(float(sizes.max() / len(units)), 4) if len(sizes) else 0.0,
        "smallest_topic_size": int(sizes.min()) if len(sizes) else 0,
    }
