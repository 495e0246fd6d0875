"""`python -m pipeline evaluate extraction`: HTML comment extraction against gold items, per platform.

Reads the gold files (default evaluation/html_expected.yaml and evaluation/html_dev_expected.yaml) and
finds each page by name under the --pages folders (default: the real-data folder, PIPELINE_REAL_DATA or
../shared/real). Default: leave-one-platform-out (held-out first, fit beside). --no-lopo scores the
configured model only. --train fits the block model on all gold pages with the hyperparameters chosen by
LOPO (grids in params.yaml ingest.html.train_*) and writes it with --out-model. --bench times extraction
against trafilatura. Prints a table, or JSON with --json; --out writes the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from lxml import html as lxml_html

from pipeline.common.config import ConfigError, IngestConfig, load_params, load_yaml
from pipeline.common.textnorm import decode
from pipeline.evaluation.extraction import GoldPage, bench_html, lopo, summary
from pipeline.ingest.adapters.base import Source
from pipeline.ingest.adapters.html import parse_html
from pipeline.ingest.adapters.html_model import BlockModel, load_model

GOLD = (Path("evaluation/html_expected.yaml"), Path("evaluation/html_dev_expected.yaml"))


def load_pages(dirs: list[Path], gold: list[Path]) -> tuple[list[GoldPage], list[str]]:
    """Gold pages found under the folders (decoded), and the names not found."""
    files: dict[str, Path] = {}
    for d in dirs:
        for f in sorted(d.rglob("*.htm*")):
            files.setdefault(f.name, f)
    pages, missing = [], []
    for g in gold:
        for name, exp in (load_yaml(g).get("pages") or {}).items():
            if name not in files:
                missing.append(name)
                continue
            text, _ = decode(files[name].read_bytes())
            pages.append(GoldPage(name, text, str(files[name]), exp))
    return pages, missing


def _root(text: str) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(text.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))


class Runner:
    """Parses gold pages with a given model and fits models without a platform (cached preparation)."""

    def __init__(self, pages: list[GoldPage], params: IngestConfig):
        self.pages = pages
        self.params = params
        self._prepared: list[Any] | None = None
        self._models: dict[tuple[str, float, str | None], BlockModel] = {}

    def parse(self, page: GoldPage, model: BlockModel | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Utterance and problem rows of one page."""
        parsed = parse_html(page.text, Source("eval", page.name, page.text.encode("utf-8")), self.params, model)
        return parsed.utterances, parsed.problems

    def prepared(self) -> list[Any]:
        """Training data of every trainable page (computed once)."""
        from pipeline.evaluation.extraction_train import prepare

        if self._prepared is None:
            skip = self.params.html.train_skip_platforms
            self._prepared = [prepare(p.name, p.platform, _root(p.text), list(p.expected.get("items") or []),
                                      self.params.html) for p in self.pages if p.platform not in skip]
        return self._prepared

    def fitter(self, kind: str, c: float, threshold: float) -> Any:
        """fit_without(platform): a model fitted on every trainable page but that platform's (cached; the
        threshold does not change the fit)."""
        from pipeline.evaluation.extraction_train import fit

        h = self.params.html

        def fit_without(platform: str | None) -> BlockModel:
            key = (kind, c, platform)
            if key not in self._models:
                self._models[key] = fit([p for p in self.prepared() if p.platform != platform], c,
                                        h.train_min_platforms, threshold, h.train_seed, kind, h.train_trees,
                                        h.train_depth, h.train_rate)
            return replace(self._models[key], threshold=threshold)
        return fit_without


def choose(runner: Runner) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The LOPO result of every (kind, C, threshold) of the grids, best first: held-out macro recall +
    parent accuracy + precision, less train_false_comment_cost per false comment on empty pages."""
    h = runner.params.html
    tried = []
    for kind in h.train_kind_grid:
        for c in (h.train_c_grid if kind != "trees" else h.train_c_grid[:1]):
            for t in h.train_threshold_grid:
                res = lopo(runner.pages, runner.parse, runner.fitter(kind, c, t))
                s = summary(res["held_out"]["platforms"], h.train_skip_platforms)
                tried.append({"kind": kind, "C": c, "threshold": t, "held_out": s, "result": res})
                sys.stderr.write(f"LOPO {kind} C={c} threshold={t}: macro {s['macro']}, false comments on empty "
                                 f"pages {s['micro']['false_comments_on_empty_pages']}\n")
    tried.sort(key=lambda r: (-(r["held_out"]["macro"]["recall"] + r["held_out"]["macro"]["parent_accuracy"]
                                + r["held_out"]["macro"]["precision"]
                                - h.train_false_comment_cost * r["held_out"]["micro"]["false_comments_on_empty_pages"]),
                              r["kind"], r["C"], r["threshold"]))
    return tried[0], [{k: v for k, v in r.items() if k != "result"} for r in tried]


def _fmt(v: Any) -> str:
    return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def table(result: dict[str, Any]) -> str:
    """Per-platform table, held-out first and fit beside, then the LOPO summary."""
    held, fit = result["held_out"]["platforms"], result["fit"]["platforms"]
    head = (f"{'platform':<18} {'pages':>5} {'exp':>5} | held-out: {'found':>5} {'rec':>5} {'prec':>5} {'auth':>5} "
            f"{'par':>5} {'false':>5} | fit: {'rec':>5} {'prec':>5} {'auth':>5} {'par':>5} {'false':>5}")
    lines = [head, "-" * len(head)]
    for k in sorted(held, key=lambda k: (k in result.get("skipped", ()), k)):
        h, f = held[k], fit[k]
        lines.append(f"{k:<18} {h['pages']:>5} {h['expected']:>5} |           {h['found']:>5} {_fmt(h['recall']):>5} "
                     f"{_fmt(h['precision']):>5} {_fmt(h['author_accuracy']):>5} {_fmt(h['parent_accuracy']):>5} "
                     f"{h['false_comments']:>5} |      {_fmt(f['recall']):>5} {_fmt(f['precision']):>5} "
                     f"{_fmt(f['author_accuracy']):>5} {_fmt(f['parent_accuracy']):>5} {f['false_comments']:>5}")
    for name in ("held_out", "fit"):
        s = result["summary"][name]
        lines.append(f"{name}: micro recall {s['micro']['recall']:.3f} precision {s['micro']['precision']:.3f} "
                     f"author {s['micro']['author_accuracy']:.3f} parent {s['micro']['parent_accuracy']:.3f} "
                     f"false comments on empty pages {s['micro']['false_comments_on_empty_pages']}; macro recall "
                     f"{s['macro']['recall']:.3f} precision {s['macro']['precision']:.3f} author "
                     f"{s['macro']['author_accuracy']:.3f} parent {s['macro']['parent_accuracy']:.3f} "
                     f"text {s['macro']['text_accuracy']:.3f} (micro {s['micro']['text_accuracy']:.3f}) "
                     f"({s['platforms']} platforms; below 0.95: {', '.join(s['below_target']) or 'none'})")
    if result.get("skipped"):
        lines.append(f"not in the summary (own extractor): {', '.join(result['skipped'])}")
    warn = result.get("warnings")
    if warn:
        lines.append(f"comments-suspected-missing rows: right on {warn['right']} of {warn['pages']} pages"
                     + (f"; wrong: {', '.join(warn['wrong'])}" if warn["wrong"] else ""))
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    real = Path(os.environ.get("PIPELINE_REAL_DATA", "../shared/real"))
    ap = argparse.ArgumentParser(prog="python -m pipeline evaluate extraction", description=__doc__)
    ap.add_argument("--pages", type=Path, action="append", default=None, help=f"folder of pages (default {real})")
    ap.add_argument("--expected", type=Path, action="append", default=None, help="gold YAML (repeatable)")
    ap.add_argument("--params", type=Path, default=Path("params.yaml"), help="params.yaml (ingest.html)")
    ap.add_argument("--no-lopo", action="store_true", help="score the configured model only (no refitting)")
    ap.add_argument("--train", action="store_true", help="choose hyperparameters by LOPO, fit on all, write --out-model")
    ap.add_argument("--out-model", type=Path, default=None, help="where --train writes the model JSON")
    ap.add_argument("--bench", action="store_true", help="also time extraction against trafilatura.extract")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = ap.parse_args(argv)
    args.pages = args.pages or [real]
    args.expected = args.expected or list(GOLD)
    return args


def run(pages: list[GoldPage], params: IngestConfig, train: bool, no_lopo: bool) -> dict[str, Any]:
    """The evaluation result (and, with train, the chosen model under 'model')."""
    runner = Runner(pages, params)
    skip = params.html.train_skip_platforms
    if no_lopo:
        model = load_model(params.html.block_model)
        from pipeline.evaluation.extraction import by_platform, evaluate_pages

        fit = evaluate_pages(pages, runner.parse, model)
        res: dict[str, Any] = {"held_out": {"pages": fit, "platforms": by_platform(fit)},
                               "fit": {"pages": fit, "platforms": by_platform(fit)}, "note": "no LOPO: held_out = fit"}
    elif train:
        best, tried = choose(runner)
        res = best["result"]
        res["grid"] = tried
        res["chosen"] = {"kind": best["kind"], "C": best["C"], "threshold": best["threshold"]}
        res["model"] = runner.fitter(best["kind"], best["C"], best["threshold"])(None).to_dict()
    else:
        m = load_model(params.html.block_model)
        res = lopo(pages, runner.parse, runner.fitter(m.kind, float(m.meta.get("C", 1.0)), m.threshold))
    res["skipped"] = [k for k in res["held_out"]["platforms"] if k in skip]
    res["summary"] = {name: summary(res[name]["platforms"], skip) for name in ("held_out", "fit")}
    scored = [p for p in res["held_out"]["pages"].values() if p["platform"] not in skip]
    res["warnings"] = {"pages": len(scored), "right": sum(p["warned"] == p["should_warn"] for p in scored),
                       "wrong": sorted(n for n, p in res["held_out"]["pages"].items()
                                       if p["platform"] not in skip and p["warned"] != p["should_warn"])}
    return res


def main(argv: list[str]) -> int:
    """CLI edge: load, evaluate (train), print, write."""
    args = parse_args(argv)
    try:
        params = load_params(args.params).ingest if args.params.is_file() else IngestConfig()
        missing_dirs = [str(d) for d in args.pages if not d.is_dir()]
        if missing_dirs:
            raise ConfigError(f"pages folder not found: {', '.join(missing_dirs)}")
        pages, missing = load_pages(args.pages, args.expected)
    except ConfigError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    if args.train and not args.out_model:
        sys.stderr.write("--train needs --out-model PATH\n")
        return 2
    result = run(pages, params, args.train, args.no_lopo)
    result["missing_pages"] = missing
    if args.bench:
        result["bench"] = bench_html([(p.name, p.text) for p in pages
                                      if p.platform not in params.html.train_skip_platforms], params)
    model = result.pop("model", None)
    if model is not None:
        args.out_model.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    compact = {k: v for k, v in result.items() if k != "grid"} | {"grid": result.get("grid")}
    sys.stdout.write((json.dumps(compact, indent=2, sort_keys=True, default=str) if args.json else table(result)) + "\n")
    if args.bench and not args.json:
        b = result["bench"]
        sys.stdout.write(f"speed over {b['pages']} pages: extractor {b['extractor']['pages_per_s']} pages/s (median "
                         f"{b['extractor']['median_ms']} ms), trafilatura.extract {b['trafilatura_extract']['pages_per_s']}"
                         f" pages/s (median {b['trafilatura_extract']['median_ms']} ms)\n")
    if args.out:
        from pipeline.common.storage import write_json

        write_json(compact, args.out)
    return 0
