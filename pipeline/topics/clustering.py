"""Clustering core: the swappable reducer and clusterer of each run, BERTopic describing the consensus topics,
and pure table builders. BERTopic (and UMAP/HDBSCAN) are imported lazily: the first import is slow."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.config import ClusterConfig
from pipeline.common.embedders import embedding_matrix
from pipeline.common.schema import (
    PROBLEMS,
    TOPIC_HIERARCHY,
    TOPIC_SHARES,
    TOPICS,
    UNIT_TOPICS,
    conform,
    empty_frame,
    make_table,
)

OUTLIER = -1


class NoReduction:
    """A do-nothing dimensionality reduction (agglomerative clustering works on the embeddings)."""

    def fit(self, X: np.ndarray, y: Any = None) -> NoReduction:
        """Nothing to learn."""
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return X unchanged."""
        return np.asarray(X)

    def fit_transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        """Return X unchanged."""
        return np.asarray(X)


class ThresholdAgglomerative:
    """Agglomerative clustering on cosine distance cut at a threshold; small clusters become -1."""

    def __init__(self, linkage: str, distance_threshold: float, min_cluster_size: int) -> None:
        self.linkage, self.distance_threshold, self.min_cluster_size = linkage, distance_threshold, min_cluster_size
        self.labels_: np.ndarray = np.zeros(0, dtype=int)
        self.centroids_: np.ndarray = np.zeros((0, 0))

    def fit(self, X: np.ndarray, y: Any = None) -> ThresholdAgglomerative:
        """Cluster X; labels_ are 0..k-1 by first appearance, -1 for clusters below min size."""
        from sklearn.cluster import AgglomerativeClustering

        X = np.asarray(X, dtype=np.float64)
        if len(X) < 2:
            raw = np.zeros(len(X), dtype=int)
        else:
            raw = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage=self.linkage,
                                          distance_threshold=self.distance_threshold).fit(X).labels_
        self.labels_ = relabel(raw, self.min_cluster_size)
        unit = _unit_rows(X)
        ks = sorted(set(self.labels_) - {OUTLIER})
        self.centroids_ = np.stack([unit[self.labels_ == k].mean(axis=0) for k in ks]) if ks else np.zeros((0, X.shape[1]))
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Nearest centroid (cosine) for new points."""
        if len(self.centroids_) == 0:
            return np.full(len(X), OUTLIER)
        return np.argmax(_unit_rows(np.asarray(X, dtype=np.float64)) @ _unit_rows(self.centroids_).T, axis=1)


def _unit_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms == 0, 1.0, norms)


def relabel(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Clusters smaller than `min_size` -> -1; the rest renumbered 0.. in order of first appearance."""
    labels = np.asarray(labels)
    values, counts = np.unique(labels[labels != OUTLIER], return_counts=True)
    big = {v for v, c in zip(values, counts, strict=True) if c >= min_size}
    mapping: dict[int, int] = {}
    out = np.full(len(labels), OUTLIER, dtype=int)
    for i, lab in enumerate(labels):
        if lab in big:
            out[i] = mapping.setdefault(int(lab), len(mapping))
    return out


def min_cluster_size_for(cfg: ClusterConfig, n: int) -> int:
    """HDBSCAN min cluster size: the larger of the fixed floor and the share of n (scales with corpora)."""
    return max(cfg.min_cluster_size, math.ceil(cfg.min_cluster_share * n))


def make_parts(cfg: ClusterConfig, n: int, seed: int) -> tuple[Any, Any]:
    """The (reducer, clusterer) pair for n points: UMAP+HDBSCAN or none+agglomerative."""
    if cfg.method == "agglomerative":
        a = cfg.agglomerative
        return NoReduction(), ThresholdAgglomerative(a.linkage, a.distance_threshold, a.min_cluster_size)
    from hdbscan import HDBSCAN
    from umap import UMAP

    reducer = UMAP(n_neighbors=max(2, min(cfg.n_neighbors, n - 1)), n_components=max(1, min(cfg.n_components, n - 2)),
                   min_dist=cfg.min_dist, metric="cosine", random_state=seed, n_jobs=1)
    clusterer = HDBSCAN(min_cluster_size=min_cluster_size_for(cfg, n), min_samples=cfg.min_samples,
                        metric="euclidean", cluster_selection_method=cfg.cluster_selection_method,
                        prediction_data=True, core_dist_n_jobs=1)  # no joblib pool: runs may be engine workers
    return reducer, clusterer


def reassign_outliers(embeddings: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    """Outliers -> most cosine-similar topic centroid (BERTopic's "embeddings" strategy); -1 below threshold."""
    labels = np.asarray(labels, dtype=int).copy()
    ks = sorted(set(labels.tolist()) - {OUTLIER})
    out = np.flatnonzero(labels == OUTLIER)
    if not ks or not len(out):
        return labels
    X = np.asarray(embeddings, dtype=np.float64)
    centroids = np.stack([X[labels == k].mean(axis=0) for k in ks])
    sim = _unit_rows(X[out]) @ _unit_rows(centroids).T
    sim[sim < threshold] = 0
    labels[out] = np.where(sim.sum(axis=1) > 0, np.asarray(ks)[np.argmax(sim, axis=1)], OUTLIER)
    return labels


def cluster_labels(embeddings: np.ndarray, cfg: ClusterConfig, seed: int) -> np.ndarray:
    """The partition BERTopic finds with the same settings (same reducer, clusterer, outlier rule)."""
    n = len(embeddings)
    if n < 3:
        return np.full(n, OUTLIER, dtype=int)
    if cfg.reduce_outliers and cfg.outlier_strategy != "embeddings":
        raise ValueError("cluster_labels reproduces only outlier_strategy 'embeddings'")
    reducer, clusterer = make_parts(cfg, n, seed)
    labels = np.asarray(clusterer.fit(reducer.fit_transform(embeddings)).labels_, dtype=int)
    return reassign_outliers(embeddings, labels, cfg.outlier_threshold) if cfg.reduce_outliers else labels


def representatives(embeddings: np.ndarray, topics: np.ndarray, topic: int, k: int) -> list[int]:
    """Row indices of the k members closest (cosine) to the topic's centroid, best first."""
    rows = np.flatnonzero(topics == topic)
    if topic == OUTLIER or len(rows) == 0:
        return []
    unit = _unit_rows(np.asarray(embeddings[rows], dtype=np.float64))
    sims = unit @ _unit_rows(unit.mean(axis=0, keepdims=True))[0]
    order = sorted(range(len(rows)), key=lambda i: (-round(float(sims[i]), 12), rows[i]))
    return [int(rows[i]) for i in order[:k]]


def describe_topics(texts: list[str], embeddings: np.ndarray, labels: np.ndarray, cfg: ClusterConfig) -> Any:
    """BERTopic's representations of given topic labels: c-TF-IDF keywords, labels, topic embeddings, hierarchy.

    The consensus decides the topics; BERTopic only describes them (its reduction and clustering steps are
    skipped: BaseDimensionalityReduction, BaseCluster and the labels as `y`)."""
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(stop_words=cfg.stop_words, ngram_range=(1, cfg.ngram_max))
    model = BERTopic(umap_model=BaseDimensionalityReduction(), hdbscan_model=BaseCluster(), vectorizer_model=vectorizer,
                     top_n_words=cfg.top_n_words, calculate_probabilities=False, verbose=False)
    return model.fit(texts, np.asarray(embeddings), y=np.asarray(labels, dtype=int))


def unit_topics_frame(units: pd.DataFrame, topics: np.ndarray, confidence: np.ndarray, outlier: np.ndarray
                      ) -> pd.DataFrame:
    """One row per unit with its consensus topic and confidence."""
    df = units.loc[:, ["corpus", "doc_id", "unit_id", "author"]].reset_index(drop=True).copy()
    df["topic"] = np.asarray(topics, dtype=int)
    df["confidence"] = np.asarray(confidence, dtype=float)
    df["outlier"] = np.asarray(outlier, dtype=bool)
    return conform(df, UNIT_TOPICS)


def topics_frame(units: pd.DataFrame, embeddings: np.ndarray, model: Any, topics: np.ndarray, table: pd.DataFrame,
                 k: int) -> pd.DataFrame:
    """One row per topic: size, share, keywords, representative units, and its stability over the runs."""
    ids, counts = np.unique(topics, return_counts=True)
    labels = model.topic_labels_ if model is not None else {}
    consensus = table.set_index("topic") if len(table) else pd.DataFrame()
    rows = []
    for t, c in zip(ids.tolist(), counts.tolist(), strict=True):
        words = (model.get_topic(t) or []) if model is not None else []
        rep = representatives(embeddings, topics, t, k)
        known = t != OUTLIER and t in consensus.index
        rows.append({
            "topic": t, "name": labels.get(t, str(t)), "size": c, "share": c / len(topics),
            "keywords": [w for w, _ in words if w], "keyword_scores": [float(s) for w, s in words if w],
            "representative_unit_ids": units["unit_id"].iloc[rep].tolist(),
            "representative_texts": units["text"].iloc[rep].tolist(),
            "stability": float(consensus.at[t, "stability"]) if known else None,
            "mean_confidence": float(consensus.at[t, "mean_confidence"]) if known else None,
            "stable": bool(consensus.at[t, "stable"]) if known else None,
        })
    return conform(pd.DataFrame(rows), TOPICS) if rows else empty_frame(TOPICS)


def hierarchy_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """BERTopic's hierarchical_topics output in the project's snake_case schema."""
    if raw is None or raw.empty:
        return empty_frame(TOPIC_HIERARCHY)
    df = pd.DataFrame({
        "parent_id": raw["Parent_ID"].astype(int), "parent_name": raw["Parent_Name"].astype(str),
        "topics": [[int(t) for t in ts] for ts in raw["Topics"]],
        "child_left_id": raw["Child_Left_ID"].astype(int), "child_left_name": raw["Child_Left_Name"].astype(str),
        "child_right_id": raw["Child_Right_ID"].astype(int), "child_right_name": raw["Child_Right_Name"].astype(str),
        "distance": raw["Distance"].astype(float),
    })
    return conform(df.sort_values("parent_id", kind="stable"), TOPIC_HIERARCHY)


def shares_frame(unit_topics: pd.DataFrame) -> pd.DataFrame:
    """Topic shares per document and per participant (units with unknown author are left out there)."""
    parts = []
    for level, col in (("document", "doc_id"), ("participant", "author")):
        df = unit_topics.dropna(subset=[col])
        if df.empty:
            continue
        g = df.groupby(["corpus", col, "topic"]).size().rename("n_units").reset_index()
        g["share"] = g["n_units"] / g.groupby(["corpus", col])["n_units"].transform("sum")
        parts.append(g.rename(columns={col: "key"}).assign(level=level))
    if not parts:
        return empty_frame(TOPIC_SHARES)
    out = pd.concat(parts, ignore_index=True).sort_values(["corpus", "level", "key", "topic"], kind="stable")
    return conform(out, TOPIC_SHARES)


def units_with_vectors(units: pd.DataFrame, embeddings: pd.DataFrame, emb_path: Path) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Units that have an embedding, their matrix in unit order, and a problems row per unit without one."""
    emb = embeddings.drop_duplicates("unit_id").set_index("unit_id")
    has = units["unit_id"].isin(emb.index)
    problems = make_table([{"corpus": r.corpus, "source": str(emb_path), "location": r.unit_id, "stage": "cluster",
                       "reason": "missing-embedding",
                       "detail": f"{emb_path}: no embedding for unit {r.unit_id}; left out of clustering"}
                      for r in units[~has].itertuples()], PROBLEMS)
    kept = units[has].reset_index(drop=True)
    return kept, embedding_matrix(emb.loc[kept["unit_id"]].reset_index()), problems
