"""`python -m pipeline embed`: sentence embeddings of argument units through the persistent cache."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipeline.common.config import Params
from pipeline.common.embedders import EmbedderError
from pipeline.common.engine import open_engine
from pipeline.common.environment import environment
from pipeline.common.stage import EXIT_USAGE, command_parser, run_command
from pipeline.common.storage import count_rows, write_json
from pipeline.embed.cache import EmbeddingCache
from pipeline.embed.embedding import embed_to, worker_embedder


def parser() -> argparse.ArgumentParser:
    """Command-line options (every path passed in from dvc.yaml)."""
    ap = command_parser("embed", __doc__)
    ap.add_argument("--units", type=Path, required=True, help="units table (Parquet)")
    ap.add_argument("--out", type=Path, required=True, help="embeddings table (Parquet)")
    ap.add_argument("--metrics", type=Path, required=True, help="metrics JSON")
    ap.add_argument("--cache-dir", type=Path, default=None, help="overrides embed.cache_dir")
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Load units, embed through the cache, write embeddings and metrics."""
    cfg = params.embed
    n_units = count_rows(args.units)
    try:
        embedder = worker_embedder(cfg)
    except EmbedderError as e:  # the configured model cannot be loaded: a configuration error
        sys.stderr.write(f"embed: {e}\n")
        return EXIT_USAGE
    cache = EmbeddingCache(args.cache_dir or Path(cfg.cache_dir), embedder.identity, embedder.dim)
    t0 = time.perf_counter()
    # Locally, torch already uses every core in one process: a process pool would only load the model again.
    ecfg = params.engine if params.engine.kind == "dask" else params.engine.model_copy(update={"n_workers": 1})
    with open_engine(ecfg) as engine:
        stats = embed_to(args.units, args.out, cfg, cache, engine, params.engine.partition_size)
    write_json({
        "n_units": n_units, "unique_texts": stats.requested, "cache_hits": stats.hits,
        "cache_misses": stats.misses, "model_identity": embedder.identity, "dim": embedder.dim,
        "seconds": round(time.perf_counter() - t0, 2), "environment": environment(),
    }, args.metrics)
    sys.stderr.write(f"embed: {n_units} units, {stats.hits} cache hits, {stats.misses} embedded "
                     f"({embedder.identity})\n")
    return 0


def main(argv: list[str]) -> int:
    """Run the embed stage."""
    return run_command("embed", argv, parser(), run)
