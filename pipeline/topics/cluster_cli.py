"""`python -m pipeline cluster`: consensus topics over the unit embeddings (several seeded runs combined), described by
BERTopic -> topic tables, figures, saved model, metrics of the topics and of the runs."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.config import ClusterConfig, EmbedConfig, Params
from pipeline.common.engine import open_engine
from pipeline.common.schema import (
    EMBEDDINGS,
    PROBLEMS,
    TOPIC_HIERARCHY,
    TOPIC_SHARES,
    TOPICS,
    UNIT_TOPICS,
    UNITS,
)
from pipeline.common.stage import EXIT_INPUT, command_parser, run_command
from pipeline.common.storage import read_table, write_json, write_table, write_text
from pipeline.topics.clustering import units_with_vectors
from pipeline.topics.runs import RunSpec
from pipeline.topics.topic_model import fit_topic_model

FIGURES = ("topics_map", "topics_barchart", "topics_hierarchy")




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


def parser() -> argparse.ArgumentParser:
    """Command-line options (every path passed in from dvc.yaml)."""
    ap = command_parser("cluster", __doc__)
    ap.add_argument("--units", type=Path, required=True)
    ap.add_argument("--embeddings", type=Path, required=True)
    ap.add_argument("--unit-topics", type=Path, required=True)
    ap.add_argument("--topics", type=Path, required=True)
    ap.add_argument("--hierarchy", type=Path, required=True)
    ap.add_argument("--shares", type=Path, required=True)
    ap.add_argument("--figures-dir", type=Path, required=True, help="folder for <figure>.json (plotly)")
    ap.add_argument("--model-dir", type=Path, required=True, help="BERTopic safetensors folder")
    ap.add_argument("--problems", type=Path, required=True, help="problems table (units left out)")
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--runs-metrics", type=Path, required=True,
                    help="metrics of the clustering runs behind the consensus (their agreement; the validation page)")
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Load, find the consensus topics, write every output."""
    cfg = params.cluster
    units, X, problems = units_with_vectors(read_table(args.units, UNITS), read_table(args.embeddings, EMBEDDINGS),
                                            args.embeddings)
    if len(units) < 3 * cfg.min_cluster_size:
        sys.stderr.write(f"cluster: {args.units} has {len(units)} units, too few to cluster\n")
        return EXIT_INPUT
    write_table(problems, PROBLEMS, args.problems)
    with contextlib.ExitStack() as stack:  # the engine starts only if the runs are handed to it (a large corpus)
        def on_engine(fn: Callable[[RunSpec], np.ndarray], specs: list[RunSpec]) -> list[np.ndarray]:
            engine = stack.enter_context(open_engine(params.engine))
            return list(engine.imap(fn, specs, len(specs), "topic runs", "run"))

        res = fit_topic_model(units, X, cfg, on_engine)
    write_table(res.unit_topics, UNIT_TOPICS, args.unit_topics)
    write_table(res.topics, TOPICS, args.topics)
    write_table(res.hierarchy, TOPIC_HIERARCHY, args.hierarchy)
    write_table(res.shares, TOPIC_SHARES, args.shares)
    figs = figures(res.model, res.n_topics, res.raw_hierarchy, cfg) if res.model is not None else dict.fromkeys(FIGURES)
    for name, fig in figs.items():
        target = args.figures_dir / f"{name}.json"
        if fig is None:
            target.unlink(missing_ok=True)
        else:
            write_text(fig, target)
    if res.model is not None:
        args.model_dir.parent.mkdir(parents=True, exist_ok=True)
        save_model(res.model, args.model_dir, params.embed)
    write_json({**res.metrics, "n_units_without_embedding": len(problems),
                "figures": sorted(k for k, v in figs.items() if v is not None)}, args.metrics)
    write_json(res.runs, args.runs_metrics)
    m = res.metrics
    sys.stderr.write(f"cluster: {len(units)} units -> {res.n_topics} consensus topics over {m['runs']} runs "
                     f"(single runs {m['runs_n_topics']['min']}-{m['runs_n_topics']['max']}), outliers "
                     f"{m['outlier_share']:.1%}\n")
    return 0


def main(argv: list[str]) -> int:
    """Run the cluster stage."""
    return run_command("cluster", argv, parser(), run)
