"""Persistent embedding cache: one folder per model identity, .npy shards plus a Parquet index.

Layout: <cache_dir>/<identity>/meta.json, shard-00000.npy, ..., index.parquet (text_sha256, shard,
row). An append writes a new shard (atomic rename), then a new index (atomic rename); a crash in
between leaves only an unindexed shard, never an index pointing at missing rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from pipeline.common.embedders import Embedder
from pipeline.common.storage import atomic_path, read_json, sha256_text, write_json

INDEX_SCHEMA = pa.schema([("text_sha256", pa.string()), ("shard", pa.int64()), ("row", pa.int64())])
_SHARD = re.compile(r"^shard-(\d+)\.npy$")


@dataclass(frozen=True)
class CacheStats:
    """What one lookup did: unique texts asked for, found, and newly embedded."""

    requested: int
    hits: int
    misses: int


class CacheError(ValueError):
    """The cache folder is inconsistent with the embedder (names the folder)."""


class EmbeddingCache:
    """Vectors of one model keyed by SHA-256 of the text."""

    def __init__(self, cache_dir: Path, identity: str, dim: int) -> None:
        self.dir = Path(cache_dir) / identity
        self.identity, self.dim = identity, dim
        self.dir.mkdir(parents=True, exist_ok=True)
        meta = self.dir / "meta.json"
        if meta.exists():
            m = read_json(meta)
            if m.get("identity") != identity or m.get("dim") != dim:
                raise CacheError(f"{meta}: cache is for {m}, not identity={identity} dim={dim}")
        else:
            write_json({"identity": identity, "dim": dim, "dtype": "float32"}, meta)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with (self.dir / ".lock").open("w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def index(self) -> pd.DataFrame:
        """The index: text_sha256 -> (shard, row)."""
        path = self.dir / "index.parquet"
        if not path.exists():
            return pd.DataFrame({"text_sha256": pd.Series(dtype=str), "shard": pd.Series(dtype="int64"), "row": pd.Series(dtype="int64")})
        return pq.read_table(path).to_pandas()

    def __len__(self) -> int:
        return len(self.index())

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        """Vectors for the keys present in the cache (missing keys are simply absent)."""
        idx = self.index()
        idx = idx[idx["text_sha256"].isin(set(keys))]
        out: dict[str, np.ndarray] = {}
        for shard, rows in idx.groupby("shard"):
            arr = np.load(self.dir / f"shard-{int(shard):05d}.npy", mmap_mode="r")
            for key, row in zip(rows["text_sha256"], rows["row"], strict=True):
                out[key] = np.array(arr[int(row)], dtype=np.float32)
        return out

    def put(self, keys: list[str], vectors: np.ndarray) -> None:
        """Append vectors for new keys as one shard, then publish them in the index."""
        if len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys but {len(vectors)} vectors")
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise CacheError(f"{self.dir}: vectors of shape {vectors.shape}, expected (n, {self.dim})")
        if not keys:
            return
        with self._lock():
            idx = self.index()
            known = set(idx["text_sha256"])
            keep = [i for i, k in enumerate(keys) if k not in known]
            if not keep:
                return
            used = [int(m.group(1)) for p in self.dir.iterdir() if (m := _SHARD.match(p.name))]
            shard = max(used, default=-1) + 1
            with atomic_path(self.dir / f"shard-{shard:05d}.npy") as tmp, tmp.open("wb") as f:
                np.save(f, np.ascontiguousarray(vectors[keep], dtype=np.float32))
            new = pd.DataFrame({"text_sha256": [keys[i] for i in keep], "shard": shard, "row": range(len(keep))})
            table = pa.Table.from_pandas(pd.concat([idx, new], ignore_index=True), schema=INDEX_SCHEMA, preserve_index=False)
            with atomic_path(self.dir / "index.parquet") as tmp:
                pq.write_table(table, tmp)


def embed_cached(
    texts: list[str], embedder: Embedder, cache: EmbeddingCache, batch_size: int, progress: bool = True
) -> tuple[np.ndarray, CacheStats]:
    """Embed texts through the cache: only unseen texts reach the embedder; rows follow `texts`."""
    keys = [sha256_text(t) for t in texts]
    unique = list(dict.fromkeys(keys))
    found = cache.get(unique)
    missing = [k for k in unique if k not in found]
    text_of = dict(zip(keys, texts, strict=True))
    step = max(1, batch_size) * 8  # one shard per few batches: progress is saved as it goes
    with tqdm(total=len(missing), desc="embed", unit="text", disable=not progress) as bar:
        for start in range(0, len(missing), step):
            chunk = missing[start:start + step]
            vecs = np.asarray(embedder.embed([text_of[k] for k in chunk]), dtype=np.float32)
            cache.put(chunk, vecs)
            found.update(zip(chunk, vecs, strict=True))
            bar.update(len(chunk))
    matrix = np.stack([found[k] for k in keys]) if keys else np.zeros((0, cache.dim), dtype=np.float32)
    return matrix.astype(np.float32, copy=False), CacheStats(len(unique), len(unique) - len(missing), len(missing))
