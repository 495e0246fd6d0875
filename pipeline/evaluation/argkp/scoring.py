"""KPA-2021 (ArgKP) scoring, pure: gold partitions from key-point labels, ARI/NMI of a clustering,
and key-point matching mAP exactly as the shared task's track-1 script computes it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import (
    adjusted_rand_score,
    average_precision_score,
    normalized_mutual_info_score,
)

TOP_PERCENTILE = 0.5  # fixed by the shared task: AP over the top half of each group's predictions
GROUP = ["topic", "stance"]


@dataclass(frozen=True)
class KpaSplit:
    """One split of ArgKP: arguments, key points and (arg, key point, label) rows."""

    arguments: pd.DataFrame
    key_points: pd.DataFrame
    labels: pd.DataFrame


@dataclass(frozen=True)
class GoldPartition:
    """Arguments of one group with exactly one positive key point, and how many were left out."""

    arg_ids: list[str]
    key_points: list[str]
    n_unmatched: int
    n_multi: int


def gold_partition(arg_ids: list[str], labels: pd.DataFrame) -> GoldPartition:
    """Gold grouping: each argument with exactly one matching key point belongs to that key point.

    Unmatched arguments (no positive label) and multi-matched ones (two or more) have no single
    gold group; they are clustered with the rest but left out of ARI/NMI.
    """
    pos = labels[(labels["label"] == 1) & labels["arg_id"].isin(set(arg_ids))]
    kps = pos.groupby("arg_id")["key_point_id"].agg(list).to_dict()
    single = [a for a in arg_ids if len(kps.get(a, [])) == 1]
    return GoldPartition(single, [kps[a][0] for a in single],
                         sum(1 for a in arg_ids if a not in kps), sum(1 for a in arg_ids if len(kps.get(a, [])) > 1))


def singletons_for_outliers(pred: np.ndarray) -> np.ndarray:
    """Outliers (-1) each become their own cluster: an unassigned argument claims no grouping."""
    pred = np.asarray(pred, dtype=int).copy()
    nxt = (pred.max() + 1) if len(pred) and pred.max() >= 0 else 0
    for i in np.flatnonzero(pred < 0):
        pred[i] = nxt
        nxt += 1
    return pred


def partition_scores(gold: list[str], pred: np.ndarray) -> tuple[float, float]:
    """(ARI, NMI) of predicted cluster ids against gold key points (outliers as singletons)."""
    p = singletons_for_outliers(pred)
    return float(adjusted_rand_score(gold, p)), float(normalized_mutual_info_score(gold, p))


def best_key_points(args: pd.DataFrame, kps: pd.DataFrame, sim: np.ndarray) -> pd.DataFrame:
    """Each argument's best-scoring key point (sim rows = args, cols = key points of its group)."""
    best = np.argmax(sim, axis=1)
    return pd.DataFrame({
        "arg_id": args["arg_id"].to_numpy(), "topic": args["topic"].to_numpy(), "stance": args["stance"].to_numpy(),
        "key_point_id": kps["key_point_id"].to_numpy()[best], "score": sim[np.arange(len(best)), best],
    })


def _group_ap(df: pd.DataFrame, column: str) -> float:
    top = int(len(df) * TOP_PERCENTILE)
    df = df.sort_values("score", ascending=False, kind="stable").head(top)
    if (df[column] == 0).all():
        return 0.0
    return float(average_precision_score(df[column], df["score"]))


def kpa_map(predictions: pd.DataFrame, labels: pd.DataFrame) -> dict[str, float]:
    """Strict and relaxed mAP (KPA-2021 track 1): undecided pairs count as wrong / right."""
    merged = predictions.merge(labels[["arg_id", "key_point_id", "label"]], how="left", on=["arg_id", "key_point_id"])
    merged["label_strict"] = merged["label"].fillna(0)
    merged["label_relaxed"] = merged["label"].fillna(1)
    groups = [g for _, g in merged.groupby(GROUP)]
    return {
        "map_strict": float(np.mean([_group_ap(g, "label_strict") for g in groups])),
        "map_relaxed": float(np.mean([_group_ap(g, "label_relaxed") for g in groups])),
    }


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity matrix between the rows of a and b."""
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a @ b.T


def calibrate(sim: np.ndarray, temperature: float | None) -> np.ndarray:
    """Softmax over each argument's key points at `temperature` (None: raw cosine), so that scores
    compare across arguments: a clear best match outranks a vague one with the same cosine."""
    if temperature is None:
        return sim
    z = np.exp(temperature * (sim - sim.max(axis=1, keepdims=True)))
    return z / z.sum(axis=1, keepdims=True)


def summarize(rows: list[dict]) -> dict[str, float]:
    """Macro means over topic+stance groups (and seeds) of per-group clustering scores."""
    df = pd.DataFrame(rows)
    by_seed = df.groupby("seed")["ari"].mean().round(4).tolist() if "seed" in df else []
    return {"ari_per_seed": by_seed,
        "ari": round(float(df["ari"].mean()), 4), "nmi": round(float(df["nmi"].mean()), 4),
        "ari_min": round(float(df["ari"].min()), 4),
        "clusters_per_group": round(float(df["n_clusters"].mean()), 2),
        "gold_key_points_per_group": round(float(df["n_gold"].mean()), 2),
        "outlier_share": round(float(df["n_outliers"].sum() / df["n_args"].sum()), 4),
    }
