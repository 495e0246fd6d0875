"""Shared test fixtures: project paths and the real-data folder (skipped cleanly when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw new random examples on every local run (they have found real bugs that way);
# CI (CI set) draws the same examples every time, so a CI failure is reproducible and never a fluke.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL_DIR = Path(os.environ.get("PIPELINE_REAL_DATA", ROOT.parent / "shared" / "real"))
SEEDS_DIR = ROOT / "data" / "raw" / "seeds"


@pytest.fixture(scope="session")
def root() -> Path:
    """The project root."""
    return ROOT


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """tests/fixtures."""
    return FIXTURES


@pytest.fixture()
def tiny_frames(fixtures: Path):
    """The three frames of tests/fixtures/frames/codebook.yaml (tools, org, other)."""
    from pipeline.common.codebook import load_frames
    from pipeline.common.config import load_yaml

    return load_frames(load_yaml(fixtures / "frames" / "codebook.yaml"))


def missing(reason: str) -> None:
    """A gate whose data or tool is absent: fails under CI (CI set), skips with the reason elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: this gate must run, not skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """The shared real-data folder (PIPELINE_REAL_DATA overrides); skips when absent, fails under CI."""
    if not REAL_DIR.is_dir():
        missing(f"real data folder {REAL_DIR} absent (set PIPELINE_REAL_DATA)")
    return REAL_DIR


@pytest.fixture(scope="session")
def seed_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed corpus through `dvc repro` once per session (tests/seed_project.py); every slow gate reads it."""
    from tests.seed_project import build_seed_project

    return build_seed_project(tmp_path_factory.mktemp("seed_project"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that read ../shared/real carry the `real` marker; the session pipeline's tests are `slow`."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "real_dir" in names and "real" not in item.keywords:
            item.add_marker(pytest.mark.real)
        if "seed_project" in names and "slow" not in item.keywords:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _fast_tests_load_no_model(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test not marked `slow` that loads the embedding model fails: the fast tier stays model-free."""
    if "slow" in request.keywords:
        return
    from pipeline.common import embedders

    def refuse(self: object, cfg: object) -> None:
        raise AssertionError("this test loads the embedding model: mark it @pytest.mark.slow")

    monkeypatch.setattr(embedders.SentenceTransformerEmbedder, "__init__", refuse)
