"""Scraping core: fetch the `urls:` of each corpus into <raw-root>/<corpus>/pages/, resumably, with a cache."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from pipeline.acquire.fetch import Fetcher, FetchError, FetchResult, canonical_url, is_transient
from pipeline.common.config import ConfigError, CorpusConfig
from pipeline.common.fetch_index import (
    FAILURES_NAME,
    INDEX_NAME,
    append_jsonl,
    read_index,
    read_jsonl,
)
from pipeline.common.schema import PROBLEMS
from pipeline.common.storage import atomic_path, sha256_bytes, sha256_text

STAGE = "scrape"

Action = Literal["cached", "fetch", "retry", "skip-failed"]


@dataclass(frozen=True)
class Decision:
    """What this run does with one URL, and why."""

    url: str
    action: Action
    previous_reason: str | None = None


# -- decisions ------------------------------------------------------------------------------------


def page_name(url: str) -> str:
    """Stable file name of a URL's page: 16 hex digits of SHA-256 of the canonical URL, plus .html."""
    return sha256_text(canonical_url(url))[:16] + ".html"


def should_retry(reason: str, policy: str) -> bool:
    """Whether a URL that failed earlier with `reason` is tried again under `retry_failed` policy."""
    return policy == "all" or (policy == "transient" and is_transient(reason))


def plan(
    urls: Iterable[str], fetched: set[str], failed: dict[str, str], policy: str
) -> list[Decision]:
    """Decide per (canonical, de-duplicated) URL: cached, fetch, retry an earlier failure, or skip it."""
    out: list[Decision] = []
    seen: set[str] = set()
    for raw in urls:
        url = canonical_url(raw)
        if url in seen:
            continue
        seen.add(url)
        if url in fetched:
            out.append(Decision(url, "cached"))
        elif url in failed:
            reason = failed[url]
            out.append(
                Decision(url, "retry" if should_retry(reason, policy) else "skip-failed", reason)
            )
        else:
            out.append(Decision(url, "fetch"))
    return out


def index_record(result: FetchResult, fetched_at: str) -> dict[str, Any]:
    """The index line for a fetched page."""
    return {
        "file": page_name(result.url),
        "url": result.url,
        "final_url": result.final_url,
        "fetched_at": fetched_at,
        "status": result.status,
        "content_type": result.content_type,
        "sha256": sha256_bytes(result.data),
        "bytes": len(result.data),
    }


def failure_record(corpus: str, url: str, error: FetchError, failed_at: str) -> dict[str, Any]:
    """The failures line for a URL: the PROBLEMS columns plus when and whether it is transient."""
    return {
        "corpus": corpus,
        "source": url,
        "location": None,
        "stage": STAGE,
        "reason": error.reason,
        "detail": error.detail,
        "transient": error.transient,
        "failed_at": failed_at,
    }


def open_failures(failures: list[dict[str, Any]], fetched: set[str]) -> list[dict[str, Any]]:
    """The latest failure of every URL that has not been fetched since (PROBLEMS rows)."""
    latest = {row["source"]: row for row in failures}
    return [
        {k: row[k] for k in PROBLEMS.names} for url, row in latest.items() if url not in fetched
    ]


# -- pages on disk ----------------------------------------------------------------------------------------


def pages_dir_for(raw_root: Path, corpus: CorpusConfig) -> Path:
    """<raw-root>/<corpus>/pages, refusing any name that would leave the raw root."""
    root = Path(raw_root).resolve()
    pages = (root / corpus.name / "pages").resolve()
    if not pages.is_relative_to(root) or pages.parent.name != corpus.name:
        raise ConfigError(f"corpus {corpus.name!r}: pages folder {pages} is outside {root}")
    return pages


def _remove_stale_temps(pages_dir: Path) -> None:
    """Delete temporary files left by a run that was killed while writing a page."""
    for tmp in pages_dir.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def scrape_corpus(
    corpus: str,
    urls: Iterable[str],
    pages_dir: Path,
    fetcher: Fetcher,
    policy: str,
    now: Callable[[], str] = _now,
) -> dict[str, Any]:
    """Fetch the URLs of one corpus not yet on disk; pages atomically, index line after the page."""
    pages_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(pages_dir)
    index_path, failures_path = pages_dir / INDEX_NAME, pages_dir / FAILURES_NAME
    fetched = set(read_index(pages_dir))
    failed = {row["source"]: row["reason"] for row in read_jsonl(failures_path)}
    decisions = plan(urls, fetched, failed, policy)
    counts: Counter[str] = Counter(d.action for d in decisions)
    reasons: Counter[str] = Counter()
    todo = [d for d in decisions if d.action in ("fetch", "retry")]
    for decision in tqdm(
        todo, desc=f"scrape {corpus}", unit="url", disable=bool(os.environ.get("CI"))
    ):
        try:
            result = fetcher.fetch(decision.url)
        except FetchError as e:
            append_jsonl(failures_path, failure_record(corpus, decision.url, e, now()))
            reasons[e.reason] += 1
            continue
        record = index_record(result, now())
        with atomic_path(pages_dir / record["file"]) as tmp:
            tmp.write_bytes(result.data)
        append_jsonl(index_path, record)
        fetched.add(decision.url)
    problems = open_failures(read_jsonl(failures_path), fetched)
    return {
        "urls": len(decisions),
        "cached": counts["cached"],
        "attempted": len(todo),
        "retried": counts["retry"],
        "fetched": len(todo) - sum(reasons.values()),
        "failed": sum(reasons.values()),
        "skipped_failed": counts["skip-failed"],
        "failures_by_reason": dict(sorted(reasons.items())),
        "open_failures": len(problems),
        "problems": problems,
    }
