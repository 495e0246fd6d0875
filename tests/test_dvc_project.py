"""The seed project as a researcher uses it with DVC: repro once, then a no-op; experiments with `-S`; an edit to a
module re-runs exactly the stages that import it; results shared through a DVC remote (tests/seed_project.py)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest

from pipeline.__main__ import COMMANDS
from tests.seed_project import GIT, run
from tests.test_layout import closure, import_graph, stage_commands

pytestmark = pytest.mark.slow


def copy_of(project: Path, dest: Path) -> Path:
    """A full copy of a project (git history, DVC cache and outputs included)."""
    shutil.copytree(project, dest, symlinks=True)
    return dest


def changed_deps(project: Path) -> dict[str, set[str]]:
    """stage -> the dep paths `dvc status` reports as changed."""
    status = json.loads(run(project, "dvc", "status", "--json").stdout or "{}")
    out: dict[str, set[str]] = {}
    for stage, entries in status.items():
        for entry in entries:
            if isinstance(entry, dict) and "changed deps" in entry:
                out.setdefault(stage, set()).update(entry["changed deps"])
    return out


def output_digests(project: Path) -> dict[str, str]:
    """SHA-256 of every file under data/processed, metrics and models (relative path -> digest)."""
    out = {}
    for top in ("data/processed", "metrics", "models"):
        for f in sorted((project / top).rglob("*")):
            if f.is_file():
                out[str(f.relative_to(project))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def test_a_second_repro_runs_nothing(seed_project: Path) -> None:
    assert run(seed_project, "dvc", "status").stdout.strip() == "Data and pipelines are up to date."
    assert "didn't change, skipping" in run(seed_project, "dvc", "repro").stdout


def test_an_experiment_with_a_changed_param_runs_and_shows(seed_project: Path, tmp_path: Path) -> None:
    project = copy_of(seed_project, tmp_path / "exp")
    res = run(project, "dvc", "exp", "run", "-S", "report.examples=2")
    assert "Running stage 'report'" in res.stdout and "Running stage 'frame'" not in res.stdout
    shown = json.loads(run(project, "dvc", "exp", "show", "--json").stdout)
    experiments = [e for rev in shown for e in (rev.get("experiments") or [])]
    params = [run_["data"]["params"]["params.yaml"]["data"]["report"]["examples"]
              for e in experiments for run_ in (e.get("revs") or [])]
    assert 2 in params
    rows = list(csv.DictReader(io.StringIO(run(project, "dvc", "exp", "show", "--csv").stdout)))
    assert sorted({r["report.examples"] for r in rows}) == ["2", "3"]


def test_an_edit_to_a_module_shows_in_dvc_status_for_every_stage_that_imports_it(seed_project: Path,
                                                                                    tmp_path: Path) -> None:
    project = copy_of(seed_project, tmp_path / "edit")
    assert changed_deps(project) == {}
    graph = import_graph()
    for module, path in (("pipeline.common.textnorm", "pipeline/common/textnorm.py"),
                         ("pipeline.frames.cv", "pipeline/frames/cv.py")):
        target = project / path
        original = target.read_text(encoding="utf-8")
        target.write_text(original + "\n# a deliberate edit\n", encoding="utf-8")
        importers = {stage for stage, (command, _) in stage_commands().items()
                     if module in closure(graph, COMMANDS[command][0])}
        changed = changed_deps(project)
        assert importers and importers <= set(changed), (module, importers, changed)
        if module == "pipeline.frames.cv":
            assert set(changed) == {"frame"}
        target.write_text(original, encoding="utf-8")
    assert changed_deps(project) == {}


def test_results_shared_through_a_dvc_remote_make_repro_a_noop_in_another_clone(seed_project: Path,
                                                                                  tmp_path: Path) -> None:
    origin = copy_of(seed_project, tmp_path / "origin")
    remote = tmp_path / "remote"
    run(origin, "dvc", "remote", "add", "-d", "shared", str(remote))
    run(origin, *GIT, "commit", "-qam", "remote")
    run(origin, "dvc", "push")
    other = tmp_path / "other"
    run(tmp_path, *GIT, "clone", "-q", str(origin), str(other))
    run(other, "dvc", "pull")
    assert run(other, "dvc", "status").stdout.strip() == "Data and pipelines are up to date."
    res = run(other, "dvc", "repro")
    assert "Running stage" not in res.stdout
    theirs = output_digests(other)
    assert theirs and theirs == {k: v for k, v in output_digests(origin).items() if k in theirs}
    assert set(theirs) >= {"data/processed/unit_topics.parquet", "data/processed/embeddings.parquet"}
