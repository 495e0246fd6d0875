"""The embed stage's core: unit embeddings through the persistent cache, one model load per worker process."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.config import EmbedConfig
from pipeline.common.embedders import Embedder, make_embedder
from pipeline.common.engine import Engine
from pipeline.common.schema import EMBEDDINGS, UNITS, empty_frame
from pipeline.common.storage import (
    TableWriter,
    iter_row_groups,
    sha256_text,
)
from pipeline.embed.cache import CacheStats, EmbeddingCache


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


# --- partitioned run (issue 9): one model load per worker process, never per task ---

_EMBEDDERS: dict[EmbedConfig, Embedder] = {}
LOADS = {"count": 0}  # embedders built in this process (tests check one per worker)


def worker_embedder(cfg: EmbedConfig) -> Embedder:
    """The embedder for `cfg`, built once per process and reused by every task that runs there."""
    if cfg not in _EMBEDDERS:
        _EMBEDDERS[cfg] = make_embedder(cfg)
        LOADS["count"] += 1
    return _EMBEDDERS[cfg]


def embed_texts(texts: list[str], cfg: EmbedConfig) -> np.ndarray:
    """Embed texts with this process's embedder (the per-partition task; no texts, no model load)."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.asarray(worker_embedder(cfg).embed(texts), dtype=np.float32)


def embed_to(units_path: Path, out: Path, cfg: EmbedConfig, cache: EmbeddingCache, engine: Engine,
             size: int) -> CacheStats:
    """Embed the units table partition by partition: hits come from the cache, each partition's unseen
    texts go to the engine as one task; the embeddings table is written in chunks, in unit order."""
    seen: set[str] = set()
    embedded: set[str] = set()
    pending: deque[tuple[pd.DataFrame, list[str], dict[str, np.ndarray], list[str]]] = deque()

    def texts() -> Iterator[list[str]]:
        for df in iter_row_groups(units_path, UNITS):
            for lo in range(0, len(df), max(1, size)):
                units = df.iloc[lo:lo + max(1, size)]
                keys = [sha256_text(t) for t in units["text"]]
                unique = list(dict.fromkeys(keys))
                found = cache.get(unique)
                missing = [k for k in unique if k not in found]
                seen.update(unique)
                text_of = dict(zip(keys, units["text"], strict=True))
                pending.append((units, keys, found, missing))
                yield [text_of[k] for k in missing]

    with TableWriter(EMBEDDINGS, out, size) as writer:
        for vecs in engine.imap(partial(embed_texts, cfg=cfg), texts(), desc="embed", unit="part"):
            units, keys, found, missing = pending.popleft()
            cache.put(missing, vecs.reshape(len(missing), cache.dim))
            found.update(zip(missing, vecs, strict=True))
            embedded.update(missing)
            matrix = np.stack([found[k] for k in keys]) if keys else np.zeros((0, cache.dim), dtype=np.float32)
            writer.write(embeddings_frame(units, matrix))
    return CacheStats(len(seen), len(seen) - len(embedded), len(embedded))
