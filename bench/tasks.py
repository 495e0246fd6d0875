"""Benchmark tasks, each run in its own process (`python -m bench.tasks TASK JSON-ARGS`) so that peak RSS
is the task's own; each prints one JSON line with its measurements."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    """Peak resident set size of this process, MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _worker_rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_usage(pids: list[int]) -> tuple[dict[str, float], float]:
    """Peak RSS (MB, by pid) and CPU seconds (user + system, summed) of running processes, from /proc."""
    rss: dict[str, float] = {}
    cpu = 0.0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        rss[str(pid)] = next(int(ln.split()[1]) / 1024 for ln in status.splitlines() if ln.startswith("VmHWM"))
        cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss, cpu


def chain(a: dict[str, Any]) -> dict[str, Any]:
    """ingest -> clean -> attribute -> segment on a project folder, streamed, on the requested engine."""
    from pipeline.common.concepts import load_forms
    from pipeline.common.config import EngineConfig, load_params, load_yaml
    from pipeline.common.engine import open_engine
    from pipeline.common.storage import count_rows
    from pipeline.ingest.reading import TABLES_OUT, read_corpora_to
    from pipeline.prepare.partitioned import attribute_to, clean_to, segment_to

    root, out = Path(a["root"]), Path(a["out"])
    params = load_params(root / "params.yaml")
    ecfg = EngineConfig(**{**params.engine.model_dump(), **a.get("engine", {})})
    forms = load_forms(load_yaml(root / params.segment.codebook)["concepts"], params.segment.codebook)
    paths = {k: out / f"{k}.parquet" for k in TABLES_OUT}
    times: dict[str, float] = {}
    peaks: dict[str, float] = {}  # peak RSS so far after each stage (which stage sets the peak)
    t0 = time.perf_counter()
    with open_engine(ecfg) as engine:
        times["engine_start"] = time.perf_counter() - t0
        t = time.perf_counter()
        read_corpora_to(params.corpora, params.ingest, root, paths, engine, ecfg.partition_size)
        times["ingest"] = time.perf_counter() - t
        peaks["ingest"] = peak_rss_mb()
        t = time.perf_counter()
        clean_to(paths["utterances"], out / "clean.parquet", out / "removals.parquet", params.clean, engine,
                 ecfg.partition_size)
        times["clean"] = time.perf_counter() - t
        peaks["clean"] = peak_rss_mb()
        t = time.perf_counter()
        attribute_to(out / "clean.parquet", paths["documents"], out / "attributed.parquet", params.attribute,
                     params.clean, engine, ecfg.partition_size)
        times["attribute"] = time.perf_counter() - t
        peaks["attribute"] = peak_rss_mb()
        t = time.perf_counter()
        segment_to(out / "attributed.parquet", root, out / "units.parquet", out / "segment_problems.parquet", forms,
                   params.segment, engine, ecfg.partition_size)
        times["segment"] = time.perf_counter() - t
        peaks["segment"] = peak_rss_mb()
        workers = engine.run_on_workers(_worker_rss) if ecfg.kind == "dask" else {}  # type: ignore[attr-defined]
        n_workers, cpu = engine.n_workers, None
        if ecfg.kind == "local":  # the local engine's pool (none when n_workers is 1)
            workers, worker_cpu = proc_usage(engine.worker_pids())  # type: ignore[attr-defined]
            cpu = time.process_time() + worker_cpu
    wall = time.perf_counter() - t0
    n_utts = count_rows(paths["utterances"])
    return {"engine": ecfg.kind, "seconds": round(wall, 2), "stage_seconds": {k: round(v, 2) for k, v in times.items()},
            "utterances": n_utts, "units": count_rows(out / "units.parquet"), "peak_rss_mb": peak_rss_mb(),
            "peak_rss_mb_after_stage": peaks, "worker_peak_rss_mb": sorted(round(v, 1) for v in workers.values()),
            "n_workers": n_workers, "cpu_seconds": round(cpu, 2) if cpu is not None else None}


def embed_ratio(a: dict[str, Any]) -> dict[str, Any]:
    """Embed-stage throughput over a bare SentenceTransformer.encode of the same texts (cold cache)."""
    import numpy as np
    import pandas as pd

    from pipeline.common.config import EmbedConfig, EngineConfig
    from pipeline.common.engine import LocalEngine
    from pipeline.common.schema import UNITS
    from pipeline.common.storage import read_table, write_table
    from pipeline.embed.cache import EmbeddingCache
    from pipeline.embed.embed_cli import embed_to, worker_embedder
    from pipeline.embed.embedding import LOADS

    units = read_table(Path(a["units"]), UNITS)
    sample = units.drop_duplicates("text").sample(n=min(a["n"], units["text"].nunique()), random_state=0)
    sample = sample.reset_index(drop=True)
    work = Path(a["work"])
    write_table(sample, UNITS, work / "sample.parquet")
    cfg = EmbedConfig(**a.get("embed", {}))
    emb = worker_embedder(cfg)
    model = emb.model  # type: ignore[attr-defined]
    texts = sample["text"].tolist()
    model.encode(texts[:64], batch_size=cfg.batch_size)  # warm-up

    def bare() -> float:
        t = time.perf_counter()
        model.encode(texts, batch_size=cfg.batch_size, normalize_embeddings=cfg.normalize, convert_to_numpy=True,
                     show_progress_bar=False)
        return time.perf_counter() - t

    def stage(cache_dir: Path, path: Path) -> tuple[float, Any]:
        cache = EmbeddingCache(cache_dir, emb.identity, emb.dim)
        t = time.perf_counter()
        stats = embed_to(path, work / f"out-{cache_dir.name}.parquet", cfg, cache, LocalEngine(), EngineConfig().partition_size)
        return time.perf_counter() - t, stats

    # Rounds of A B B A (a drifting machine load cancels out); medians over all runs resist a one-off stall.
    bares, stages = [], []
    for r in range(a.get("rounds", 3)):
        bares.append(bare())
        stages += [stage(work / f"cache_{r}_{k}", work / "sample.parquet")[0] for k in range(2)]
        bares.append(bare())
    bare_s, stage_s = float(np.median(bares)), float(np.median(stages))
    # incremental: N new units added to the processed sample (its cache warm) vs embedding the N alone (cold)
    new = units[~units["text"].isin(set(texts))].drop_duplicates("text").head(a["n_new"]).reset_index(drop=True)
    write_table(new, UNITS, work / "new.parquet")
    write_table(pd.concat([sample, new], ignore_index=True), UNITS, work / "grown.parquet")
    inc_s, inc_stats = stage(work / "cache_0_0", work / "grown.parquet")
    alone_s, _ = stage(work / "cache_c", work / "new.parquet")
    return {"n_texts": len(texts), "bare_encode_seconds": round(bare_s, 2), "stage_seconds": round(stage_s, 2),
            "ratio_stage_over_bare_throughput": round(bare_s / stage_s, 3), "model_loads": LOADS["count"],
            "runs_seconds": {"bare": [round(b, 2) for b in bares], "stage": [round(t, 2) for t in stages]},
            "incremental": {"n_existing_units": len(texts), "n_new_units": len(new), "seconds_grown_warm": round(inc_s, 2),
                            "cache_hits": inc_stats.hits, "cache_misses": inc_stats.misses,
                            "seconds_new_alone_cold": round(alone_s, 2), "ratio": round(inc_s / alone_s, 3)},
            "peak_rss_mb": peak_rss_mb(), "dim": int(np.asarray(emb.dim))}


TASKS = {"chain": chain, "embed_ratio": embed_ratio}

if __name__ == "__main__":
    os.environ.setdefault("CI", "1")
    sys.stdout.write(json.dumps(TASKS[sys.argv[1]](json.loads(sys.argv[2]))) + "\n")
