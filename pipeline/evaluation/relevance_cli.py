"""`python -m pipeline evaluate relevance`: the on-topic decision against hand labels, held out by source."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from pipeline.common.codebook import load_codebook
from pipeline.common.config import Params
from pipeline.common.embedders import make_embedder
from pipeline.common.stage import InputError, command_parser, run_command
from pipeline.common.storage import write_json
from pipeline.evaluation.relevance import LABELS, evaluate_relevance, table
from pipeline.frames.inputs import add_input_args, read_inputs
from pipeline.frames.relevance import load_topic


def parser() -> argparse.ArgumentParser:
    """Command-line options: the frame stage's inputs plus the relevance labels."""
    ap = command_parser("evaluate relevance", __doc__)
    add_input_args(ap)
    ap.add_argument("--labels", type=Path, required=True,
                    help="relevance annotations CSV (unit_id, text or text_sha256, label, kind, borderline)")
    ap.add_argument("--document-groups", default="seeds", help="comma-separated corpora held out document by document")
    ap.add_argument("--frames", action="store_true", help="also frame every unit and score the frame validation")
    ap.add_argument("--short-threads", default="", help="comma-separated sizes: also score with documents cut into "
                    "pseudo-threads of that many utterances (held-out thresholds)")
    ap.add_argument("--out", type=Path, default=None, help="write the JSON here")
    return ap


def read_labels(path: Path) -> pd.DataFrame:
    """The relevance labels CSV, checked (one-line errors naming the file)."""
    labels = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = sorted({"unit_id", "label"} - set(labels.columns)) + ([] if {"text", "text_sha256"} & set(labels.columns)
                                                                      else ["text or text_sha256"])
    if missing:
        raise InputError(f"{path}: missing columns {missing}")
    bad = sorted(set(labels["label"]) - set(LABELS))
    if bad:
        raise InputError(f"{path}: labels must be {LABELS}, got {bad}")
    return labels


def run(args: argparse.Namespace, params: Params) -> int:
    """Read the inputs, score the filter held out by source (and its effect on frames); print table and JSON."""
    inp = read_inputs(args, params)
    topic = load_topic(load_codebook(args.codebook).raw, str(args.codebook))
    sizes = [int(k) for k in args.short_threads.split(",") if k]
    groups = {c for c in args.document_groups.split(",") if c}
    out = evaluate_relevance(inp, read_labels(args.labels), topic, make_embedder(params.embed).embed, groups, sizes,
                             args.frames)
    if args.out:
        write_json(out, args.out)
    sys.stdout.write(table(out["relevance"]) + "\n" + json.dumps(out, default=str) + "\n")
    return 0


def main(argv: list[str]) -> int:
    """Run `evaluate relevance`."""
    return run_command("evaluate relevance", argv, parser(), run)
