"""The ArgKP benchmark: the pipeline's embeddings (optionally with an adapter fine-tuned on
ArgKP train), a fusion with TF-IDF, and a TF-IDF baseline, each clustered and matched on IBM ArgKP
(KPA-2021). Prints JSON (see docs/clustering.md)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.config import (
    ClusterConfig,
    ClustererOverrides,
    Params,
    load_params,
)
from pipeline.evaluation.argkp.scoring import GROUP, KpaSplit, summarize
from pipeline.evaluation.argkp.tune import (
    cluster_config,
    fusion_vectors,
    groups,
    score_matching,
    score_partition,
    tune,
)
from pipeline.topics.clustering import cluster_labels

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


def score_clustering(split: KpaSplit, vectors: dict[str, np.ndarray], cfg: ClusterConfig,
                     seeds: list[int]) -> list[dict]:
    """Cluster each topic+stance group's arguments (the pipeline's partition) once per seed and score it."""
    rows = [(seed, score_partition(key, ids, cluster_labels(X, cfg, seed), split.labels))
            for key, ids, X in groups(split, vectors) for seed in seeds]
    return [{**r, "seed": seed} for seed, r in rows if r is not None]


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


def embedding_vectors(texts: dict[str, str], params_path: Path, cache_dir: Path | None,
                      model: str | None = None) -> tuple[dict[str, np.ndarray], str]:
    """The pipeline's embeddings (embed section of params, `model` overriding embed.model; persistent cache)."""
    from pipeline.common.embedders import make_embedder
    from pipeline.embed.cache import EmbeddingCache, embed_cached

    cfg = load_params(params_path).embed
    cfg = cfg.model_copy(update={"model": model}) if model else cfg
    embedder = make_embedder(cfg)
    cache = EmbeddingCache(cache_dir or Path(cfg.cache_dir), embedder.identity, embedder.dim)
    m, _ = embed_cached(list(texts.values()), embedder, cache, cfg.batch_size, progress=not os.environ.get("CI"))
    return dict(zip(texts, m, strict=True)), embedder.identity


def settings(base: ClusterConfig, name: str) -> tuple[ClustererOverrides, float | None]:
    """A representation's tuned clusterer overrides and matching temperature."""
    a = base.argkp
    return {"embedding": (a.embedding, a.match_temperature), "embedding_base": (a.base_embedding, a.base_match_temperature),
            "tfidf": (a.tfidf, a.tfidf_match_temperature), "fusion": (a.fusion, a.fusion_match_temperature)}[name]


def score_representations(split: KpaSplit, reps: dict[str, dict[str, np.ndarray]], base: ClusterConfig) -> dict:
    """Per representation: clustering with its tuned overrides (and the cluster section as is); matching."""
    clustering, matching = {}, {}
    for name, vecs in reps.items():
        ov, temperature = settings(base, name)
        seeds = base.argkp.seeds
        clustering[name] = {**ov.model_dump(), **summarize(score_clustering(split, vecs, cluster_config(base, ov), seeds))}
        if name in ("embedding", "tfidf"):
            clustering[f"{name}_untuned"] = {"method": base.method, **summarize(score_clustering(split, vecs, base, seeds))}
        matching[name] = score_matching(split, vecs)
        matching[f"{name}_softmax"] = {"temperature": temperature, **score_matching(split, vecs, temperature)}
    return {"clustering": clustering, "matching": matching}


def counts(split: KpaSplit) -> dict[str, int]:
    """How many arguments have 0, 1 or 2+ matching key points."""
    pos = split.labels[split.labels["label"] == 1].groupby("arg_id").size()
    n = len(split.arguments)
    return {"arguments": n, "single_matched": int((pos == 1).sum()), "multi_matched": int((pos > 1).sum()),
            "unmatched": n - len(pos), "groups": int(split.arguments.groupby(GROUP).ngroups)}


def finetuned_reps(args: argparse.Namespace, params: Params, split: KpaSplit, texts: dict[str, str],
                   embed: Callable[..., tuple[dict[str, np.ndarray], str]]) -> tuple[KpaSplit, dict, dict]:
    """Fine-tune on train (minus held-out topics when evaluating train), then embed with both models."""
    from pipeline.common.embedders import resolve_model_path
    from pipeline.evaluation.argkp.finetune import ensure_finetuned, topic_folds
    from pipeline.evaluation.argkp.tune import finetune_grid

    ft = params.cluster.argkp.finetune
    fit = split if args.split == "train" else load_split(args.data, "train")
    held = None
    if args.split == "train":
        fit, held = topic_folds(split, ft.holdout_topics, ft.seed)
        split, texts = held, texts_by_id(held)
    fit_texts = texts_by_id(fit)
    fit_vecs, base_identity = embed(fit_texts, args.params, args.cache_dir)
    record = ensure_finetuned(fit, fit_vecs, ft, resolve_model_path(params.embed.model), base_identity,
                              args.finetune_dir, fit_texts)
    base_vecs, _ = embed(texts, args.params, args.cache_dir)
    vecs, identity = embed(texts, args.params, args.cache_dir, model=str(args.finetune_dir))
    info = {"model_dir": str(args.finetune_dir), "identity": identity, "base_identity": base_identity,
            "fit_topics": len(record["topics"]), "reused": record["reused"], "settings": record["settings"],
            "train": record["train"], "train_seconds": record.get("train_seconds")}
    if held is not None and args.tune and ft.mode == "adapter":
        info["grid"] = finetune_grid(fit, fit_vecs, held, base_vecs, ft)
    return split, {"embedding": vecs, "embedding_base": base_vecs}, info


def run_benchmark(args: argparse.Namespace, params: Params,
                  embed: Callable[..., tuple[dict[str, np.ndarray], str]] = embedding_vectors) -> dict:
    """Load the split, build the representations, evaluate (or tune)."""
    base = params.cluster
    split = load_split(args.data, args.split)
    texts = texts_by_id(split)
    use_ft = base.argkp.finetune.enabled if args.finetune is None else args.finetune
    if use_ft:
        split, reps, finetune = finetuned_reps(args, params, split, texts, embed)
        texts = texts_by_id(split)
    else:
        emb, identity = embed(texts, args.params, args.cache_dir)
        reps, finetune = {"embedding": emb}, {"identity": identity}
    reps["tfidf"] = tfidf_vectors(texts, base)
    reps["fusion"] = fusion_vectors(reps["embedding"], reps["tfidf"], base.argkp.fusion_alpha)
    result = {"split": args.split, "data": str(args.data), "embedding_model": finetune["identity"],
              "finetune": finetune if use_ft else None, "counts": counts(split),
              "protocol": {
                  "representations": "embedding = the pipeline's embedder (fine-tuned on ArgKP train when "
                                     "`finetune` is set; embedding_base = the same encoder before fine-tuning); "
                                     "tfidf = baseline; fusion = alpha * embedding cosine + (1 - alpha) * TF-IDF "
                                     f"cosine (alpha {base.argkp.fusion_alpha}, chosen on train): uses TF-IDF inside",
                  "clustering": "per topic+stance; all arguments clustered; ARI/NMI (macro over groups with >= 2 "
                                "gold key points) on arguments with exactly one matching key point; outliers "
                                "(after any reassignment) count as singletons",
                  "matching": "best key point per argument by cosine (<name>_softmax: softmax over the group's "
                              "key points, temperature tuned on train); KPA-2021 AP on top 50% per group; "
                              "undecided pairs wrong (strict) / right (relaxed)",
                  "tuning": "every choice on train; with fine-tuning, on train topics held out from it "
                            "(split=train then reports those topics only)"}}
    if args.tune:
        result["tuning"] = tune(split, reps, base)
    else:
        result.update(score_representations(split, reps, base))
    return result
