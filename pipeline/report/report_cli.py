"""`python -m pipeline report`: self-contained offline HTML in reports/, metrics/headline.json and dvc plots data."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
from pathlib import Path

import yaml

from pipeline.common.config import Params
from pipeline.common.stage import command_parser, run_command
from pipeline.common.storage import read_json, write_json, write_text
from pipeline.report import plots, provenance
from pipeline.report.headline import headline_of
from pipeline.report.inputs import (
    committed_file,
    git_revision,
    model_identity,
    package_versions,
    read_confusion,
    read_eval_items,
    read_figures,
    read_tables,
    with_problems,
)
from pipeline.report.pages import build_pages
from pipeline.report.render import ASSETS, PLOTLY_JS, asset_bytes, plotly_js_path
from pipeline.report.scale import THREAD_DIR, Limits

# figure name given with --figures -> what it is (plotly JSON written by an upstream stage)
FIGURES = ("topics_map", "topics_barchart", "topics_hierarchy")


def parser() -> argparse.ArgumentParser:
    """Command-line options (every path passed in from dvc.yaml)."""
    ap = command_parser("report", __doc__)
    ap.add_argument("--tables", nargs="+", required=True, help="NAME=PATH for each table the report reads")
    ap.add_argument("--more-problems", nargs="*", type=Path, default=[],
                    help="problems tables of later stages (segment, cluster, frame, positions, conservation), shown "
                         "with ingest's on the overview")
    ap.add_argument("--metrics-in", nargs="*", default=[], help="stage metrics JSON files to merge")
    ap.add_argument("--figures", nargs="*", default=[],
                    help=f"NAME=PATH plotly figure JSON files ({', '.join(FIGURES)}); absent files are skipped")
    ap.add_argument("--confusion", nargs="*", default=[],
                    help="NAME=PATH per-item confusion CSVs (actual,predicted,id), NAME the metrics path "
                         "(e.g. frames.unit); their cells drill down to the items")
    ap.add_argument("--eval-items", nargs="*", default=[],
                    help="STEM=PATH eval_items tables (STEM the metrics file stem, e.g. positions): the items "
                         "behind each confusion matrix of that stage")
    ap.add_argument("--lock", type=Path, default=Path("dvc.lock"), help="dvc.lock to read hashes from (not a dependency)")
    ap.add_argument("--out-dir", type=Path, required=True)
    ap.add_argument("--headline", type=Path, required=True, help="output: metrics/headline.json (dvc metrics)")
    ap.add_argument("--plots-dir", type=Path, help="folder for the dvc plots CSVs (frames, topics, roles)")
    return ap


THREADS_NOTE = ("Thread pages of a corpus too large for one page (report.thread_page_utterances) go here.\n"
                "This corpus needs none: every thread is on ../threads.html.\n")


def write_site(pages: dict[str, str], out: Path) -> None:
    """Write the pages (thread pages under threads/, replacing an earlier run's) and the assets they use."""
    shutil.rmtree(out / THREAD_DIR, ignore_errors=True)  # thread pages of an earlier (larger) run
    (out / THREAD_DIR).mkdir(parents=True, exist_ok=True)  # a dvc output even when every thread is in threads.html
    for name, html in pages.items():
        write_text(html, out / name)
    if not any(name.startswith(f"{THREAD_DIR}/") for name in pages):  # the folder stays a (non-empty) dvc output
        write_text(THREADS_NOTE, out / THREAD_DIR / "README.txt")
    (out / "assets").mkdir(parents=True, exist_ok=True)
    for name in ASSETS:
        (out / "assets" / name).write_bytes(asset_bytes(name))
    if any('class="plotly-fig"' in html for html in pages.values()):
        shutil.copyfile(plotly_js_path(), out / "assets" / PLOTLY_JS)


def run(args: argparse.Namespace, cfg: Params) -> int:
    """Read tables and metrics, write pages, assets, metrics.json and the dvc plots data."""
    tables = with_problems(read_tables(args.tables), args.more_problems)
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    stage_metrics = {Path(p).stem: read_json(Path(p)) for p in args.metrics_in if Path(p).exists()}
    lock = yaml.safe_load(args.lock.read_text(encoding="utf-8")) if args.lock.exists() else None
    revision, dirty = git_revision()
    params = cfg.model_dump(mode="json")
    embed = stage_metrics.get("embed") or {}
    prov = provenance.provenance_context(revision, dirty, lock, params, package_versions(),
                                         model_identity(embed, params["embed"]), generated, embed.get("environment"),
                                         committed_file("dvc.lock"))
    out = args.out_dir
    r = cfg.report
    limits = Limits(r.max_quotes, r.page_quotes, r.max_rows, r.thread_page_utterances)
    pages = build_pages(tables, r.title, generated, prov, stage_metrics, read_figures(args.figures),
                        r.examples, {**read_confusion(args.confusion), **read_eval_items(args.eval_items)}, limits)
    write_site(pages, out)
    write_json(headline_of(tables, stage_metrics), args.headline)
    if args.plots_dir:
        for name, df in plots.distributions(tables).items():
            write_text(df.to_csv(index=False), args.plots_dir / name)
    return 0


def main(argv: list[str]) -> int:
    """Run the report stage."""
    return run_command("report", argv, parser(), run)
