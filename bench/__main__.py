"""`python -m bench` (make bench): scaling benchmark; prints ratios, writes reports/bench.json and reports/bench.md.

Measured in one run, each heavy part in its own subprocess (peak RSS is that process's own):
ingest+clean+attribute+segment throughput and peak RSS over a scaling series of synthetic corpora;
local vs Dask LocalCluster wall time on the largest; embed-stage throughput over a bare
SentenceTransformer.encode; the cost of adding new units to an embedded corpus (cache) against
embedding them alone; no-op `dvc repro` time over `dvc status` time in a scratch project.

`python -m bench report [--sizes 1000,20000,100000]`: the HTML report at scale instead (bench/report_scale.py):
page sizes and Chromium load times on synthetic report inputs, written to reports/report_scale.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.synth import DEFAULT_SHAPE, Shape, derive_shape, write_corpus

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
DVC = str(Path(PY).with_name("dvc"))


def machine() -> dict[str, Any]:
    """nproc, RAM, CPU model and load when the run started."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem_kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
    return {"nproc": os.cpu_count(), "ram_gb": round(mem_kb / 1024 ** 2, 1), "cpu": cpu,
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version()}


def measured_shape(real: Path) -> Shape:
    """Thread shape from the seeds and the real threads (DEFAULT_SHAPE when none can be read)."""
    import pandas as pd

    from pipeline.common.config import load_params
    from pipeline.ingest.adapters.base import Source
    from pipeline.ingest.reading import parse_source, read_corpora

    params = load_params(ROOT / "params.yaml")
    frames, used = [read_corpora(params.corpora, params.ingest, ROOT)["utterances"]], ["seeds"]
    for fmt, rel in (("reddit_json", "threads/reddit_json"), ("wxr", "threads/wordpress_wxr"),
                     ("html", "threads/hackernews_html")):
        for path in sorted((real / rel).glob("*")) if (real / rel).is_dir() else []:
            parsed = parse_source(Source("real", str(path), path.read_bytes(), {}), fmt, params.ingest)
            frames.append(pd.DataFrame(parsed.utterances))
            used.append(f"{rel}/{path.name}")
    try:
        return derive_shape(frames, used)
    except (KeyError, ValueError):
        return DEFAULT_SHAPE


def make_project(folder: Path, n: int, shape: Shape, seed: int) -> dict[str, int]:
    """A scratch project: synthetic corpus, params.yaml (the project's, with this corpus) and the codebook."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["corpora"] = [{"name": "synth", "path": "data/raw/synth", "format": "thread_text"}]
    (folder / "codebooks").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / params["segment"]["codebook"], folder / params["segment"]["codebook"])
    (folder / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return write_corpus(folder / "data" / "raw" / "synth", n, shape, seed)


def task(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run a bench task in a fresh process; its JSON result."""
    env = {**os.environ, "CI": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([PY, "-m", "bench.tasks", name, json.dumps(args)], capture_output=True, text=True, env=env,
                          cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"bench task {name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def dvc_ratio(work: Path) -> dict[str, Any]:
    """No-op `dvc repro` time over `dvc status` time, in a scratch copy of the project's first stages on the seeds."""
    proj = work / "dvcproj"
    for d in ("pipeline", "codebooks", "data/raw/seeds"):
        shutil.copytree(ROOT / d, proj / d, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "params.yaml", proj / "params.yaml")
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    keep = {k: stages[k] for k in ("ingest", "clean", "attribute", "segment")}
    (proj / "dvc.yaml").write_text(yaml.safe_dump({"stages": keep}, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "CI": "1", "DVC_NO_ANALYTICS": "1", "PATH": f"{Path(PY).parent}:{os.environ.get('PATH', '')}"}

    def run(*cmd: str) -> float:
        t = time.perf_counter()
        subprocess.run([DVC, *cmd], cwd=proj, env=env, check=True, capture_output=True)
        return time.perf_counter() - t

    run("init", "--no-scm")
    first = run("repro")
    repro = min(run("repro") for _ in range(3))
    status = min(run("status") for _ in range(3))
    return {"first_repro_seconds": round(first, 2), "noop_repro_seconds": round(repro, 2),
            "status_seconds": round(status, 2), "ratio_noop_repro_over_status": round(repro / status, 3)}


def scaling_fit(series: list[dict[str, Any]]) -> dict[str, Any]:
    """Least-squares seconds = a + b * comments over the series; 100k extrapolated; RSS growth."""
    if len(series) < 2:
        return {}
    import numpy as np

    n = np.array([r["comments"] for r in series], dtype=float)
    t = np.array([r["seconds"] for r in series], dtype=float)
    b, a = np.polyfit(n, t, 1)
    rss = [r["peak_rss_mb"] for r in series]
    return {"seconds_fixed": round(float(a), 2), "ms_per_comment": round(float(b) * 1000, 3),
            "r2": round(float(np.corrcoef(n, t)[0, 1] ** 2), 4),
            "extrapolated_100k_seconds": round(float(a + b * 100_000), 1),
            "extrapolated_100k_comments_per_second": round(100_000 / float(a + b * 100_000), 1),
            "peak_rss_mb_smallest_largest": [rss[0], rss[-1]], "comments_smallest_largest": [int(n[0]), int(n[-1])]}


def markdown(res: dict[str, Any]) -> str:
    """The README table."""
    m = res["machine"]
    lines = [f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, load {m['loadavg_at_start']} at start "
             f"(shared with other sessions). Corpora: synthetic thread_text, shape from seeds + real threads.", "",
             "| comments | utterances | units | local workers | seconds | comments/s | CPU s (stage + workers) "
             "| peak RSS (MB): stage process / each worker |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["scaling"]:
        workers = " / ".join(str(w) for w in [r["peak_rss_mb"], *r.get("worker_peak_rss_mb", [])])
        lines.append(f"| {r['comments']:,} | {r['utterances']:,} | {r['units']:,} | {r.get('n_workers', 1)} | "
                     f"{r['seconds']} | {r['comments_per_second']} | {r.get('cpu_seconds')} | {workers} |")
    f = res.get("scaling_fit")
    if f:
        lines += ["", f"Time is linear in size (r² {f['r2']}, {f['ms_per_comment']} ms/comment; 100k extrapolated: "
                      f"{f['extrapolated_100k_seconds']} s = {f['extrapolated_100k_comments_per_second']} comments/s); "
                      f"peak RSS {f['peak_rss_mb_smallest_largest'][0]} -> {f['peak_rss_mb_smallest_largest'][1]} MB "
                      f"from {f['comments_smallest_largest'][0]:,} to {f['comments_smallest_largest'][1]:,} comments."]
    d = res.get("dask")
    if d:
        lines += ["", f"Local vs Dask LocalCluster ({d['dask']['n_workers']} workers) on {d['comments']:,} comments: "
                      f"{d['local_seconds']} s vs {d['dask_seconds']} s (dask/local = {d['ratio_dask_over_local']})."]
    e = res.get("embed")
    if e:
        lines += ["", f"Embed stage / bare encode throughput on {e['n_texts']} units: {e['ratio_stage_over_bare_throughput']}"
                      f" (medians of {len(e['runs_seconds']['stage'])} stage and {len(e['runs_seconds']['bare'])} bare runs,"
                      f" interleaved: {e['stage_seconds']} s vs {e['bare_encode_seconds']} s). Adding {e['incremental']['n_new_units']}"
                      f" units to {e['incremental']['n_existing_units']} embedded ones costs "
                      f"{e['incremental']['ratio']} x embedding them alone."]
    if res.get("pipeline"):
        from bench.pipeline_bench import markdown as pipeline_markdown

        pm = res.get("pipeline_machine") or m
        lines += ["", "Every stage on the seeds plus a synthetic corpus (wall s / CPU s of the stage and its children / "
                      f"peak RSS MB of the stage and its children; {pm['cpu']}, load {pm['loadavg_at_start']} at start):", "",
                  pipeline_markdown(res["pipeline"], res.get("pipeline_growth") or {}).rstrip()]
    v = res.get("dvc")
    if v:
        lines += ["", f"No-op `dvc repro` / `dvc status`: {v['ratio_noop_repro_over_status']} "
                      f"({v['noop_repro_seconds']} s / {v['status_seconds']} s)."]
    return "\n".join(lines) + "\n"


PART_KEYS = {"chain": ("scaling", "corpora", "scaling_fit"), "dask": ("dask",), "embed": ("embed",),
             "pipeline": ("pipeline", "pipeline_growth", "pipeline_machine"), "dvc": ("dvc",)}


def merge_parts(old: dict[str, Any], new: dict[str, Any], skipped: set[str]) -> dict[str, Any]:
    """An earlier result with the parts run now replaced (a part's machine is kept with it)."""
    out = dict(old)
    for part, keys in PART_KEYS.items():
        if part not in skipped:
            out.update({k: new[k] for k in keys if k in new})
    if "chain" not in skipped:
        out["machine"] = new["machine"]
    out["total_seconds"] = new["total_seconds"]
    return out


def main(argv: list[str] | None = None) -> int:
    """Run every measurement; print a summary; write reports/bench.json and reports/bench.md (or, with the first
    argument `report`, the report benchmark)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["report"]:
        from bench.report_scale import main as report_main

        return report_main(argv[1:])
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,3000,10000,100000", help="comments per corpus in the scaling series")
    ap.add_argument("--dask-size", type=int, default=0, help="corpus for local vs Dask (0: the largest)")
    ap.add_argument("--embed-n", type=int, default=2000, help="units in the embed-ratio sample")
    ap.add_argument("--new", type=int, default=200, help="new units added in the incremental measurement")
    ap.add_argument("--pipeline-sizes", default="20000,100000",
                    help="comments of the synthetic corpora every dvc.yaml stage runs on (beside the seeds)")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: chain,dask,embed,dvc,pipeline")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "bench.json")
    ap.add_argument("--merge", action="store_true",
                    help="keep the parts not run from the existing --out file (e.g. --skip chain,dask,embed,dvc --merge)")
    ap.add_argument("--real", type=Path, default=Path(os.environ.get("PIPELINE_REAL_DATA", ROOT.parent / "shared" / "real")))
    args = ap.parse_args(argv)
    sizes, skip = [int(s) for s in args.sizes.split(",")], set(filter(None, args.skip.split(",")))
    t_all = time.perf_counter()
    res: dict[str, Any] = {"machine": machine(), "scaling": []}
    shape = measured_shape(args.real)
    res["shape"] = shape.summary()
    say = sys.stdout.write
    say(f"machine: {res['machine']}\nshape: {res['shape']}\n")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        for n in sizes if "chain" not in skip else []:
            proj = work / f"c{n}"
            res.setdefault("corpora", {})[n] = make_project(proj, n, shape, seed=n % 997)
            r = task("chain", {"root": str(proj), "out": str(proj / "out"), "engine": {"kind": "local"}})
            r.update(comments=n, comments_per_second=round(n / r["seconds"], 1))
            res["scaling"].append(r)
            say(f"ingest+clean+attribute+segment {n:>7,} comments: {r['seconds']:>7.1f} s, "
                f"{r['comments_per_second']:>7.1f} comments/s, peak RSS {r['peak_rss_mb']} MB  {r['stage_seconds']}\n")
        if "dask" not in skip:
            n = args.dask_size or max(sizes)
            proj = work / f"c{n}"
            if not proj.exists():
                make_project(proj, n, shape, seed=n % 997)
            local = next((r for r in res["scaling"] if r["comments"] == n), None) or task(
                "chain", {"root": str(proj), "out": str(proj / "out"), "engine": {"kind": "local"}})
            dk = task("chain", {"root": str(proj), "out": str(proj / "out_dask"), "engine": {"kind": "dask"}})
            same = all((proj / "out" / f).read_bytes() == (proj / "out_dask" / f).read_bytes()
                       for f in ("utterances.parquet", "clean.parquet", "attributed.parquet", "units.parquet"))
            dk["n_workers"] = len(dk["worker_peak_rss_mb"])
            res["dask"] = {"comments": n, "local_seconds": local["seconds"], "dask_seconds": dk["seconds"],
                           "ratio_dask_over_local": round(dk["seconds"] / local["seconds"], 3), "dask": dk,
                           "tables_identical": same}
            say(f"local vs dask on {n:,} comments: {local['seconds']} s vs {dk['seconds']} s "
                f"(dask/local {res['dask']['ratio_dask_over_local']}), tables identical: {same}\n")
        if "embed" not in skip:
            src = next(work / f"c{n}" for n in sorted(sizes) if n >= 1000) if any(n >= 1000 for n in sizes) else work / f"c{max(sizes)}"
            res["embed"] = task("embed_ratio", {"units": str(src / "out" / "units.parquet"), "work": str(work),
                                                "n": args.embed_n, "n_new": args.new})
            e = res["embed"]
            say(f"embed stage / bare encode throughput ({e['n_texts']} units): {e['ratio_stage_over_bare_throughput']}; "
                f"adding {e['incremental']['n_new_units']} units to {e['n_texts']}: {e['incremental']['ratio']} x "
                f"embedding them alone ({e['incremental']['cache_hits']} hits, {e['incremental']['cache_misses']} misses)\n")
        if "pipeline" not in skip:
            from bench.pipeline_bench import growth, pipeline_bench

            psizes = [int(s) for s in args.pipeline_sizes.split(",") if s]
            say(f"every stage on seeds + synthetic corpora of {psizes} comments:\n")
            res["pipeline_machine"] = machine()
            res["pipeline"] = pipeline_bench(work, psizes, shape, say)
            res["pipeline_growth"] = growth(res["pipeline"])
        if "dvc" not in skip:
            res["dvc"] = dvc_ratio(work)
            say(f"no-op dvc repro / dvc status: {res['dvc']['ratio_noop_repro_over_status']} {res['dvc']}\n")
    res["scaling_fit"] = scaling_fit(res["scaling"]) if res["scaling"] else {}
    say(f"scaling: {res['scaling_fit']}\n")
    res["total_seconds"] = round(time.perf_counter() - t_all, 1)
    from pipeline.common.storage import write_json, write_text

    if args.merge and args.out.exists():
        res = merge_parts(json.loads(args.out.read_text(encoding="utf-8")), res, skip)
    write_json(res, args.out)
    write_text(markdown(res), args.out.with_suffix(".md"))
    say(f"total {res['total_seconds']} s; wrote {args.out} and {args.out.with_suffix('.md')}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
