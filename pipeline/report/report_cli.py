"""Report stage: self-contained offline HTML in reports/ plus reports/metrics.json."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline.common.config import load_params
from pipeline.common.schema import EVAL_ITEMS, TABLES
from pipeline.common.storage import read_json, read_table, write_json, write_text
from pipeline.report import overview, plots, provenance
from pipeline.report.pages import build_pages
from pipeline.report.render import ASSETS, PLOTLY_JS, asset_bytes, plotly_js_path
from pipeline.report.validation_page import item_confusion

__all__ = ["build_metrics", "build_pages", "main"]

# table name given on the command line -> schema it is checked against (None: read as is)
TABLE_SCHEMAS = {"documents": "documents", "utterances": "utterances", "problems": "problems",
                 "skipped": "skipped_spans", "attributed": "clean_utterances", "participants": "participants",
                 "removals": "removals", "units": "units"}
# figure name given with --figures -> what it is (plotly JSON written by an upstream stage)
FIGURES = ("topics_map", "topics_barchart", "topics_hierarchy")


def build_metrics(tables: dict[str, pd.DataFrame], stage_metrics: dict[str, Any]) -> dict[str, Any]:
    """reports/metrics.json: corpus counts plus every stage's metrics file."""
    corpora = overview.corpus_rows(tables["documents"], tables["utterances"], tables["problems"],
                                   tables.get("participants"))
    return {"counts": overview.count_metrics(corpora), **stage_metrics}


def git_revision() -> tuple[str, bool]:
    """The current git commit and whether the work tree has changes ("unknown" outside git)."""
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True, check=True).stdout.strip())
        return rev, dirty
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False


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


def main(argv: list[str]) -> int:
    """CLI edge: read tables and metrics, write pages, assets and metrics.json."""
    ap = argparse.ArgumentParser(prog="python -m pipeline report", description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--tables", nargs="+", required=True, help="NAME=PATH for each table the report reads")
    ap.add_argument("--metrics-in", nargs="*", default=[], help="stage metrics JSON files to merge")
    ap.add_argument("--figures", nargs="*", default=[],
                    help=f"NAME=PATH plotly figure JSON files ({', '.join(FIGURES)}); absent files are skipped")
    ap.add_argument("--confusion", nargs="*", default=[],
                    help="NAME=PATH per-item confusion CSVs (actual,predicted,id), NAME the metrics path "
                         "(e.g. frames.unit); their cells drill down to the items")
    ap.add_argument("--eval-items", nargs="*", default=[],
                    help="STEM=PATH eval_items tables (STEM the metrics file stem, e.g. positions): the items "
                         "behind each confusion matrix of that stage")
    ap.add_argument("--lock", default="dvc.lock", help="dvc.lock to read hashes from (not a dependency)")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--metrics-out", required=True)
    ap.add_argument("--plots-dir", help="folder for the dvc plots CSVs (frames, topics, roles)")
    args = ap.parse_args(argv)
    cfg = load_params(args.params)
    tables = read_tables(args.tables)
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    stage_metrics = {Path(p).stem: read_json(Path(p)) for p in args.metrics_in if Path(p).exists()}
    lock_path = Path(args.lock)
    lock = yaml.safe_load(lock_path.read_text(encoding="utf-8")) if lock_path.exists() else None
    revision, dirty = git_revision()
    model = (stage_metrics.get("embed") or {}).get("model")
    prov = provenance.provenance_context(revision, dirty, lock, cfg.model_dump(mode="json"), package_versions(),
                                         model if isinstance(model, dict) else ({"identity": model} if model else None),
                                         generated)
    out = Path(args.out_dir)
    pages = build_pages(tables, cfg.report.title, generated, prov, stage_metrics, read_figures(args.figures),
                        cfg.report.examples, {**read_confusion(args.confusion), **read_eval_items(args.eval_items)})
    for name, html in pages.items():
        write_text(html, out / name)
    (out / "assets").mkdir(parents=True, exist_ok=True)
    for name in ASSETS:
        (out / "assets" / name).write_bytes(asset_bytes(name))
    if any('class="plotly-fig"' in html for html in pages.values()):
        shutil.copyfile(plotly_js_path(), out / "assets" / PLOTLY_JS)
    write_json(build_metrics(tables, stage_metrics), Path(args.metrics_out))
    if args.plots_dir:
        for name, df in plots.distributions(tables).items():
            write_text(df.to_csv(index=False), Path(args.plots_dir) / name)
    return 0
