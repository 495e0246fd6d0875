"""What the report reads: tables, stage metrics, figures, per-item confusion data, the environment (git, packages)."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.common.schema import EVAL_ITEMS, TABLES
from pipeline.common.storage import read_json, read_table
from pipeline.report import provenance
from pipeline.report.validation_page import item_confusion

# table name given on the command line -> schema it is checked against (None: read as is)
TABLE_SCHEMAS = {"documents": "documents", "utterances": "utterances", "problems": "problems",
                 "skipped": "skipped_spans", "attributed": "clean_utterances", "participants": "participants",
                 "removals": "removals", "units": "units"}


def git_revision() -> tuple[str, bool]:
    """The current git commit and whether the work tree has changes ("unknown" outside git)."""
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True, check=True).stdout.strip())
        return rev, dirty
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False


def committed_file(path: str) -> dict[str, Any] | None:
    """A YAML file as committed at git's HEAD (e.g. dvc.lock), or None outside git or when absent there."""
    import yaml

    try:
        text = subprocess.run(["git", "show", f"HEAD:{path}"], capture_output=True, text=True, check=True).stdout
        return yaml.safe_load(text)
    except (OSError, subprocess.CalledProcessError, yaml.YAMLError):
        return None


def package_versions() -> dict[str, str]:
    """Installed versions of the packages the pipeline depends on."""
    out = {}
    for name in provenance.PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def read_tables(specs: list[str]) -> dict[str, pd.DataFrame]:
    """Read NAME=PATH table arguments (checked against their schema where one is defined)."""
    tables = {}
    for spec in specs:
        name, _, path = spec.partition("=")
        schema = TABLES.get(TABLE_SCHEMAS.get(name, name))
        tables[name] = read_table(Path(path), schema)
    return tables


def read_figures(specs: list[str]) -> dict[str, dict[str, Any]]:
    """Read NAME=PATH plotly figure JSON files; a file that is absent (too few topics) is left out."""
    figures = {}
    for spec in specs:
        name, _, path = spec.partition("=")
        if Path(path).exists():
            figures[name] = read_json(Path(path))
    return figures


def read_confusion(specs: list[str]) -> dict[str, pd.DataFrame]:
    """Read NAME=PATH per-item confusion CSVs (actual,predicted,id; NAME = dotted evaluation path such as
    frames.unit); absent files are left out, the page checks the columns and the counts."""
    out = {}
    for spec in specs:
        name, _, path = spec.partition("=")
        if Path(path).exists():
            try:
                out[name] = pd.read_csv(path, dtype=str, keep_default_na=False)
            except (pd.errors.EmptyDataError, pd.errors.ParserError):
                out[name] = pd.DataFrame()  # unreadable: the page says the cells are not clickable
    return out


def read_eval_items(specs: list[str]) -> dict[str, pd.DataFrame]:
    """Read STEM=PATH eval_items tables (STEM = the stage's metrics file stem, e.g. frames); absent files are
    left out; the result is keyed by dotted evaluation path like --confusion."""
    out: dict[str, pd.DataFrame] = {}
    for spec in specs:
        stem, _, path = spec.partition("=")
        if Path(path).exists():
            out.update(item_confusion(stem, read_table(Path(path), EVAL_ITEMS)))
    return out


def model_identity(embed_metrics: dict[str, Any] | None, embed_params: dict[str, Any]) -> dict[str, Any]:
    """The embedding model as the provenance page shows it: the embed stage's identity, the configured model."""
    m = embed_metrics or {}
    out = {"identity": m.get("model_identity"), "dim": m.get("dim"), "model": embed_params.get("model"),
           "backend": embed_params.get("backend"), "normalize": embed_params.get("normalize")}
    return {k: v for k, v in out.items() if v is not None}


def with_problems(tables: dict[str, pd.DataFrame], paths: list[Path]) -> dict[str, pd.DataFrame]:
    """The tables with every existing problems file of `paths` appended to `problems` (in the order given)."""
    extra = [read_table(p, TABLES["problems"]) for p in paths if p.exists()]
    if not extra:
        return tables
    frames = [tables["problems"], *extra] if "problems" in tables else extra
    return {**tables, "problems": pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)}
