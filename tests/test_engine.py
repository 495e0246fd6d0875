"""Engines (issue 9): the stages run partition by partition, locally or on Dask, with identical tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from seed_stages import CODEBOOK, ROOT, seed_tables

from pipeline.common.config import EmbedConfig, EngineConfig
from pipeline.common.engine import LocalEngine, map_partitions, open_engine, partitions_by_key
from pipeline.common.schema import (
    CLEAN_UTTERANCES,
    DOCUMENTS,
    EMBEDDINGS,
    PARTICIPANTS,
    PROBLEMS,
    REMOVALS,
    UNITS,
    UTTERANCES,
    Table,
)
from pipeline.common.storage import read_table, write_table

PART = 7  # small partitions: the seeds' 5 documents and 66 utterances span several partitions and row groups


def run_chain(tmp: Path, engine_cfg: EngineConfig, embed: bool = False) -> dict[str, pd.DataFrame]:
    """ingest -> clean -> attribute -> segment (-> embed with the hashing backend) on the seeds."""
    from pipeline.common.concepts import load_forms
    from pipeline.common.config import load_yaml
    from pipeline.embed.cache import EmbeddingCache
    from pipeline.embed.embed_cli import embed_to
    from pipeline.ingest.reading import TABLES_OUT, read_corpora_to
    from pipeline.prepare.partitioned import attribute_to, clean_to, segment_to

    params = seed_tables()["params"]
    seeds = tuple(c for c in params.corpora if c.name == "seeds")
    paths = {k: tmp / f"{k}.parquet" for k in TABLES_OUT}
    forms = load_forms(load_yaml(CODEBOOK)["concepts"], str(CODEBOOK))
    out: dict[str, pd.DataFrame] = {}
    with open_engine(engine_cfg) as engine:
        read_corpora_to(seeds, params.ingest, ROOT, paths, engine, PART)
        out["clean_metrics"] = clean_to(paths["utterances"], tmp / "clean.parquet", tmp / "removals.parquet",
                                        params.clean, engine, PART)
        out["attribute_metrics"], out["participants"] = attribute_to(tmp / "clean.parquet", paths["documents"], tmp / "attr.parquet",
                                                 params.attribute, params.clean, engine, PART)
        out["segment_metrics"] = segment_to(tmp / "attr.parquet", ROOT, tmp / "units.parquet", tmp / "sp.parquet",
                                            forms, params.segment, engine, PART)
        if embed:
            cfg = EmbedConfig(backend="hashing", hashing_dim=32)
            cache = EmbeddingCache(tmp / "cache", "hashing-test", 32)
            out["embed_stats"] = embed_to(tmp / "units.parquet", tmp / "emb.parquet", cfg, cache, engine, PART)
            out["embeddings"] = read_table(tmp / "emb.parquet", EMBEDDINGS)
            if engine.kind == "dask":
                out["loads"] = engine.run_on_workers(_loads)  # type: ignore[attr-defined]
    for k, p in {**paths, "clean": tmp / "clean.parquet", "removals": tmp / "removals.parquet",
                 "attributed": tmp / "attr.parquet", "units": tmp / "units.parquet",
                 "segment_problems": tmp / "sp.parquet"}.items():
        out[k] = read_table(p)
    return out


def _loads() -> int:
    from pipeline.embed.embedding import LOADS

    return LOADS["count"]


def on_disk(df: pd.DataFrame, table: Table, path: Path) -> pd.DataFrame:
    """What the in-memory stage wrote: the frame written with write_table and read back."""
    write_table(df, table, path)
    return read_table(path)


def test_partitioned_local_equals_in_memory(tmp_path):
    ref = seed_tables()
    got = run_chain(tmp_path, EngineConfig(kind="local", partition_size=PART))
    for name, expected, table in (
            ("documents", ref["documents"], DOCUMENTS), ("utterances", ref["utterances"], UTTERANCES),
            ("clean", ref["clean"].utterances, CLEAN_UTTERANCES), ("removals", ref["clean"].removals, REMOVALS),
            ("attributed", ref["attributed"], CLEAN_UTTERANCES), ("participants", ref["participants"], PARTICIPANTS),
            ("units", ref["units"], UNITS), ("segment_problems", ref["segment_problems"], PROBLEMS)):
        pd.testing.assert_frame_equal(got[name], on_disk(expected, table, tmp_path / f"ref_{name}.parquet"), obj=name)
    assert got["clean_metrics"] == ref["clean"].metrics
    assert got["segment_metrics"] == ref["segment_metrics"]
    from pipeline.prepare.attribution import attribute_metrics

    assert got["attribute_metrics"] == attribute_metrics(ref["attributed"], ref["participants"])
    assert len(got["units"]) == 494 and got["clean_metrics"]["seeds"]["utterance_invariant_holds"]


@pytest.mark.slow
def test_dask_equals_local_and_loads_one_embedder_per_worker(tmp_path):
    local = run_chain(tmp_path / "local", EngineConfig(kind="local", partition_size=PART), embed=True)
    dask = run_chain(tmp_path / "dask", EngineConfig(kind="dask", n_workers=2, partition_size=PART), embed=True)
    for name in ("documents", "utterances", "problems", "skipped", "clean", "removals", "attributed",
                 "participants", "units", "segment_problems"):
        pd.testing.assert_frame_equal(dask[name], local[name], obj=name)
    assert dask["clean_metrics"] == local["clean_metrics"] and dask["segment_metrics"] == local["segment_metrics"]
    pd.testing.assert_frame_equal(dask["embeddings"].drop(columns="vector"), local["embeddings"].drop(columns="vector"))
    np.testing.assert_array_equal(np.stack(dask["embeddings"]["vector"]), np.stack(local["embeddings"]["vector"]))
    assert dask["embed_stats"] == local["embed_stats"]
    assert sorted(dask["loads"].values()) == [1, 1]  # 2 workers, 71 partitions' tasks, one model each


def test_partitions_by_key_keeps_documents_whole():
    df = pd.DataFrame({"doc": list("aaabbcdddd"), "x": range(10)})
    frames = [df.iloc[0:4], df.iloc[4:7], df.iloc[7:10]]
    parts = list(partitions_by_key(frames, "doc", 3))
    assert [p["doc"].tolist() for p in parts] == [list("aaa"), list("bbc"), list("dddd")]
    assert pd.concat(parts, ignore_index=True).equals(df)
    with pytest.raises(ValueError, match="doc='a'"):
        list(partitions_by_key([pd.DataFrame({"doc": list("aab")}), pd.DataFrame({"doc": list("ba")})], "doc", 2))


def test_partitions_by_key_cuts_arrow_tables_like_frames():
    df = pd.DataFrame({"doc": list("aaabbcdddde"), "x": range(11)})
    bounds = [(0, 2), (2, 2), (2, 7), (7, 11)]  # an empty table in the stream is skipped
    tables = [pa.Table.from_pandas(df.iloc[a:b], preserve_index=False) for a, b in bounds]
    parts = list(partitions_by_key(tables, "doc", 3))
    assert all(isinstance(p, pa.Table) and all(c.num_chunks == 1 for c in p.columns) for p in parts)  # compacted
    assert [p.column("doc").to_pylist() for p in parts] == [list("aaabbc"), list("dddd"), ["e"]]
    frames = list(partitions_by_key([df.iloc[a:b] for a, b in bounds], "doc", 3))
    assert [p.to_pandas().equals(f) for p, f in zip(parts, frames, strict=True)] == [True] * 3
    with pytest.raises(ValueError, match="doc='a'"):
        list(partitions_by_key([pa.table({"doc": list("aab")}), pa.table({"doc": list("ba")})], "doc", 2))


def test_local_engine_and_helpers():
    assert list(LocalEngine().imap(lambda x: x * 2, [1, 2, 3])) == [2, 4, 6]
    assert map_partitions(len, [[1], [1, 2]], EngineConfig(kind="local")) == [1, 2]


def test_embed_to_matches_in_memory_and_counts_cache(tmp_path):
    from pipeline.common.embedders import make_embedder
    from pipeline.embed.cache import EmbeddingCache
    from pipeline.embed.embed_cli import embed_to
    from tests.test_embed import embed_units

    units = seed_tables()["units"]
    write_table(units, UNITS, tmp_path / "units.parquet")
    cfg = EmbedConfig(backend="hashing", hashing_dim=32)
    ref, ref_stats = embed_units(units, make_embedder(cfg), EmbeddingCache(tmp_path / "c1", "h", 32), cfg, progress=False)
    cache = EmbeddingCache(tmp_path / "c2", "h", 32)
    stats = embed_to(tmp_path / "units.parquet", tmp_path / "e.parquet", cfg, cache, LocalEngine(), 50)
    got = read_table(tmp_path / "e.parquet", EMBEDDINGS)
    assert stats == ref_stats and stats.hits == 0 and len(got) == 494
    pd.testing.assert_frame_equal(got.drop(columns="vector"), ref.drop(columns="vector"))
    np.testing.assert_array_equal(np.stack(got["vector"]), np.stack(ref["vector"]))
    again = embed_to(tmp_path / "units.parquet", tmp_path / "e2.parquet", cfg, cache, LocalEngine(), 50)
    assert (again.hits, again.misses) == (stats.requested, 0)


def test_stage_clis_stream_on_the_configured_engine(tmp_path):
    """clean's CLI reads params.engine (partition_size) and writes the same table as the in-memory core."""
    from pipeline.prepare.clean_cli import main

    ref = seed_tables()
    write_table(ref["utterances"], UTTERANCES, tmp_path / "u.parquet")
    params = tmp_path / "params.yaml"
    params.write_text((ROOT / "params.yaml").read_text(encoding="utf-8").replace(
        "partition_size: 2000", "partition_size: 5"), encoding="utf-8")
    assert main(["--params", str(params), "--utterances", str(tmp_path / "u.parquet"), "--out", str(tmp_path / "c.parquet"),
                 "--removals", str(tmp_path / "r.parquet"), "--metrics", str(tmp_path / "m.json")]) == 0
    pd.testing.assert_frame_equal(read_table(tmp_path / "c.parquet"),
                                  on_disk(ref["clean"].utterances, CLEAN_UTTERANCES, tmp_path / "ref.parquet"))
