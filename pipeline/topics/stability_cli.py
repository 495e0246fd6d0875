"""`python -m pipeline stability`: refit the clustering with several seeds; pairwise ARI between the partitions."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipeline.common.config import Params
from pipeline.common.schema import EMBEDDINGS, UNITS
from pipeline.common.stage import command_parser, run_command
from pipeline.common.storage import read_table, write_json
from pipeline.topics.clustering import units_with_vectors
from pipeline.topics.stability import pairwise_stability, refit


def parser() -> argparse.ArgumentParser:
    """Command-line options (every path passed in from dvc.yaml)."""
    ap = command_parser("stability", __doc__)
    ap.add_argument("--units", type=Path, required=True)
    ap.add_argument("--embeddings", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Load, refit per seed, write metrics."""
    cfg = params.cluster
    units, X, _ = units_with_vectors(read_table(args.units, UNITS), read_table(args.embeddings, EMBEDDINGS),
                                     args.embeddings)
    result = pairwise_stability(refit(X, cfg, progress=not os.environ.get("CI")))
    write_json({"n_units": len(units), "method": cfg.method, "seeds": list(cfg.stability_seeds), **result}, args.metrics)
    sys.stderr.write(f"stability: ARI mean {result['ari_mean']}, min {result['ari_min']}\n")
    return 0


def main(argv: list[str]) -> int:
    """Run the stability stage."""
    return run_command("stability", argv, parser(), run)
