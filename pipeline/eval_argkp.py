"""`python -m pipeline evaluate argkp`: the pipeline's embeddings + clusterer on IBM ArgKP (KPA-2021),
against a TF-IDF baseline with the same clusterer. Prints JSON (see docs/clustering.md)."""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from pipeline.argkp_core import (
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
from pipeline.cluster_core import OUTLIER, cluster_labels, make_parts, reassign_outliers
from pipeline.config import ClusterConfig, ClustererOverrides, ConfigError, load_params

COLUMNS = {
    "arguments": ["arg_id", "argument", "topic", "stance"],
    "key_points": ["key_point_id", "key_point", "topic", "stance"],
    "labels": ["arg_id", "key_point_id", "label"],
}


class DataError(ValueError):
    """A benchmark file is missing or malformed (names the file)."""


def split_files(data_dir: Path, split: str) -> dict[str, Path]:
    """The three CSVs of a split, laid out as in IBM/KPA_2021_shared_task."""
    folder = data_dir / ("test_data" if split == "test" else "kpm_data")
    return {kind: folder / f"{kind}_{split}.csv" for kind in COLUMNS}


def load_split(data_dir: Path, split: str) -> KpaSplit:
    """Read and check one split."""
    frames = {}
    for kind, path in split_files(data_dir, split).items():
        if not path.is_file():
            raise DataError(f"{path}: file not found")
        df = pd.read_csv(path)
        missing = [c for c in COLUMNS[kind] if c not in df.columns]
        if missing:
            raise DataError(f"{path}: missing columns {missing} (line 1 is the header)")
        frames[kind] = df
    return KpaSplit(frames["arguments"], frames["key_points"], frames["labels"])


def cluster_config(base: ClusterConfig, ov: ClustererOverrides) -> ClusterConfig:
    """The pipeline's cluster settings with one representation's benchmark overrides."""
    agg = base.agglomerative.model_copy(update={"distance_threshold": ov.distance_threshold})
    keep = ov.model_dump(exclude={"distance_threshold"})
    return base.model_copy(update={**keep, "agglomerative": agg})


def groups(split: KpaSplit, vectors: dict[str, np.ndarray]) -> list[tuple[tuple, list[str], np.ndarray]]:
    """(topic+stance, argument ids, argument matrix) per group, in sorted order."""
    return [(key, args["arg_id"].tolist(), np.stack([vectors[a] for a in args["arg_id"]]))
            for key, args in split.arguments.groupby(GROUP, sort=True)]


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


def score_clustering(split: KpaSplit, vectors: dict[str, np.ndarray], cfg: ClusterConfig) -> list[dict]:
    """Cluster each topic+stance group's arguments (the pipeline's partition) and score it."""
    rows = [score_partition(key, ids, cluster_labels(X, cfg, cfg.seed), split.labels) for key, ids, X in groups(split, vectors)]
    return [r for r in rows if r is not None]


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


def texts_by_id(split: KpaSplit) -> dict[str, str]:
    """Every argument and key point text by id."""
    out = dict(zip(split.arguments["arg_id"], split.arguments["argument"].astype(str), strict=True))
    out.update(zip(split.key_points["key_point_id"], split.key_points["key_point"].astype(str), strict=True))
    return out


def tfidf_vectors(texts: dict[str, str], cfg: ClusterConfig) -> dict[str, np.ndarray]:
    """TF-IDF vectors (fit on all arguments and key points of the split): the baseline representation."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    a = cfg.argkp
    vec = TfidfVectorizer(stop_words=cfg.stop_words, sublinear_tf=a.tfidf_sublinear_tf, ngram_range=(1, a.tfidf_ngram_max))
    m = vec.fit_transform(list(texts.values())).toarray().astype(np.float32)
    return dict(zip(texts, m, strict=True))


def embedding_vectors(texts: dict[str, str], params_path: Path, cache_dir: Path | None) -> tuple[dict[str, np.ndarray], str]:
    """The pipeline's embeddings (embed section of params, through the persistent cache)."""
    from pipeline.embed_cache import EmbeddingCache, embed_cached
    from pipeline.embedders import make_embedder

    cfg = load_params(params_path).embed
    embedder = make_embedder(cfg)
    cache = EmbeddingCache(cache_dir or Path(cfg.cache_dir), embedder.identity, embedder.dim)
    m, _ = embed_cached(list(texts.values()), embedder, cache, cfg.batch_size, progress=not os.environ.get("CI"))
    return dict(zip(texts, m, strict=True)), embedder.identity


TEMPERATURES = (None, 5.0, 10.0, 20.0, 50.0, 100.0)


def tuning_grid() -> list[ClustererOverrides]:
    """Candidate clusterers: HDBSCAN variants (UMAP shared) and agglomerative thresholds."""
    hdb = [ClustererOverrides(min_cluster_size=m, min_samples=s, cluster_selection_method=c, reduce_outliers=r)
           for m, s, c, r in itertools.product((5, 8, 10), (None, 2), ("eom", "leaf"), (False, True))]
    agg = [ClustererOverrides(method="agglomerative", distance_threshold=t, reduce_outliers=False)
           for t in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)]
    return hdb + agg


def tune(split: KpaSplit, reps: dict[str, dict[str, np.ndarray]], base: ClusterConfig) -> dict:
    """Macro ARI/NMI of every grid clusterer per representation; the best by ARI (run on train)."""
    grid = tuning_grid()
    out = {}
    for name, vecs in reps.items():
        per: list[list[dict]] = [[] for _ in grid]
        for key, ids, X in tqdm(groups(split, vecs), desc=f"tune {name}", disable=bool(os.environ.get("CI"))):
            reduced: dict[str, np.ndarray] = {}
            for i, ov in enumerate(grid):
                cfg = cluster_config(base, ov)
                reducer, clusterer = make_parts(cfg, len(X), cfg.seed)
                if ov.method not in reduced:  # UMAP depends only on the shared cluster settings
                    reduced[ov.method] = reducer.fit_transform(X)
                pred = np.asarray(clusterer.fit(reduced[ov.method]).labels_, dtype=int)
                pred = reassign_outliers(X, pred, cfg.outlier_threshold) if ov.reduce_outliers else pred
                if (row := score_partition(key, ids, pred, split.labels)) is not None:
                    per[i].append(row)
        rows = [{**ov.model_dump(), **summarize(r)} for ov, r in zip(grid, per, strict=True)]
        temps = [{"temperature": t, **score_matching(split, vecs, t)} for t in TEMPERATURES]
        out[name] = {"best": max(rows, key=lambda r: r["ari"]), "grid": rows,
                     "matching_best": max(temps, key=lambda r: r["map_strict"]), "matching_grid": temps}
    return out


def evaluate(split: KpaSplit, reps: dict[str, dict[str, np.ndarray]], base: ClusterConfig) -> dict:
    """Per representation: clustering with its tuned overrides and with the cluster section as is; matching."""
    clustering, matching = {}, {}
    for name, vecs in reps.items():
        ov: ClustererOverrides = getattr(base.argkp, name)
        clustering[name] = {**ov.model_dump(), **summarize(score_clustering(split, vecs, cluster_config(base, ov)))}
        clustering[f"{name}_untuned"] = {"method": base.method, **summarize(score_clustering(split, vecs, base))}
        temperature = base.argkp.match_temperature if name == "embedding" else base.argkp.tfidf_match_temperature
        matching[name] = score_matching(split, vecs)
        matching[f"{name}_softmax"] = {"temperature": temperature, **score_matching(split, vecs, temperature)}
    return {"clustering": clustering, "matching": matching}


def counts(split: KpaSplit) -> dict[str, int]:
    """How many arguments have 0, 1 or 2+ matching key points."""
    pos = split.labels[split.labels["label"] == 1].groupby("arg_id").size()
    n = len(split.arguments)
    return {"arguments": n, "single_matched": int((pos == 1).sum()), "multi_matched": int((pos > 1).sum()),
            "unmatched": n - len(pos), "groups": int(split.arguments.groupby(GROUP).ngroups)}


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(prog="python -m pipeline evaluate argkp", description=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="folder laid out as IBM/KPA_2021_shared_task")
    ap.add_argument("--split", choices=("train", "dev", "test"), default="dev")
    ap.add_argument("--params", type=Path, default=Path("params.yaml"))
    ap.add_argument("--cache-dir", type=Path, default=None, help="overrides embed.cache_dir")
    ap.add_argument("--tune", action="store_true", help="grid-search the clusterer per representation (use on train)")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    return ap.parse_args(argv)


def run(args: argparse.Namespace, embed: Callable[..., tuple[dict[str, np.ndarray], str]] = embedding_vectors) -> dict:
    """Load the split, build both representations, evaluate (or tune)."""
    base = load_params(args.params).cluster
    split = load_split(args.data, args.split)
    texts = texts_by_id(split)
    emb, identity = embed(texts, args.params, args.cache_dir)
    reps = {"embedding": emb, "tfidf": tfidf_vectors(texts, base)}
    result = {"split": args.split, "data": str(args.data), "embedding_model": identity, "counts": counts(split),
              "protocol": {
                  "clustering": "per topic+stance; all arguments clustered; ARI/NMI (macro over groups with >= 2 "
                                "gold key points) on arguments with exactly one matching key point; outliers "
                                "(after any reassignment) count as singletons",
                  "matching": "best key point per argument by cosine (<name>_softmax: softmax over the group's "
                              "key points, temperature tuned on train); KPA-2021 AP on top 50% per group; "
                              "undecided pairs wrong (strict) / right (relaxed)"}}
    if args.tune:
        result["tuning"] = tune(split, reps, base)
    else:
        result.update(evaluate(split, reps, base))
    return result


def main(argv: list[str]) -> int:
    """Run and print JSON."""
    args = parse_args(argv)
    try:
        result = run(args)
    except (ConfigError, DataError) as e:
        sys.stderr.write(f"evaluate argkp: {e}\n")
        return 1
    text = json.dumps(result, indent=2, sort_keys=True)
    sys.stdout.write(text + "\n")
    if args.out:
        from pipeline.io import write_json

        write_json(result, args.out)
    return 0
