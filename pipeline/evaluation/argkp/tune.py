"""Choices for the ArgKP benchmark, made on train only: clusterer per representation, matching
temperature, fusion weight, and the fine-tuning settings (scored on train topics held out from it)."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pandas as pd
from tqdm import tqdm

from pipeline.common.config import ArgkpFinetuneConfig, ClusterConfig, ClustererOverrides
from pipeline.evaluation.argkp.finetune import adapt, train_adapter, training_examples
from pipeline.evaluation.argkp.scoring import (
    GROUP,
    KpaSplit,
    best_key_points,
    calibrate,
    cosine,
    gold_partition,
    kpa_map,
    partition_scores,
    summarize,
)
from pipeline.topics.clustering import OUTLIER, make_parts, reassign_outliers

TEMPERATURES = (None, 5.0, 10.0, 20.0, 50.0, 100.0)
ALPHAS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
FINETUNE_GRID = {"loss": ("mnrl", "mnrl_hard", "cosent"), "epochs": (1, 2, 5, 10), "lr": (1e-4, 3e-4, 1e-3)}


def cluster_config(base: ClusterConfig, ov: ClustererOverrides) -> ClusterConfig:
    """The pipeline's cluster settings with one representation's benchmark overrides."""
    agg = base.agglomerative.model_copy(update={"distance_threshold": ov.distance_threshold})
    keep = ov.model_dump(exclude={"distance_threshold"})
    return base.model_copy(update={**keep, "agglomerative": agg})


def groups(split: KpaSplit, vectors: dict[str, np.ndarray]) -> list[tuple[tuple, list[str], np.ndarray]]:
    """(topic+stance, argument ids, argument matrix) per group, in sorted order."""
    return [(key, args["arg_id"].tolist(), np.stack([vectors[a] for a in args["arg_id"]]))
            for key, args in split.arguments.groupby(GROUP, sort=True)]


def score_matching(split: KpaSplit, vectors: dict[str, np.ndarray], temperature: float | None = None) -> dict[str, float]:
    """KPA-2021 track-1 mAP from argument/key-point cosine similarity (optionally softmax-calibrated)."""

    preds = []
    kp_groups = dict(list(split.key_points.groupby(GROUP, sort=True)))
    for key, args in split.arguments.groupby(GROUP, sort=True):
        kps = kp_groups.get(key)
        if kps is None:  # no key points: like the official script's dummy prediction, never a match
            continue
        sim = cosine(np.stack([vectors[a] for a in args["arg_id"]]), np.stack([vectors[k] for k in kps["key_point_id"]]))
        preds.append(best_key_points(args, kps, calibrate(sim, temperature)))
    return {k: round(v, 4) for k, v in kpa_map(pd.concat(preds, ignore_index=True), split.labels).items()}


def score_partition(key: tuple, ids: list[str], pred: np.ndarray, labels: pd.DataFrame) -> dict | None:
    """ARI/NMI of one group's partition; None when fewer than two gold key points are in play."""
    gold = gold_partition(ids, labels)
    if len(set(gold.key_points)) < 2:  # ARI of any partition against a single class is meaningless
        return None
    pos = {a: i for i, a in enumerate(ids)}
    ari, nmi = partition_scores(gold.key_points, pred[[pos[a] for a in gold.arg_ids]])
    return {"topic": key[0], "stance": int(key[1]), "ari": ari, "nmi": nmi, "n_args": len(ids),
            "n_scored": len(gold.arg_ids), "n_unmatched": gold.n_unmatched, "n_multi": gold.n_multi,
            "n_gold": len(set(gold.key_points)), "n_clusters": len(set(pred.tolist()) - {OUTLIER}),
            "n_outliers": int((pred == OUTLIER).sum())}


def fusion_vectors(emb: dict[str, np.ndarray], tfidf: dict[str, np.ndarray], alpha: float) -> dict[str, np.ndarray]:
    """[sqrt(a) e/|e|, sqrt(1-a) t/|t|]: cosine of two such vectors is a*cos_emb + (1-a)*cos_tfidf (when t != 0)."""
    def unit(v: np.ndarray) -> np.ndarray:
        return v / max(float(np.linalg.norm(v)), 1e-12)

    return {k: np.concatenate([np.sqrt(alpha) * unit(emb[k]), np.sqrt(1 - alpha) * unit(tfidf[k])]).astype(np.float32)
            for k in emb}


def best_temperature(split: KpaSplit, vecs: dict[str, np.ndarray]) -> dict:
    """The temperature (None = raw cosine) with the best strict mAP, and its scores."""
    return max(({"temperature": t, **score_matching(split, vecs, t)} for t in TEMPERATURES), key=lambda r: r["map_strict"])


def tuning_grid() -> list[ClustererOverrides]:
    """Candidate clusterers: HDBSCAN variants (UMAP shared) and agglomerative thresholds."""
    hdb = [ClustererOverrides(min_cluster_size=m, min_samples=s, cluster_selection_method=c, reduce_outliers=r)
           for m, s, c, r in itertools.product((5, 8, 10), (None, 2), ("eom", "leaf"), (False, True))]
    agg = [ClustererOverrides(method="agglomerative", distance_threshold=t, reduce_outliers=False)
           for t in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)]
    return hdb + agg


def tune_clusterer(split: KpaSplit, vecs: dict[str, np.ndarray], base: ClusterConfig, name: str) -> dict:
    """Macro ARI/NMI of every grid clusterer on one representation; the best by ARI."""
    grid = tuning_grid()
    per: list[list[dict]] = [[] for _ in grid]
    for key, ids, X in tqdm(groups(split, vecs), desc=f"tune {name}", disable=bool(os.environ.get("CI"))):
        for seed in base.argkp.seeds:
            reduced: dict[str, np.ndarray] = {}
            for i, ov in enumerate(grid):
                cfg = cluster_config(base, ov)
                reducer, clusterer = make_parts(cfg, len(X), seed)
                if ov.method not in reduced:  # UMAP depends only on the shared cluster settings and the seed
                    reduced[ov.method] = reducer.fit_transform(X)
                pred = np.asarray(clusterer.fit(reduced[ov.method]).labels_, dtype=int)
                pred = reassign_outliers(X, pred, cfg.outlier_threshold) if ov.reduce_outliers else pred
                if (row := score_partition(key, ids, pred, split.labels)) is not None:
                    per[i].append({**row, "seed": seed})
    rows = [{**ov.model_dump(), **summarize(r)} for ov, r in zip(grid, per, strict=True)]
    return {"best": max(rows, key=lambda r: r["ari"]), "grid": rows}


def finetune_grid(fit: KpaSplit, fit_vecs: dict[str, np.ndarray], held: KpaSplit, held_base: dict[str, np.ndarray],
                  cfg: ArgkpFinetuneConfig) -> list[dict]:
    """Held-out strict mAP (best temperature) of adapters trained on `fit` with each grid setting."""
    rows = []
    for loss, epochs, lr in itertools.product(*FINETUNE_GRID.values()):
        c = cfg.model_copy(update={"loss": loss, "epochs": epochs, "lr": lr})
        w, stats = train_adapter(fit_vecs, training_examples(fit, c), c)
        rows.append({"loss": loss, "epochs": epochs, "lr": lr, "seconds": stats["seconds"],
                     **best_temperature(held, adapt(held_base, w))})
    return rows


def tune(split: KpaSplit, reps: dict[str, dict[str, np.ndarray]], base: ClusterConfig) -> dict:
    """Per representation: clusterer grid and matching temperature; fusion weight chosen by strict mAP first."""
    out: dict = {}
    if "fusion" in reps:  # reps["fusion"] is a placeholder: rebuilt here at the chosen alpha
        alphas = [{"alpha": a, **best_temperature(split, fusion_vectors(reps["embedding"], reps["tfidf"], a))} for a in ALPHAS]
        best = max(alphas, key=lambda r: r["map_strict"])
        reps = {**reps, "fusion": fusion_vectors(reps["embedding"], reps["tfidf"], best["alpha"])}
        out["fusion_alpha"] = {"best": best, "grid": alphas}
    for name, vecs in reps.items():
        temps = [{"temperature": t, **score_matching(split, vecs, t)} for t in TEMPERATURES]
        out[name] = {**tune_clusterer(split, vecs, base, name),
                     "matching_best": max(temps, key=lambda r: r["map_strict"]), "matching_grid": temps}
    return out
