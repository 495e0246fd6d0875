"""The seed corpus through `dvc repro`, once per test session, in a scratch git + DVC copy of the project.

The browser tests, the frame and topic floors, the DVC experiment, status and remote tests all read this one
run (no second pipeline run, no second nested cross-validation).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIT = ("git", "-c", "user.name=tests", "-c", "user.email=tests@localhost", "-c", "init.defaultBranch=main")


def env() -> dict[str, str]:
    """The environment the stages run in: the project's Python first, offline model hub, no DVC analytics."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "DVC_NO_ANALYTICS": "1", "PYTHONHASHSEED": "0",
            "CI": os.environ.get("CI", "1")}


def run(project: Path, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command in the project (fails with its output when `check` and it fails)."""
    proc = subprocess.run(cmd, cwd=project, env=env(), capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def project_files() -> list[str]:
    """The working tree's files that git tracks or would track (dvc.lock and generated outputs left out)."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    skip = ("dvc.lock", "metrics/", "reports/", "test-artifacts/")
    return [f for f in out.split("\0") if f and not f.startswith(skip) and (ROOT / f).is_file()]


def copy_project(dest: Path) -> Path:
    """The project's sources, data and configuration copied into `dest` as a fresh git repository."""
    for rel in project_files():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest / rel)
    run(dest, *GIT, "init", "-q")
    run(dest, *GIT, "add", "-A")
    run(dest, *GIT, "commit", "-qm", "sources")
    return dest


def build_seed_project(dest: Path) -> Path:
    """Copy the project, run `dvc repro`, commit dvc.lock and the metrics: a project as a researcher has it."""
    copy_project(dest)
    run(dest, "dvc", "repro")
    run(dest, *GIT, "add", "-A")
    run(dest, *GIT, "commit", "-qm", "dvc repro")
    return dest
