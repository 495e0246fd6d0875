"""Evaluate HTML comment extraction against hand-verified expectations (evaluation/html_expected.yaml).

Per page: comments found vs expected, expected comments found as separate utterances (matched on the
digits of their DOM id) with the right author, parent agreement, depth distribution agreement,
pingbacks, and false comments on pages without comments. Prints a table (or JSON with --json).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.common.config import ConfigError, IngestConfig, load_params, load_yaml
from pipeline.ingest.adapters.base import Source
from pipeline.ingest.adapters.html import ADAPTER

_DIGITS = re.compile(r"\d+")


def id_key(value: str | None) -> str | None:
    """The longest digit run of a DOM id ('div-comment-123' and 'comment-123' both give '123')."""
    runs = _DIGITS.findall(value or "")
    return max(runs, key=len) if runs else None


def _same_author(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def score_page(utterances: list[dict[str, Any]], expected: dict[str, Any]) -> dict[str, Any]:
    """Scores of one page's utterance rows against its expected entry."""
    comments = [u for u in utterances if u["kind"] == "comment"]
    local = {u["utterance_id"]: u["utterance_id"].rsplit("/", 1)[-1] for u in utterances}
    by_key = {id_key(local[u["utterance_id"]]): u for u in comments}
    out: dict[str, Any] = {
        "group": expected.get("group"), "expected": int(expected.get("comments", 0)), "found": len(comments),
        "pingbacks_expected": int(expected.get("pingbacks", 0)),
        "pingbacks_found": sum(u["kind"] == "pingback" for u in utterances),
        "authors_distinct": len({u["author"] for u in comments if u["author"]}),
    }
    items = expected.get("items") or []
    if items:
        matched = [(it, by_key.get(id_key(str(it["id"])))) for it in items]
        out["separate"] = sum(u is not None for _, u in matched)
        out["right_author"] = sum(u is not None and _same_author(u["author"], it.get("author")) for it, u in matched)
        parent_ok = 0
        for it, u in matched:
            if u is None:
                continue
            got = u["parent_id"]
            got_key = None if got is None or got.endswith("/post") else id_key(local.get(got, got))
            parent_ok += got_key == id_key(str(it["parent"])) if it.get("parent") else got_key is None
        out["parent_ok"] = parent_ok
        out["items"] = len(items)
    if expected.get("depths"):
        want = Counter({int(k): int(v) for k, v in expected["depths"].items()})
        got = Counter(u["depth"] for u in comments)
        out["depths_found"] = dict(sorted(got.items()))
        out["depth_agreement"] = round(sum((want & got).values()) / max(1, sum(want.values())), 4)
    if expected.get("group") == "without_comments":
        out["false_comments"] = len(comments) + out["pingbacks_found"]
    return out


def _rates(pages: list[dict[str, Any]]) -> dict[str, Any]:
    items = sum(p["items"] for p in pages)
    return {
        "items": items,
        "separate_rate": round(sum(p["separate"] for p in pages) / max(1, items), 4),
        "right_author_rate": round(sum(p["right_author"] for p in pages) / max(1, items), 4),
        "parent_rate": round(sum(p["parent_ok"] for p in pages) / max(1, items), 4),
    }


def summarize(pages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Rates per page group (pages with per-comment items) and false comments on pages without comments."""
    groups = sorted({p.get("group") for p in pages.values() if "items" in p})
    return {
        "groups": {g: _rates([p for p in pages.values() if p.get("group") == g and "items" in p]) for g in groups},
        "false_comments_on_empty_pages": sum(p.get("false_comments", 0) for p in pages.values()),
        "missing_pages": sorted(k for k, p in pages.items() if p.get("missing")),
    }


def evaluate(page_dirs: list[Path], expected: dict[str, Any], params: IngestConfig) -> dict[str, Any]:
    """Parse every expected page found under the folders and score it."""
    files = {f.name: f for d in page_dirs for f in sorted(d.rglob("*.htm*"))}
    pages: dict[str, dict[str, Any]] = {}
    for name, exp in (expected.get("pages") or {}).items():
        if name not in files:
            pages[name] = {"group": exp.get("group"), "missing": True}
            continue
        parsed = ADAPTER.parse(Source("eval", str(files[name]), files[name].read_bytes()), params)
        pages[name] = score_page(parsed.utterances, exp)
    return {"pages": pages, "summary": summarize(pages)}


def table(result: dict[str, Any]) -> str:
    """A plain-text table of the per-page scores."""
    head = f"{'page':<58} {'group':<16} {'exp':>4} {'found':>5} {'sep':>4} {'auth':>4} {'par':>4} {'depth':>6} {'ping':>7}"
    lines = [head, "-" * len(head)]
    for name, p in result["pages"].items():
        if p.get("missing"):
            lines.append(f"{name[:58]:<58} {p.get('group') or '':<16} missing")
            continue
        cell = {k: str(p[k]) if k in p else "-" for k in ("separate", "right_author", "parent_ok", "depth_agreement")}
        lines.append(f"{name[:58]:<58} {p['group'] or '':<16} {p['expected']:>4} {p['found']:>5} {cell['separate']:>4} "
                     f"{cell['right_author']:>4} {cell['parent_ok']:>4} {cell['depth_agreement']:>6} "
                     f"{p['pingbacks_expected']:>3}/{p['pingbacks_found']:<3}")
    s = result["summary"]
    for g, r in s["groups"].items():
        lines.append(f"{g}: {r['items']} expected comments; separate {r['separate_rate']:.1%}, "
                     f"right author {r['right_author_rate']:.1%}, right parent {r['parent_rate']:.1%}")
    lines.append(f"false comments on pages without comments: {s['false_comments_on_empty_pages']}"
                 + (f"; missing pages: {', '.join(s['missing_pages'])}" if s["missing_pages"] else ""))
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(prog="python -m pipeline evaluate extraction", description=__doc__)
    ap.add_argument("--pages", type=Path, action="append", required=True, help="folder of pages (repeatable)")
    ap.add_argument("--expected", type=Path, required=True, help="expected threads YAML")
    ap.add_argument("--params", type=Path, default=Path("params.yaml"), help="params.yaml (ingest.html cues)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    return ap.parse_args(argv)


def main(argv: list[str]) -> int:
    """CLI edge: load, evaluate, print (and write)."""
    args = parse_args(argv)
    try:
        params = load_params(args.params).ingest if args.params.is_file() else IngestConfig()
        expected = load_yaml(args.expected)
    except ConfigError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    missing = [str(d) for d in args.pages if not d.is_dir()]
    if missing:
        sys.stderr.write(f"pages folder not found: {', '.join(missing)}\n")
        return 2
    result = evaluate(args.pages, expected, params)
    sys.stdout.write((json.dumps(result, indent=2, sort_keys=True) if args.json else table(result)) + "\n")
    if args.out:
        from pipeline.common.storage import write_json

        write_json(result, args.out)
    return 0
