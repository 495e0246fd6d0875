"""Comment extraction scored against gold items: matching, per-page and per-platform rates, LOPO, speed.

Matching (one extracted comment per gold item, in three passes): (1) the longest digit run of the DOM
id, where both have one; (2) the item's normalised text prefix (NFKC, case-folded, whitespace removed,
first 30 characters; `text_own` too; kept as a hash, pipeline/evaluation/textkey.py) contained in an
extracted comment's text, the nearest one after the previous match first; (3) items without a usable text (collapsed, deleted, private stubs): among the
unmatched comments between the neighbouring matches, the one with the same author (or, for a null gold
author, with no author / "[deleted]"). Recall = matched / expected items, precision = matched /
extracted comments; author and parent accuracy are over matched items (parent right when the
extracted parent is the match of the gold parent, or both are top-level); text accuracy is over matched items
with a text key: the extracted text holds the item's key (an id match with the wrong body counts wrong). Pages without comments count
their false comments. Leave-one-platform-out (`lopo`): the block model (vocabulary, coefficients) is
fitted without the held-out platform's pages and applied to them; fit numbers use the model fitted on all.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.common.config import IngestConfig
from pipeline.evaluation.textkey import KEY_CHARS, Windows, item_keys
from pipeline.ingest.adapters.html_blocks import norm_text

_DIGITS = re.compile(r"\d+")
_DELETED = {None, "", "[deleted]", "deleted", "[removed]"}


def id_key(value: str | None) -> str | None:
    """The longest digit run of a DOM id ('div-comment-123' and 'comment-123' both give '123')."""
    runs = _DIGITS.findall(value or "")
    return max(runs, key=len) if runs else None


def same_author(got: str | None, item: dict[str, Any]) -> bool:
    """True when the extracted author is the item's (or its alternative spelling; deleted = no author)."""
    if item.get("author") is None and (got is None or got.strip().casefold() in _DELETED):
        return True
    names = [item.get(k) for k in ("author", "author_alt") if item.get(k)]
    return got is not None and any(" ".join(got.split()).casefold() == " ".join(str(n).split()).casefold()
                                   for n in names)


def _local(uid: str | None) -> str | None:
    return None if uid is None else uid.rsplit("/", 1)[-1]


def match(comments: list[dict[str, Any]], items: list[dict[str, Any]]) -> list[int | None]:
    """For each gold item, the index of its extracted comment (or None); one-to-one."""
    out: list[int | None] = [None] * len(items)
    used: set[int] = set()
    keys: dict[str, list[int]] = {}
    for j, c in enumerate(comments):
        k = id_key(_local(c.get("utterance_id")))
        if k:
            keys.setdefault(k, []).append(j)
    for k, it in enumerate(items):
        key = id_key(str(it["id"])) if it.get("id") else None
        hits = [j for j in keys.get(key or "", []) if j not in used]
        if key and len(keys.get(key, [])) == 1 and hits:
            out[k] = hits[0]
            used.add(hits[0])
    texts = [norm_text(c.get("text") or "") for c in comments]
    windows = [Windows(t) for t in texts]
    last = -1
    for k, it in enumerate(items):
        if out[k] is not None:
            last = out[k]  # type: ignore[assignment]
            continue
        for want in item_keys(it):
            hits = [j for j, w in enumerate(windows) if j not in used and w.holds(want)]
            if hits:
                after = [j for j in hits if j > last]
                out[k] = (after or hits)[0]
                used.add(out[k])  # type: ignore[arg-type]
                last = out[k]  # type: ignore[assignment]
                break
    for k, it in enumerate(items):
        if out[k] is not None:
            continue
        lo = max((out[j] for j in range(k) if out[j] is not None), default=-1)
        hi = min((out[j] for j in range(k + 1, len(items)) if out[j] is not None), default=len(comments))
        between = [j for j in range(lo + 1, hi) if j not in used]  # type: ignore[operator]
        hit = next((j for j in between if same_author(comments[j].get("author"), it)
                    and (it.get("author") is not None or len(texts[j]) < KEY_CHARS)), None)
        if hit is not None:
            out[k] = hit
            used.add(hit)
    return out


def _item_keys(items: list[dict[str, Any]]) -> dict[str, int]:
    key: dict[str, int] = {}
    for k, it in enumerate(items):
        if it.get("id"):
            key[str(it["id"])] = k
        key[f"pos:{it.get('pos', k + 1)}"] = k
    return key


def score_page(utterances: list[dict[str, Any]], expected: dict[str, Any],
               problems: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One page's counts: expected, found, matched, right author, right parent, false comments, warnings."""
    comments = [u for u in utterances if u["kind"] == "comment"]
    items = list(expected.get("items") or [])
    got = match(comments, items)
    index = {c["utterance_id"]: j for j, c in enumerate(comments)}
    key = _item_keys(items)
    author_ok = parent_ok = text_checked = text_ok = 0
    for k, (it, j) in enumerate(zip(items, got, strict=True)):
        if j is None:
            continue
        author_ok += same_author(comments[j].get("author"), it)
        keys = item_keys(it)
        if keys:  # the body is right when the extracted text holds the item's text (or its own, without quotes)
            text_checked += 1
            got_text = Windows(norm_text(comments[j].get("text") or ""))
            text_ok += any(got_text.holds(want) for want in keys)
        want = key.get(str(it["parent"])) if it.get("parent") else None
        have = index.get(comments[j].get("parent_id"))
        parent_ok += (want is None and have is None) or (want is not None and have is not None and got[want] == have)
        del k
    warned = [p for p in (problems or []) if p.get("reason") == "comments-suspected-missing"]
    stated = expected.get("stated")
    return {
        "group": expected.get("group"), "platform": expected.get("platform_key") or "unknown",
        "expected": len(items), "found": len(comments), "matched": sum(j is not None for j in got),
        "author_ok": author_ok, "parent_ok": parent_ok, "text_checked": text_checked, "text_ok": text_ok,
        "pingbacks_expected": int(expected.get("pingbacks", 0) or 0),
        "pingbacks_found": sum(u["kind"] == "pingback" for u in utterances),
        "false_comments": len(comments) if not items else 0,
        "empty_page": not items,
        "stated": stated, "warned": bool(warned), "warning": warned[0]["detail"] if warned else None,
        "should_warn": bool(items) and (int(stated) > len(comments) if stated else bool(expected.get("evidence"))),
    }


def rates(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Summed counts and rates over pages (micro)."""
    s = {k: sum(int(p[k]) for p in pages) for k in ("expected", "found", "matched", "author_ok", "parent_ok",
                                                    "text_checked", "text_ok", "false_comments")}
    s["pages"] = len(pages)
    s["empty_pages"] = sum(bool(p["empty_page"]) for p in pages)
    s["recall"] = round(s["matched"] / s["expected"], 4) if s["expected"] else None
    s["precision"] = round(s["matched"] / s["found"], 4) if s["found"] else (1.0 if s["expected"] else None)
    s["author_accuracy"] = round(s["author_ok"] / s["matched"], 4) if s["matched"] else None
    s["parent_accuracy"] = round(s["parent_ok"] / s["matched"], 4) if s["matched"] else None
    s["text_accuracy"] = round(s["text_ok"] / s["text_checked"], 4) if s["text_checked"] else None
    s["warnings_right"] = sum(p["warned"] == p["should_warn"] for p in pages)
    return s


def by_platform(pages: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rates per platform_key."""
    keys = sorted({p["platform"] for p in pages.values()})
    return {k: rates([p for p in pages.values() if p["platform"] == k]) for k in keys}


def summary(platforms: dict[str, dict[str, Any]], exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Micro (summed over items) and macro (mean over platforms with items) rates."""
    use = {k: v for k, v in platforms.items() if k not in exclude}
    micro = {k: sum(v[k] for v in use.values()) for k in ("expected", "found", "matched", "author_ok", "parent_ok",
                                                          "text_checked", "text_ok", "false_comments")}
    out: dict[str, Any] = {"platforms": len(use), "micro": {
        "recall": round(micro["matched"] / max(1, micro["expected"]), 4),
        "precision": round(micro["matched"] / max(1, micro["found"]), 4),
        "author_accuracy": round(micro["author_ok"] / max(1, micro["matched"]), 4),
        "parent_accuracy": round(micro["parent_ok"] / max(1, micro["matched"]), 4),
        "text_accuracy": round(micro["text_ok"] / max(1, micro["text_checked"]), 4),
        "false_comments_on_empty_pages": micro["false_comments"], **micro}}
    macro: dict[str, float] = {}
    for m in ("recall", "precision", "author_accuracy", "parent_accuracy", "text_accuracy"):
        vals = [v[m] for v in use.values() if v.get(m) is not None and v["expected"]]
        macro[m] = round(statistics.fmean(vals), 4) if vals else 0.0
    out["macro"] = macro
    out["below_target"] = sorted(k for k, v in use.items() if v["expected"] and (
        (v["recall"] or 0) < 0.95 or (v["parent_accuracy"] or 0) < 0.95))
    return out


@dataclass(frozen=True)
class GoldPage:
    """One page to evaluate: its name, decoded HTML, path (for messages) and gold entry."""

    name: str
    text: str
    path: str
    expected: dict[str, Any]

    @property
    def platform(self) -> str:
        """The leave-one-platform-out group."""
        return str(self.expected.get("platform_key") or "unknown")


def trainable(page: GoldPage, skip_platforms: tuple[str, ...]) -> bool:
    """Pages the block model learns from: gold pages of platforms handled by the block classifier."""
    return page.platform not in skip_platforms


ParseFn = Callable[[GoldPage, Any], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


def evaluate_pages(pages: list[GoldPage], parse: ParseFn, model: Any) -> dict[str, dict[str, Any]]:
    """Score every page parsed with `model`."""
    out = {}
    for p in pages:
        utterances, problems = parse(p, model)
        out[p.name] = score_page(utterances, p.expected, problems)
    return out


def lopo(pages: list[GoldPage], parse: ParseFn, fit_without: Callable[[str | None], Any],
         only: set[str] | None = None) -> dict[str, Any]:
    """Held-out scores (each platform parsed with a model fitted without it) beside fit scores (all pages);
    `only`: hold out and score these platforms alone."""
    held: dict[str, dict[str, Any]] = {}
    for platform in sorted({p.platform for p in pages if only is None or p.platform in only}):
        model = fit_without(platform)
        held.update(evaluate_pages([p for p in pages if p.platform == platform], parse, model))
    fit = evaluate_pages([p for p in pages if only is None or p.platform in only], parse, fit_without(None))
    return {"held_out": {"pages": held, "platforms": by_platform(held)},
            "fit": {"pages": fit, "platforms": by_platform(fit)}}


def bench(pages: list[tuple[str, str]], extract: Callable[[str], Any], repeats: int = 1) -> dict[str, Any]:
    """Pages/s and median page time of `extract` beside trafilatura's `extract` on the same pages, interleaved."""
    import trafilatura

    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeats):
        for _name, html in pages:
            t = time.perf_counter()
            extract(html)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            trafilatura.extract(html, include_comments=True)
            theirs.append(time.perf_counter() - t)

    def stats(xs: list[float]) -> dict[str, float]:
        return {"pages_per_s": round(len(xs) / max(1e-9, sum(xs)), 2), "median_ms": round(1000 * statistics.median(xs), 1),
                "total_s": round(sum(xs), 2)}

    return {"pages": len(pages) * repeats, "extractor": stats(ours), "trafilatura_extract": stats(theirs)}


def bench_html(pages: list[tuple[str, str]], params: IngestConfig | None = None, repeats: int = 1) -> dict[str, Any]:
    """The HTML adapter's page rate and median page time (post + comments + problems rows) beside
    trafilatura.extract on the same decoded pages: `pages` = (name, html text); for the lead's benchmark."""
    from pipeline.ingest.adapters.base import Source
    from pipeline.ingest.adapters.html import parse_html

    cfg = params or IngestConfig()
    return bench(pages, lambda html: parse_html(html, Source("bench", "bench.html", b""), cfg), repeats)
