"""Stage `embed`: sentence embeddings of argument units through the persistent cache."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import ConfigError, EmbedConfig, load_params
from pipeline.embed_cache import CacheStats, EmbeddingCache, embed_cached
from pipeline.embedders import Embedder, EmbedderError, make_embedder
from pipeline.io import read_table, sha256_text, write_json, write_table
from pipeline.schema import EMBEDDINGS, UNITS, empty_frame


def embeddings_frame(units: pd.DataFrame, vectors: np.ndarray) -> pd.DataFrame:
    """The embeddings table for `units` (rows in unit order) and their vectors."""
    if len(units) != len(vectors):
        raise ValueError(f"{len(units)} units but {len(vectors)} vectors")
    if units.empty:
        return empty_frame(EMBEDDINGS)
    return pd.DataFrame({
        "corpus": units["corpus"].to_numpy(),
        "unit_id": units["unit_id"].to_numpy(),
        "text_sha256": [sha256_text(t) for t in units["text"]],
        "vector": list(np.asarray(vectors, dtype=np.float32)),
    })


def vectors_of(embeddings: pd.DataFrame) -> np.ndarray:
    """The (n, dim) float32 matrix of an embeddings table, in row order."""
    if embeddings.empty:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([np.asarray(v, dtype=np.float32) for v in embeddings["vector"]])


def embed_units(
    units: pd.DataFrame, embedder: Embedder, cache: EmbeddingCache, cfg: EmbedConfig, progress: bool = True
) -> tuple[pd.DataFrame, CacheStats]:
    """Embed each unit's text (only texts unseen by the cache reach the model)."""
    vectors, stats = embed_cached(units["text"].tolist(), embedder, cache, cfg.batch_size, progress)
    return embeddings_frame(units, vectors), stats


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options (every path passed in)."""
    ap = argparse.ArgumentParser(prog="python -m pipeline embed", description=__doc__)
    ap.add_argument("--units", type=Path, required=True, help="units table (Parquet)")
    ap.add_argument("--params", type=Path, default=Path("params.yaml"))
    ap.add_argument("--out", type=Path, required=True, help="embeddings table (Parquet)")
    ap.add_argument("--metrics", type=Path, required=True, help="metrics JSON")
    ap.add_argument("--cache-dir", type=Path, default=None, help="overrides embed.cache_dir")
    return ap.parse_args(argv)


def main(argv: list[str]) -> int:
    """Load units, embed through the cache, write embeddings and metrics."""
    args = parse_args(argv)
    try:
        cfg = load_params(args.params).embed
        units = read_table(args.units, UNITS)
        embedder = make_embedder(cfg)
    except (ConfigError, EmbedderError, ValueError, FileNotFoundError) as e:
        sys.stderr.write(f"embed: {e}\n")
        return 1
    cache = EmbeddingCache(args.cache_dir or Path(cfg.cache_dir), embedder.identity, embedder.dim)
    t0 = time.perf_counter()
    table, stats = embed_units(units, embedder, cache, cfg, progress=not os.environ.get("CI"))
    write_table(table, EMBEDDINGS, args.out)
    write_json({
        "n_units": len(units), "unique_texts": stats.requested, "cache_hits": stats.hits,
        "cache_misses": stats.misses, "model_identity": embedder.identity, "dim": embedder.dim,
        "seconds": round(time.perf_counter() - t0, 2),
    }, args.metrics)
    sys.stderr.write(f"embed: {len(units)} units, {stats.hits} cache hits, {stats.misses} embedded "
                     f"({embedder.identity})\n")
    return 0
