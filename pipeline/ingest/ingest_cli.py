"""`python -m pipeline ingest`: every corpus in params.yaml -> documents, utterances, problems, skipped spans."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.common.config import Params
from pipeline.common.engine import open_engine
from pipeline.common.stage import command_parser, run_command
from pipeline.ingest.reading import TABLES_OUT, read_corpora_to


def parser() -> argparse.ArgumentParser:
    """Command-line options (every path passed in from dvc.yaml)."""
    ap = command_parser("ingest", __doc__)
    ap.add_argument("--root", type=Path, default=Path("."), help="project root that corpus paths are relative to")
    for name in TABLES_OUT:
        ap.add_argument(f"--{name}", type=Path, required=True, help=f"output: the {name} table")
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Read every corpus file by file on the configured engine; write the four tables (streamed)."""
    paths = {k: getattr(args, k) for k in TABLES_OUT}
    with open_engine(params.engine) as engine:
        read_corpora_to(params.corpora, params.ingest, args.root, paths, engine, params.engine.partition_size)
    return 0


def main(argv: list[str]) -> int:
    """Run the ingest stage."""
    return run_command("ingest", argv, parser(), run)
