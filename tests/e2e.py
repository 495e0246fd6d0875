"""Run the stages of dvc.yaml in a scratch copy of the project (the same commands `dvc repro` runs)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COPY = ("dvc.yaml", "params.yaml", "codebooks", "data/raw", "data/annotations")


def make_project(dest: Path, params_override: dict | None = None, raw: dict[str, Path] | None = None) -> Path:
    """Copy the inputs of the pipeline into `dest`; optionally replace corpora and their folders."""
    for rel in COPY:
        src = ROOT / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel)
        elif src.exists():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    if raw is not None:
        shutil.rmtree(dest / "data/raw")
        for name, folder in raw.items():
            shutil.copytree(folder, dest / "data/raw" / name)
    if params_override:
        params = yaml.safe_load((dest / "params.yaml").read_text())
        params.update(params_override)
        (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False, allow_unicode=True))
    return dest


def interpolate(cmd: str, params: dict) -> str:
    """Resolve DVC's ${a.b} templating from params.yaml."""
    def value(m: re.Match[str]) -> str:
        node = params
        for key in m.group(1).split("."):
            node = node[key]
        return str(node)

    return re.sub(r"\$\{([^}]+)\}", value, cmd)


def run_stages(project: Path, until: str | None = None, skip: tuple[str, ...] = ()) -> list[str]:
    """Run every dvc.yaml stage's cmd in file order (stop after `until`); returns the stages run."""
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    params = yaml.safe_load((project / "params.yaml").read_text())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "CI": "1"}
    done = []
    for name, stage in stages.items():
        if name in skip:
            continue
        proc = subprocess.run(interpolate(stage["cmd"], params), shell=True, cwd=project, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise AssertionError(f"stage {name} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        done.append(name)
        if name == until:
            break
    return done


# The report command for projects whose dvc.yaml run stops early (e.g. too few units to embed).
P, M = "data/processed", "metrics"
REPORT_TABLES = ("documents", "utterances", "problems", "skipped_spans", "attributed_utterances", "participants",
                 "removals", "units", "unit_frames", "utterance_frames", "topics", "unit_topics", "positions",
                 "relations", "participant_map", "replies", "reply_pairs")
TABLE_ARG = {"skipped_spans": "skipped", "attributed_utterances": "attributed"}  # --tables NAME differs from file
REPORT_FIGURES = ("topics_map", "topics_barchart", "topics_hierarchy")
REPORT_METRICS = ("clean", "attribute", "segment", "conservation", "embed", "cluster", "stability", "frames",
                  "positions")


def report_cmd(project: Path) -> str:
    """The full report command, with the tables, figures and metrics files that exist in `project`."""
    tables = [f"{TABLE_ARG.get(t, t)}={P}/{t}.parquet" for t in REPORT_TABLES if (project / P / f"{t}.parquet").exists()]
    figures = [f"{f}={P}/topic_figures/{f}.json" for f in REPORT_FIGURES]
    metrics = [f"{M}/{s}.json" for s in REPORT_METRICS if (project / M / f"{s}.json").exists()]
    return ("python -m pipeline report --params params.yaml --out-dir reports --headline metrics/headline.json "
            f"--tables {' '.join(tables)} --figures {' '.join(figures)} --metrics-in {' '.join(metrics)}")


def run_cmd(project: Path, name: str, cmd: str) -> None:
    """Run one stage command in the project (fails with the stage's stderr)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "CI": "1"}
    params = yaml.safe_load((project / "params.yaml").read_text())
    proc = subprocess.run(interpolate(cmd, params), shell=True, cwd=project, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"stage {name} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
