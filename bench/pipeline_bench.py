"""`python -m bench pipeline --sizes 20000,100000`: every dvc.yaml stage on a synthetic corpus beside the seeds,
each stage's wall time, CPU time and peak memory (the stage process and its children), and how each grows.

The project is a scratch copy of the pipeline's inputs whose `corpora` are the seeds (so the frame stage has its
hand codes) plus a synthetic corpus of N comments (bench/synth.py); the stages run in dvc.yaml order with the
commands `dvc repro` would run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from bench.synth import Shape, write_corpus

ROOT = Path(__file__).resolve().parents[1]
COPY = ("dvc.yaml", "params.yaml", "codebooks", "data/raw/seeds", "data/annotations", "pipeline")


def make_pipeline_project(folder: Path, n: int, shape: Shape, seed: int) -> dict[str, int]:
    """The pipeline's inputs with corpora = seeds + a synthetic corpus of n comments."""
    for rel in COPY:
        src, dst = ROOT / rel, folder / rel
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    params = yaml.safe_load((folder / "params.yaml").read_text(encoding="utf-8"))
    params["corpora"] = [c for c in params["corpora"] if c["name"] == "seeds"] + [
        {"name": "synth", "path": "data/raw/synth", "format": "thread_text"}]
    (folder / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return write_corpus(folder / "data" / "raw" / "synth", n, shape, seed)


def stage_commands(project: Path) -> list[tuple[str, str]]:
    """(stage, shell command) in dvc.yaml order, `${...}` resolved from params.yaml."""
    import re

    stages = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))

    def value(m: re.Match[str]) -> str:
        node: Any = params
        for key in m.group(1).split("."):
            node = node[key]
        return str(node)

    return [(name, re.sub(r"\$\{([^}]+)\}", value, st["cmd"])) for name, st in stages.items()]


class PeakMemory:
    """Polls the resident memory of a process and all its descendants (psutil); keeps the peak of the sum."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_stage(project: Path, name: str, cmd: str) -> dict[str, Any]:
    """Run one stage command; its wall seconds, CPU seconds (children) and peak RSS (MB)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "CI": "1",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONHASHSEED": "0"}
    before = os.times()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, shell=True, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    with PeakMemory(proc.pid) as mem:
        _, err = proc.communicate()
    seconds = time.perf_counter() - t0
    after = os.times()
    if proc.returncode != 0:
        raise RuntimeError(f"stage {name} failed ({proc.returncode}):\n{err[-3000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"stage": name, "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "peak_rss_mb": round(mem.peak / 2**20, 1), "log": err.strip().splitlines()[-1][:300] if err.strip() else ""}


def counts(project: Path) -> dict[str, int]:
    """Rows of the main tables after the run."""
    import pyarrow.parquet as pq

    out = {}
    for name in ("utterances", "units", "embeddings"):
        path = project / "data" / "processed" / f"{name}.parquet"
        out[name] = pq.ParquetFile(path).metadata.num_rows if path.exists() else 0
    return out


def pipeline_bench(work: Path, sizes: list[int], shape: Shape, say: Any) -> list[dict[str, Any]]:
    """Every stage at each size: times and memory, with the totals after embed."""
    results = []
    for n in sizes:
        project = work / f"pipeline{n}"
        corpus = make_pipeline_project(project, n, shape, seed=n % 997)
        stages = []
        for name, cmd in stage_commands(project):
            r = run_stage(project, name, cmd)
            stages.append(r)
            say(f"  {n:>7,} comments  {name:<16} {r['seconds']:>8.1f} s  cpu {r['cpu_seconds']:>8.1f} s  "
                f"peak {r['peak_rss_mb']:>8.1f} MB\n")
        names = [s["stage"] for s in stages]
        after = stages[names.index("embed") + 1:]
        sizes_kb = {p.name: round(p.stat().st_size / 1024, 1) for p in sorted((project / "reports").glob("*.html"))}
        results.append({"comments": n, "corpus": corpus, "tables": counts(project), "stages": stages,
                        "seconds_total": round(sum(s["seconds"] for s in stages), 1),
                        "seconds_after_embed": round(sum(s["seconds"] for s in after), 1),
                        "cpu_seconds_after_embed": round(sum(s["cpu_seconds"] for s in after), 1),
                        "report_pages_kb": sizes_kb})
        say(f"{n:,} comments: total {results[-1]['seconds_total']} s, after embed {results[-1]['seconds_after_embed']} s\n")
        shutil.rmtree(project / "data" / "cache", ignore_errors=True)
    return results


def growth(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per stage: time and peak memory at the largest size over the smallest, against the comment ratio."""
    if len(results) < 2:
        return {}
    a, b = results[0], results[-1]
    ratio = b["comments"] / a["comments"]
    by = {s["stage"]: s for s in a["stages"]}
    return {"comments_ratio": round(ratio, 2), "stages": {
        s["stage"]: {"time_ratio": round(s["seconds"] / max(by[s["stage"]]["seconds"], 0.1), 2),
                     "memory_ratio": round(s["peak_rss_mb"] / max(by[s["stage"]]["peak_rss_mb"], 1.0), 2)}
        for s in b["stages"] if s["stage"] in by}}


def markdown(results: list[dict[str, Any]], grow: dict[str, Any]) -> str:
    """The per-stage table for reports/bench.md and the README."""
    sizes = [r["comments"] for r in results]
    head = "| stage | " + " | ".join(f"{n:,} comments: s / CPU s / peak MB" for n in sizes) + " |"
    lines = [head, "|---|" + "---:|" * len(sizes)]
    names = [s["stage"] for s in results[0]["stages"]]
    for i, name in enumerate(names):
        cells = [f"{r['stages'][i]['seconds']} / {r['stages'][i]['cpu_seconds']} / {r['stages'][i]['peak_rss_mb']}"
                 for r in results]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| **after embed (wall s)** | " + " | ".join(f"**{r['seconds_after_embed']}**" for r in results) + " |")
    lines.append("| total (wall s) | " + " | ".join(str(r["seconds_total"]) for r in results) + " |")
    lines.append("| units / utterances | " + " | ".join(f"{r['tables']['units']:,} / {r['tables']['utterances']:,}"
                                                     for r in results) + " |")
    if grow:
        lines += ["", f"From {sizes[0]:,} to {sizes[-1]:,} comments ({grow['comments_ratio']}x): " + "; ".join(
            f"{k} time x{v['time_ratio']}, memory x{v['memory_ratio']}" for k, v in grow["stages"].items()) + "."]
    return "\n".join(lines) + "\n"
