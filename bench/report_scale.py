"""`python -m bench report --sizes 1000,20000,100000`: the HTML report at scale, without running the pipeline.

For each size: synthetic report inputs (bench.report_synth), the report stage's build with the project's
params.yaml `report:` limits (in a subprocess: its peak RSS is the build's own), the pages written as the stage
writes them, then every page's size and its load in headless Chromium: time to the `load` event and to every
chart drawn by plotly. Sizes up to --baseline-max are also built without limits (the report before it scaled).
Prints a table; writes reports/report_scale.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
TOP_PAGES = ("index.html", "threads.html", "frames.html", "topics.html", "positions.html", "validation.html",
             "provenance.html")


def project_limits() -> dict[str, Any]:
    """The report limits of the project's params.yaml."""
    from pipeline.common.config import load_params

    r = load_params(ROOT / "params.yaml").report
    return {"max_quotes": r.max_quotes, "page_quotes": r.page_quotes, "max_rows": r.max_rows,
            "thread_page_utterances": r.thread_page_utterances}


def write_report(pages: dict[str, str], out: Path) -> None:
    """The pages and their assets as the report stage writes them (one plotly.min.js)."""
    from pipeline.report.render import ASSETS, PLOTLY_JS, asset_bytes, plotly_js_path

    shutil.rmtree(out, ignore_errors=True)
    for name, html in pages.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(html, encoding="utf-8")
    (out / "assets").mkdir(parents=True, exist_ok=True)
    for name in ASSETS:
        (out / "assets" / name).write_bytes(asset_bytes(name))
    shutil.copyfile(plotly_js_path(), out / "assets" / PLOTLY_JS)


def build(a: dict[str, Any]) -> dict[str, Any]:
    """Synthesise inputs for a["n"] comments, build and write the report to a["out"] with a["limits"] (None:
    unlimited); seconds per step, peak RSS, rows synthesised, page sizes and drill-down samples."""
    import resource

    from bench.report_synth import report_inputs
    from pipeline.report.pages import build_pages
    from pipeline.report.scale import Limits

    t0 = time.perf_counter()
    inputs = report_inputs(a["n"], a.get("seed", 0))
    t1 = time.perf_counter()
    limits = Limits(**a["limits"]) if a.get("limits") else Limits()
    pages = build_pages(inputs.tables, "Synthetic corpus", "bench", metrics=inputs.metrics, figures=inputs.figures,
                        confusion=inputs.confusion, limits=limits)
    t2 = time.perf_counter()
    out = Path(a["out"])
    write_report(pages, out)
    t3 = time.perf_counter()
    return {"comments": a["n"], "rows": inputs.counts(), "synth_seconds": round(t1 - t0, 1),
            "build_seconds": round(t2 - t1, 1), "write_seconds": round(t3 - t2, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "pages": page_sizes(out)}


def page_sizes(out: Path) -> dict[str, Any]:
    """Bytes of each top page, of the thread pages (count, total, largest) and of the whole folder."""
    threads = sorted((out / "threads").glob("*.html")) if (out / "threads").is_dir() else []
    sizes = {p.name: p.stat().st_size for p in sorted(out.glob("*.html"))}
    largest = max(threads, key=lambda p: p.stat().st_size, default=None)
    some = {f"threads/{p.name}": p.stat().st_size for p in ([threads[0], largest] if threads else [])}
    return {"top": sizes, "thread_pages": len(threads), "thread_pages_bytes": sum(p.stat().st_size for p in threads),
            "largest_thread_page": None if largest is None else {"page": f"threads/{largest.name}",
                                                                  "bytes": largest.stat().st_size},
            "first_and_largest_thread_pages": some,
            "html_bytes": sum(sizes.values()) + sum(p.stat().st_size for p in threads),
            "folder_bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file())}


def load_times(out: Path, pages: list[str], timeout_ms: int = 300_000) -> dict[str, dict[str, Any]]:
    """Per page: ms to the load event and to every chart drawn (plotly), in headless Chromium, and errors."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    res: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            for name in pages:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.set_default_timeout(timeout_ms)
                t0 = time.perf_counter()
                page.goto((out / name).resolve().as_uri(), wait_until="load", timeout=timeout_ms)
                t_load = time.perf_counter()
                n = page.locator("div.figure").count()
                page.wait_for_function(f"document.querySelectorAll('div.figure[data-rendered]').length === {n}",
                                       timeout=timeout_ms)
                t_charts = time.perf_counter()
                res[name] = {"load_ms": round((t_load - t0) * 1000), "charts_ms": round((t_charts - t0) * 1000),
                             "charts": n, "errors": errors}
                page.close()
        finally:
            browser.close()
    return res


def run_build(n: int, out: Path, limits: dict[str, Any] | None, seed: int) -> dict[str, Any]:
    """`build` in a fresh process (its peak RSS is the build's own)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    arg = json.dumps({"n": n, "out": str(out), "limits": limits, "seed": seed})
    proc = subprocess.run([sys.executable, "-m", "bench.report_scale", "build", arg], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"report build for {n} comments failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measured_pages(out: Path) -> list[str]:
    """The pages to load: every top page, the first thread page and the largest one."""
    pages = [p for p in TOP_PAGES if (out / p).exists()]
    threads = sorted((out / "threads").glob("*.html")) if (out / "threads").is_dir() else []
    if threads:
        largest = max(threads, key=lambda p: p.stat().st_size)
        pages += sorted({f"threads/{threads[0].name}", f"threads/{largest.name}"})
    return pages


def report_scale(sizes: list[int], baseline_max: int = 0, seed: int = 0, work: Path | None = None,
                 load: bool = True) -> dict[str, Any]:
    """Build, size and load the report for each number of comments; with the project's limits and, up to
    `baseline_max` comments, without any (as before the report scaled)."""
    limits = project_limits()
    res: dict[str, Any] = {"limits": limits, "runs": []}
    with tempfile.TemporaryDirectory(prefix="report-scale-", dir=work) as tmp:
        for n in sizes:
            for mode, lim in (("limited", limits), ("unlimited", None)):
                if mode == "unlimited" and n > baseline_max:
                    continue
                out = Path(tmp) / f"{mode}-{n}"
                r = run_build(n, out, lim, seed)
                r["mode"] = mode
                if load:
                    r["load"] = load_times(out, measured_pages(out))
                res["runs"].append(r)
                sys.stdout.write(summary_line(r))
                shutil.rmtree(out, ignore_errors=True)
    return res


def summary_line(r: dict[str, Any]) -> str:
    """One line per run for the console."""
    p = r["pages"]
    biggest = max(p["top"].items(), key=lambda kv: kv[1])
    slowest = max(r.get("load", {}).items(), key=lambda kv: kv[1]["charts_ms"], default=(None, None))
    slow = f"; slowest {slowest[0]} {slowest[1]['charts_ms']} ms to charts" if slowest[0] else ""
    return (f"{r['mode']:>9} {r['comments']:>7,} comments: build {r['build_seconds']} s, peak RSS {r['peak_rss_mb']} "
            f"MB, {len(p['top'])} pages + {p['thread_pages']} thread pages, largest {biggest[0]} "
            f"{biggest[1] / 1e6:.2f} MB, all HTML {p['html_bytes'] / 1e6:.1f} MB{slow}\n")


def mb(n: int | None) -> str:
    """Bytes as MB with two decimals."""
    return "" if n is None else f"{n / 1e6:.2f}"


def markdown(res: dict[str, Any]) -> str:
    """Tables for reports/bench.md and the README: page sizes and load times per corpus size."""
    lim = res["limits"]
    lines = [f"Report limits (params.yaml `report:`): max_quotes {lim['max_quotes']}, page_quotes {lim['page_quotes']}, "
             f"max_rows {lim['max_rows']}, thread_page_utterances {lim['thread_page_utterances']}. Synthetic inputs "
             "(bench/report_synth.py); load = headless Chromium, ms to the load event / to every chart drawn.", "",
             "| comments | mode | units | build s | peak RSS MB | page | MB | load ms | charts ms |",
             "|---:|---|---:|---:|---:|---|---:|---:|---:|"]
    for r in res["runs"]:
        p, load = r["pages"], r.get("load", {})
        sizes = {**p["top"], **p.get("first_and_largest_thread_pages", {})}
        first = True
        for name, size in sizes.items():
            t = load.get(name, {})
            head = (f"| {r['comments']:,} | {r['mode']} | {r['rows']['units']:,} | {r['build_seconds']} | "
                    f"{r['peak_rss_mb']} " if first else "| | | | | ")
            lines.append(f"{head}| {name} | {mb(size)} | {t.get('load_ms', '')} | {t.get('charts_ms', '')} |")
            first = False
        lines.append(f"| | | | | | all HTML ({len(p['top'])} + {p['thread_pages']} thread pages) | "
                     f"{mb(p['html_bytes'])} | | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """`python -m bench report`: run, print, write the JSON and Markdown."""
    ap = argparse.ArgumentParser(prog="python -m bench report", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,20000,100000", help="comments per synthetic corpus")
    ap.add_argument("--baseline-max", type=int, default=20000,
                    help="also build without limits up to this many comments (0: never)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-load", action="store_true", help="sizes only, no browser")
    ap.add_argument("--out", type=Path, default=ROOT / "reports" / "report_scale.json")
    args = ap.parse_args(argv)
    res = report_scale([int(s) for s in args.sizes.split(",")], args.baseline_max, args.seed, load=not args.no_load)
    from pipeline.common.storage import write_json, write_text

    write_json(res, args.out)
    text = markdown(res)
    write_text(text, args.out.with_suffix(".md"))
    sys.stdout.write(text + f"wrote {args.out} and {args.out.with_suffix('.md')}\n")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "build":
        sys.stdout.write(json.dumps(build(json.loads(sys.argv[2]))) + "\n")
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
