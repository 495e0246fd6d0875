"""`python -m pipeline segment`: attributed utterances + raw sources + codebook -> units, problems, metrics."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.common.codebook import load_codebook
from pipeline.common.config import Params
from pipeline.common.engine import open_engine
from pipeline.common.stage import command_parser, run_command
from pipeline.common.storage import write_json
from pipeline.prepare.partitioned import segment_to


def parser() -> argparse.ArgumentParser:
    """Command-line options (every path passed in from dvc.yaml)."""
    ap = command_parser("segment", __doc__)
    ap.add_argument("--utterances", type=Path, required=True, help="input: attributed clean utterances")
    ap.add_argument("--codebook", type=Path, required=True, help="input: codebook YAML (its concepts: section)")
    ap.add_argument("--root", type=Path, default=Path("."), help="project root that source_file paths are relative to")
    ap.add_argument("--out", type=Path, required=True, help="output: units table")
    ap.add_argument("--problems", type=Path, required=True, help="output: problems table")
    ap.add_argument("--metrics", type=Path, required=True, help="output: metrics JSON")
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Segment partition by partition (streamed), then write the metrics."""
    forms = load_codebook(args.codebook).concepts
    with open_engine(params.engine) as engine:
        metrics = segment_to(args.utterances, args.root, args.out, args.problems, forms, params.segment, engine,
                             params.engine.partition_size)
    write_json(metrics, args.metrics)
    return 0


def main(argv: list[str]) -> int:
    """Run the segment stage."""
    return run_command("segment", argv, parser(), run)
