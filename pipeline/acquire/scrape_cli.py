"""`python -m pipeline scrape`: fetch the `urls:` of each corpus into <raw-root>/<corpus>/pages/, resumably."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pipeline.acquire.fetch import Fetcher
from pipeline.acquire.scrape import pages_dir_for, scrape_corpus
from pipeline.common.config import ConfigError, Params
from pipeline.common.schema import PROBLEMS, make_table
from pipeline.common.stage import command_parser, run_command
from pipeline.common.storage import write_json, write_table


def parser() -> argparse.ArgumentParser:
    """Command-line options of the scrape command."""
    p = command_parser("scrape", __doc__)
    p.add_argument("--raw-root", type=Path, required=True, help="pages go to <raw-root>/<corpus>/pages/")
    p.add_argument("--log-out", type=Path, help="JSON summary of the run (e.g. metrics/scrape.json)")
    p.add_argument("--problems-out", type=Path, help="Parquet (PROBLEMS) of URLs still failing")
    p.add_argument("--corpus", action="append", help="only this corpus (repeatable)")
    return p


def run(args: argparse.Namespace, params: Params) -> int:
    """Fetch every corpus's URLs; failures are recorded per URL and the run goes on."""
    corpora = [c for c in params.corpora if c.urls and (not args.corpus or c.name in args.corpus)]
    unknown = sorted(set(args.corpus or ()) - {c.name for c in params.corpora})
    if unknown:
        raise ConfigError(f"{args.params}: no corpus named {unknown}")
    dirs = {c.name: pages_dir_for(args.raw_root, c) for c in corpora}
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


def main(argv: list[str]) -> int:
    """Run the scrape command."""
    return run_command("scrape", argv, parser(), run)
