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
