"""Report stage: self-contained offline HTML in reports/ plus reports/metrics.json."""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

import yaml

from pipeline.config import load_params
from pipeline.io import read_json, read_table, write_json, write_text
from pipeline.report import overview, provenance, threads
from pipeline.report.render import ASSETS, asset_bytes, environment, render
from pipeline.schema import DOCUMENTS, PROBLEMS, SKIPPED, UTTERANCES

NAV = [("index.html", "Overview"), ("threads.html", "Threads"), ("provenance.html", "Provenance")]


def build_pages(tables: dict[str, pd.DataFrame], title: str, generated: str,
                prov: dict[str, Any] | None = None) -> dict[str, str]:
    """All pages as {file name: html} (pure)."""
    env = environment()
    docs, utts = tables["documents"], tables["utterances"]
    corpora = overview.corpus_rows(docs, utts, tables["problems"], tables.get("participants"))
    common = {"report_title": title, "generated": generated}
    return {
        "index.html": render(env, "index.html", NAV, current="index.html", page_title="Overview", **common,
                             corpora=corpora, documents=overview.document_rows(docs, utts),
                             n_sources=int(docs.source_file.nunique()),
                             skipped=tables["skipped"].to_dict("records"),
                             problems=tables["problems"].to_dict("records")),
        "threads.html": render(env, "threads.html", NAV, current="threads.html", page_title="Threads", **common,
                               documents=threads.thread_documents(docs, utts)),
        "provenance.html": render(env, "provenance.html", NAV, current="provenance.html", page_title="Provenance",
                                  report_title=title, **(prov or provenance.provenance_context(
                                      "unknown", False, None, {}, {}, None, generated))),
    }


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


def main(argv: list[str]) -> int:
    """CLI edge: read tables and metrics, write pages, assets and metrics.json."""
    ap = argparse.ArgumentParser(prog="python -m pipeline report", description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--documents", required=True)
    ap.add_argument("--utterances", required=True)
    ap.add_argument("--problems", required=True)
    ap.add_argument("--skipped", required=True)
    ap.add_argument("--metrics-in", nargs="*", default=[], help="stage metrics JSON files to merge")
    ap.add_argument("--lock", default="dvc.lock", help="dvc.lock to read hashes from (not a dependency)")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--metrics-out", required=True)
    args = ap.parse_args(argv)
    cfg = load_params(args.params)
    tables = {
        "documents": read_table(Path(args.documents), DOCUMENTS),
        "utterances": read_table(Path(args.utterances), UTTERANCES),
        "problems": read_table(Path(args.problems), PROBLEMS),
        "skipped": read_table(Path(args.skipped), SKIPPED),
    }
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    stage_metrics = {Path(p).stem: read_json(Path(p)) for p in args.metrics_in}
    lock_path = Path(args.lock)
    lock = yaml.safe_load(lock_path.read_text(encoding="utf-8")) if lock_path.exists() else None
    revision, dirty = git_revision()
    model = (stage_metrics.get("embed") or {}).get("model")
    prov = provenance.provenance_context(revision, dirty, lock, cfg.model_dump(mode="json"), package_versions(),
                                         model if isinstance(model, dict) else ({"identity": model} if model else None),
                                         generated)
    out = Path(args.out_dir)
    for name, html in build_pages(tables, cfg.report.title, generated, prov).items():
        write_text(html, out / name)
    for name in ASSETS:
        (out / "assets").mkdir(parents=True, exist_ok=True)
        (out / "assets" / name).write_bytes(asset_bytes(name))
    write_json(build_metrics(tables, stage_metrics), Path(args.metrics_out))
    return 0
