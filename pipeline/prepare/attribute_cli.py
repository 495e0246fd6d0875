"""`python -m pipeline attribute`: clean utterances + documents -> attributed utterances, participants, metrics."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.common.config import Params
from pipeline.common.engine import open_engine
from pipeline.common.schema import PARTICIPANTS
from pipeline.common.stage import command_parser, run_command
from pipeline.common.storage import write_json, write_table
from pipeline.prepare.partitioned import attribute_to


def parser() -> argparse.ArgumentParser:
    """Command-line options (every path passed in from dvc.yaml)."""
    ap = command_parser("attribute", __doc__)
    ap.add_argument("--utterances", type=Path, required=True, help="input: clean utterances table")
    ap.add_argument("--documents", type=Path, required=True, help="input: documents table (post authors)")
    ap.add_argument("--out", type=Path, required=True, help="output: attributed utterances table")
    ap.add_argument("--participants", type=Path, required=True, help="output: participants table")
    ap.add_argument("--metrics", type=Path, required=True, help="output: metrics JSON")
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Attribute partition by partition, then write participants and metrics."""
    with open_engine(params.engine) as engine:
        metrics, people = attribute_to(args.utterances, args.documents, args.out, params.attribute, params.clean,
                                       engine, params.engine.partition_size)
    write_table(people, PARTICIPANTS, args.participants)
    write_json(metrics, args.metrics)
    return 0


def main(argv: list[str]) -> int:
    """Run the attribute stage."""
    return run_command("attribute", argv, parser(), run)
