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


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """The shared real-data folder (PIPELINE_REAL_DATA overrides); skips when absent."""
    if not REAL_DIR.is_dir():
        pytest.skip(f"real data folder {REAL_DIR} absent (set PIPELINE_REAL_DATA)")
    return REAL_DIR
