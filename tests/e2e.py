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


# The analysis stages and the full report, as proposed for dvc.yaml (issue 8). Until dvc.yaml has them,
# `run_analysis` runs these commands for every stage dvc.yaml lacks, and this report command when dvc.yaml's
# report does not read the analysis tables.
P, M = "data/processed", "metrics"
ANALYSIS_STAGES = {
    "embed": f"python -m pipeline embed --params params.yaml --units {P}/units.parquet --out {P}/embeddings.parquet "
             f"--metrics {M}/embed.json",
    "cluster": f"python -m pipeline cluster --params params.yaml --units {P}/units.parquet "
               f"--embeddings {P}/embeddings.parquet --unit-topics {P}/unit_topics.parquet --topics {P}/topics.parquet "
               f"--hierarchy {P}/topic_hierarchy.parquet --shares {P}/topic_shares.parquet --figures-dir {P}/topic_figures "
               f"--model-dir models/bertopic --problems {P}/cluster_problems.parquet --metrics {M}/cluster.json",
    "stability": f"python -m pipeline stability --params params.yaml --units {P}/units.parquet "
                 f"--embeddings {P}/embeddings.parquet --metrics {M}/stability.json",
    "frame": f"python -m pipeline frame --params params.yaml --units {P}/units.parquet "
             f"--embeddings {P}/embeddings.parquet --codebook codebooks/social_business.yaml "
             "--unit-codes data/annotations/frames_units_coder1.csv "
             "--utterance-codes data/annotations/frames_utterances_coder1.csv "
             "--second-coder data/annotations/frames_units_coder2.csv "
             f"--unit-topics {P}/unit_topics.parquet --unit-frames {P}/unit_frames.parquet "
             f"--utterance-frames {P}/utterance_frames.parquet --frame-topics {P}/frame_topics.parquet "
             f"--metrics {M}/frames.json --confusion-units {M}/frames_confusion_units.csv "
             f"--confusion-utterances {M}/frames_confusion_utterances.csv --problems {P}/frame_problems.parquet",
    "positions": f"python -m pipeline positions --params params.yaml --units {P}/units.parquet "
                 f"--utterances {P}/attributed_utterances.parquet --participants {P}/participants.parquet "
                 f"--documents {P}/documents.parquet --embeddings {P}/embeddings.parquet "
                 f"--unit-frames {P}/unit_frames.parquet --codebook codebooks/social_business.yaml "
                 "--annotations data/annotations/roles_coder1.csv "
                 "--reply-annotations data/annotations/replies_coder1.csv "
                 f"--out-unit-roles {P}/unit_roles.parquet --out-relations {P}/relations.parquet "
                 f"--out-positions {P}/positions.parquet --out-map {P}/participant_map.parquet "
                 f"--out-map-figure {P}/participant_map.json --out-replies {P}/replies.parquet "
                 f"--out-reply-pairs {P}/reply_pairs.parquet --out-problems {P}/positions_problems.parquet "
                 f"--out-metrics {M}/positions.json",
}
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
    return ("python -m pipeline report --params params.yaml --out-dir reports --metrics-out reports/metrics.json "
            f"--tables {' '.join(tables)} --figures {' '.join(figures)} --metrics-in {' '.join(metrics)}")


def run_cmd(project: Path, name: str, cmd: str) -> None:
    """Run one stage command in the project (fails with the stage's stderr)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "CI": "1"}
    params = yaml.safe_load((project / "params.yaml").read_text())
    proc = subprocess.run(interpolate(cmd, params), shell=True, cwd=project, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"stage {name} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")


def run_analysis(project: Path) -> list[str]:
    """Run dvc.yaml's stages, then the analysis stages it lacks, then the full report (see ANALYSIS_STAGES)."""
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    done = run_stages(project, skip=("report",))
    for name, cmd in ANALYSIS_STAGES.items():
        if name not in stages:
            run_cmd(project, name, cmd)
            done.append(name)
    report = stages.get("report", {}).get("cmd", "")
    run_cmd(project, "report", report if "unit_frames=" in report else report_cmd(project))
    return [*done, "report"]
