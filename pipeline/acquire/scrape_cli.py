"""Scrape stage: fetch the `urls:` of each corpus into <raw-root>/<corpus>/pages/, resumably, with a cache."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from pipeline.acquire.fetch import Fetcher, FetchError, FetchResult, canonical_url, is_transient
from pipeline.common.config import ConfigError, CorpusConfig, load_params
from pipeline.common.schema import PROBLEMS, make_table
from pipeline.common.storage import atomic_path, sha256_bytes, sha256_text, write_json, write_table

INDEX_NAME = "_index.jsonl"  # one JSON line per page on disk: file, url, final_url, fetched_at, ...
FAILURES_NAME = "_failures.jsonl"  # one JSON line per failed attempt (PROBLEMS columns + extras)
STAGE = "scrape"

Action = Literal["cached", "fetch", "retry", "skip-failed"]


@dataclass(frozen=True)
class Decision:
    """What this run does with one URL, and why."""

    url: str
    action: Action
    previous_reason: str | None = None


# -- pure core ------------------------------------------------------------------------------------


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


# -- files ----------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file; a damaged line (e.g. cut by a killed run) is skipped with a warning."""
    if not path.exists():
        return []
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            sys.stderr.write(f"{path}:{lineno}: damaged line skipped\n")
    return rows


def append_jsonl(path: Path, row: dict[str, Any]) -> None:
    """Append one JSON line and flush it to disk (a cut-off last line is first terminated)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f:
        if f.tell() > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                f.write(b"\n")
        f.write((json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def read_index(pages_dir: Path) -> dict[str, dict[str, Any]]:
    """Pages on disk, keyed by URL: index lines whose file still exists (for ingest: url -> meta)."""
    out = {}
    for row in read_jsonl(Path(pages_dir) / INDEX_NAME):
        if (
            isinstance(row, dict)
            and "url" in row
            and (Path(pages_dir) / str(row.get("file"))).is_file()
        ):
            out[row["url"]] = row
    return out


def index_meta(pages_dir: Path) -> dict[str, dict[str, Any]]:
    """Source meta for ingest, keyed by page file name: url (final, after redirects), requested_url, ..."""
    return {
        str(row["file"]): {
            "url": row.get("final_url") or url,
            "requested_url": url,
            "fetched_at": row.get("fetched_at"),
            "content_type": row.get("content_type"),
            "fetched_sha256": row.get("sha256"),
        }
        for url, row in read_index(pages_dir).items()
    }


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


# -- CLI edge -------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options of the scrape stage."""
    p = argparse.ArgumentParser(prog="python -m pipeline scrape", description=__doc__)
    p.add_argument("--params", type=Path, required=True, help="params.yaml")
    p.add_argument(
        "--raw-root", type=Path, required=True, help="pages go to <raw-root>/<corpus>/pages/"
    )
    p.add_argument(
        "--log-out", type=Path, help="JSON summary of the run (e.g. metrics/scrape.json)"
    )
    p.add_argument("--problems-out", type=Path, help="Parquet (PROBLEMS) of URLs still failing")
    p.add_argument("--corpus", action="append", help="only this corpus (repeatable)")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    """Fetch every corpus's URLs; failures are recorded per URL and the run goes on."""
    args = parse_args(argv)
    try:
        params = load_params(args.params)
        corpora = [
            c for c in params.corpora if c.urls and (not args.corpus or c.name in args.corpus)
        ]
        unknown = sorted(set(args.corpus or ()) - {c.name for c in params.corpora})
        if unknown:
            raise ConfigError(f"{args.params}: no corpus named {unknown}")
        dirs = {c.name: pages_dir_for(args.raw_root, c) for c in corpora}
    except ConfigError as e:
        sys.stderr.write(f"scrape: {e}\n")
        return 1
    fetcher = Fetcher(params.scrape)
    summary: dict[str, Any] = {}
    problems: list[dict[str, Any]] = []
    try:
        for c in corpora:
            if Path(c.path).resolve() != dirs[c.name].parent:
                sys.stderr.write(
                    f"scrape: warning: corpus {c.name!r} has path {c.path}, but its pages go to "
                    f"{dirs[c.name]}; ingest reads only {c.path}\n"
                )
            log = scrape_corpus(c.name, c.urls, dirs[c.name], fetcher, params.scrape.retry_failed)
            problems += log.pop("problems")
            summary[c.name] = log
            sys.stderr.write(
                f"scrape {c.name}: {json.dumps({k: log[k] for k in ('urls', 'cached', 'fetched', 'failed', 'skipped_failed')})}\n"
            )
    finally:
        fetcher.close()
    run_log = {
        "corpora": summary,
        "requests": fetcher.requests_made,
        "open_failures": len(problems),
    }
    if args.log_out:
        write_json(run_log, args.log_out)
    if args.problems_out:
        write_table(make_table(problems, PROBLEMS), PROBLEMS, args.problems_out)
    return 0
