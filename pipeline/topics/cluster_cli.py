"""Stage `cluster`: BERTopic over the unit embeddings -> topic tables, figures, saved model, metrics."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.config import ClusterConfig, ConfigError, EmbedConfig, load_params
from pipeline.common.schema import (
    EMBEDDINGS,
    PROBLEMS,
    TOPIC_HIERARCHY,
    TOPIC_SHARES,
    TOPICS,
    UNIT_TOPICS,
    UNITS,
    make_table,
)
from pipeline.common.storage import read_table, write_json, write_table, write_text
from pipeline.embed.embed_cli import vectors_of
from pipeline.topics.clustering import (
    OUTLIER,
    fit_topics,
    hierarchy_frame,
    min_cluster_size_for,
    shares_frame,
    topics_frame,
    unit_topics_frame,
)

FIGURES = ("topics_map", "topics_barchart", "topics_hierarchy")


def align(units: pd.DataFrame, embeddings: pd.DataFrame, emb_path: Path) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Units that have an embedding, their matrix in unit order, and a problems row per unit without one."""
    emb = embeddings.drop_duplicates("unit_id").set_index("unit_id")
    has = units["unit_id"].isin(emb.index)
    problems = make_table([{"corpus": r.corpus, "source": str(emb_path), "location": r.unit_id, "stage": "cluster",
                       "reason": "missing-embedding",
                       "detail": f"{emb_path}: no embedding for unit {r.unit_id}; left out of clustering"}
                      for r in units[~has].itertuples()], PROBLEMS)
    kept = units[has].reset_index(drop=True)
    return kept, vectors_of(emb.loc[kept["unit_id"]].reset_index()), problems


def figures(model: Any, n_topics: int, hierarchy: pd.DataFrame | None, cfg: ClusterConfig) -> dict[str, str | None]:
    """BERTopic's figures as plotly JSON; None where there are too few topics for the figure."""
    out: dict[str, str | None] = dict.fromkeys(FIGURES)
    if n_topics >= 1:
        out["topics_barchart"] = model.visualize_barchart(top_n_topics=n_topics, n_words=min(cfg.top_n_words, 8)).to_json()
    if n_topics >= 3:  # the intertopic map runs UMAP over topic embeddings
        out["topics_map"] = model.visualize_topics().to_json()
    if n_topics >= 2 and hierarchy is not None:
        out["topics_hierarchy"] = model.visualize_hierarchy(hierarchical_topics=hierarchy).to_json()
    return out


def save_model(model: Any, path: Path, embed_cfg: EmbedConfig) -> None:
    """Save BERTopic as safetensors (with c-TF-IDF), pointing at the embedding model's folder."""
    from pipeline.common.embedders import resolve_model_path
    from pipeline.common.storage import replace_dir

    pointer: str | bool = str(resolve_model_path(embed_cfg.model)) if embed_cfg.backend == "sentence-transformers" else False
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(str(tmp), serialization="safetensors", save_ctfidf=True, save_embedding_model=pointer)
    replace_dir(tmp, path)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options (every path passed in)."""
    ap = argparse.ArgumentParser(prog="python -m pipeline cluster", description=__doc__)
    ap.add_argument("--units", type=Path, required=True)
    ap.add_argument("--embeddings", type=Path, required=True)
    ap.add_argument("--params", type=Path, default=Path("params.yaml"))
    ap.add_argument("--unit-topics", type=Path, required=True)
    ap.add_argument("--topics", type=Path, required=True)
    ap.add_argument("--hierarchy", type=Path, required=True)
    ap.add_argument("--shares", type=Path, required=True)
    ap.add_argument("--figures-dir", type=Path, required=True, help="folder for <figure>.json (plotly)")
    ap.add_argument("--model-dir", type=Path, required=True, help="BERTopic safetensors folder")
    ap.add_argument("--problems", type=Path, required=True, help="problems table (units left out)")
    ap.add_argument("--metrics", type=Path, required=True)
    return ap.parse_args(argv)


def main(argv: list[str]) -> int:
    """Load, fit, write every output."""
    args = parse_args(argv)
    try:
        params = load_params(args.params)
        cfg = params.cluster
        units, X, problems = align(read_table(args.units, UNITS), read_table(args.embeddings, EMBEDDINGS), args.embeddings)
    except (ConfigError, ValueError, FileNotFoundError) as e:
        sys.stderr.write(f"cluster: {e}\n")
        return 1
    if len(units) < 3 * cfg.min_cluster_size:
        sys.stderr.write(f"cluster: {args.units} has {len(units)} units, too few to cluster\n")
        return 1
    write_table(problems, PROBLEMS, args.problems)
    texts = units["text"].tolist()
    fit = fit_topics(texts, X, cfg, cfg.seed)
    n_topics = len(set(fit.topics.tolist()) - {OUTLIER})
    raw_hier = fit.model.hierarchical_topics(texts) if n_topics >= 2 else None
    unit_topics = unit_topics_frame(units, fit)
    write_table(unit_topics, UNIT_TOPICS, args.unit_topics)
    topics = topics_frame(units, X, fit, cfg.n_representatives)
    write_table(topics, TOPICS, args.topics)
    write_table(hierarchy_frame(raw_hier), TOPIC_HIERARCHY, args.hierarchy)
    write_table(shares_frame(unit_topics), TOPIC_SHARES, args.shares)
    figs = figures(fit.model, n_topics, raw_hier, cfg)
    for name, fig in figs.items():
        target = args.figures_dir / f"{name}.json"
        if fig is None:
            target.unlink(missing_ok=True)
        else:
            write_text(fig, target)
    args.model_dir.parent.mkdir(parents=True, exist_ok=True)
    save_model(fit.model, args.model_dir, params.embed)
    sizes = topics.loc[topics["topic"] != OUTLIER, "size"]
    write_json({
        "n_units": len(units), "n_units_without_embedding": len(problems), "n_topics": n_topics, "method": cfg.method, "seed": cfg.seed,
        "min_cluster_size": min_cluster_size_for(cfg, len(units)),
        "outlier_share": round(float(fit.outlier.mean()), 4),
        "outlier_share_final": round(float((fit.topics == OUTLIER).mean()), 4),
        "largest_topic_share": round(float(sizes.max() / len(units)), 4) if len(sizes) else 0.0,
        "smallest_topic_size": int(sizes.min()) if len(sizes) else 0,
        "figures": sorted(k for k, v in figs.items() if v is not None),
    }, args.metrics)
    sys.stderr.write(f"cluster: {len(units)} units -> {n_topics} topics, outliers {fit.outlier.mean():.1%}\n")
    return 0
