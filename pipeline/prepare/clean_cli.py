"""`python -m pipeline clean`: utterances -> clean utterances, removals and metrics (streamed by partition)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.common.config import Params
from pipeline.common.engine import open_engine
from pipeline.common.stage import EXIT_INPUT, command_parser, run_command
from pipeline.common.storage import write_json
from pipeline.prepare.partitioned import clean_to


def parser() -> argparse.ArgumentParser:
    """Command-line options (every path passed in from dvc.yaml)."""
    ap = command_parser("clean", __doc__)
    ap.add_argument("--utterances", type=Path, required=True, help="input: utterances table (ingest)")
    ap.add_argument("--out", type=Path, required=True, help="output: clean utterances table")
    ap.add_argument("--removals", type=Path, required=True, help="output: removals table")
    ap.add_argument("--metrics", type=Path, required=True, help="output: metrics JSON")
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Clean partition by partition; exit 1 when a corpus breaks the accounting invariants."""
    with open_engine(params.engine) as engine:
        metrics = clean_to(args.utterances, args.out, args.removals, params.clean, engine,
                           params.engine.partition_size)
    write_json(metrics, args.metrics)
    bad = [c for c, m in metrics.items() if not (m["utterance_invariant_holds"] and m["char_invariant_holds"])]
    if bad:
        sys.stderr.write(f"clean: accounting invariant broken for corpora {bad} (see {args.metrics})\n")
        return EXIT_INPUT
    return 0


def main(argv: list[str]) -> int:
    """Run the clean stage."""
    return run_command("clean", argv, parser(), run)
