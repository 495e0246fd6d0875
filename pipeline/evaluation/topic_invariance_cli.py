"""`python -m pipeline evaluate topic-invariance`: the consensus topics against re-embedded (other batch size, one
torch thread) and noised vectors of the same units; prints JSON, exit 1 when a perturbation changes a confident unit."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from pipeline.common.config import Params
from pipeline.common.schema import EMBEDDINGS, UNITS
from pipeline.common.stage import EXIT_INPUT, command_parser, run_command
from pipeline.common.storage import read_table, write_json
from pipeline.evaluation.topic_invariance import invariance
from pipeline.topics.clustering import units_with_vectors


def reembedded(texts: list[str], params: Params, batch_size: int | None, threads: int | None) -> np.ndarray:
    """The texts embedded again with another batch size and/or torch thread count (same model)."""
    import torch

    from pipeline.common.embedders import make_embedder

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        cfg = params.embed.model_copy(update={"batch_size": batch_size or params.embed.batch_size})
        return np.asarray(make_embedder(cfg).embed(texts), dtype=np.float32)
    finally:
        torch.set_num_threads(before)


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    ap = command_parser("evaluate topic-invariance", __doc__)
    ap.add_argument("--units", type=Path, required=True)
    ap.add_argument("--embeddings", type=Path, required=True, help="the vectors the cluster stage used")
    ap.add_argument("--batch-size", type=int, default=16, help="re-embed with this batch size (0: skip)")
    ap.add_argument("--threads", type=int, default=1, help="re-embed with this many torch threads (0: skip)")
    ap.add_argument("--noise", type=float, default=1e-6, help="add Gaussian noise of this sd (0: skip)")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Compute the consensus for the stored vectors and for each perturbation; compare."""
    units, X, _ = units_with_vectors(read_table(args.units, UNITS), read_table(args.embeddings, EMBEDDINGS),
                                     args.embeddings)
    texts = units["text"].tolist()
    rng = np.random.default_rng(params.cluster.seed)
    perturbed = {}
    if args.batch_size:
        perturbed[f"batch_size_{args.batch_size}"] = lambda: reembedded(texts, params, args.batch_size, None)
    if args.threads:
        perturbed[f"threads_{args.threads}"] = lambda: reembedded(texts, params, None, args.threads)
    if args.noise:
        perturbed[f"noise_{args.noise:g}"] = lambda: (X + rng.normal(0, args.noise, X.shape)).astype(np.float32)
    out = invariance(texts, X, params.cluster, perturbed)
    if args.out:
        write_json(out, args.out)
    sys.stdout.write(json.dumps(out, indent=2) + "\n")
    return 0 if all(p["holds"] for p in out["perturbations"].values()) else EXIT_INPUT


def main(argv: list[str]) -> int:
    """Run `evaluate topic-invariance`."""
    return run_command("evaluate topic-invariance", argv, parser(), run)
