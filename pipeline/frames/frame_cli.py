"""`python -m pipeline frame`: codebook frames for units and utterances, validated against hand coding.

Reads top-down: the options (`parser`), the inputs (`frames.inputs.read_inputs`: params, codebook frames,
units with their vectors, the coders' codes, topics), the core (`frames.assign.frame_corpus`: features,
framers, nested cross-validation, agreement), then the tables, metrics and dvc-plots files written here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from pipeline.coding.curve import strategy_options
from pipeline.common.config import Params
from pipeline.common.eval_items import frame_items
from pipeline.common.schema import (
    EVAL_ITEMS,
    FRAME_TOPICS,
    PROBLEMS,
    UNIT_FRAMES,
    UTTERANCE_FRAMES,
    make_table,
)
from pipeline.common.stage import command_parser, run_command
from pipeline.common.storage import atomic_path, write_json, write_table
from pipeline.frames.assign import FramingResult, confusion_rows, frame_corpus
from pipeline.frames.inputs import FrameInputs, add_input_args, read_inputs
from pipeline.frames.validation import OTHER_CODERS


def parser() -> argparse.ArgumentParser:
    """Command-line options (every path passed in from dvc.yaml)."""
    ap = command_parser("frame", __doc__)
    add_input_args(ap)
    ap.add_argument("--second-coder", type=Path, default=None, help="coder2 unit annotations CSV (re-coding)")
    ap.add_argument("--independent-coder", type=Path, default=None, help="coder3 unit annotations CSV (independent)")
    ap.add_argument("--unit-topics", type=Path, default=None, help="optional clustering output")
    ap.add_argument("--unit-frames", type=Path, required=True)
    ap.add_argument("--utterance-frames", type=Path, required=True)
    ap.add_argument("--frame-topics", type=Path, required=True)
    ap.add_argument("--metrics", type=Path, required=True)
    ap.add_argument("--confusion-units", type=Path, required=True, help="CSV actual,predicted,id for dvc plots")
    ap.add_argument("--confusion-utterances", type=Path, required=True)
    ap.add_argument("--eval-items", type=Path, default=None,
                    help="eval_items table: the items behind each confusion matrix (unit, utterance, intercoder)")
    ap.add_argument("--problems", type=Path, required=True)
    ap.add_argument("--learning-curve", type=Path, default=None,
                    help="dvc plots CSV: macro-F1 against coded units on held-out documents (params coding.curve)")
    return ap


def write_outputs(res: FramingResult, inp: FrameInputs, args: argparse.Namespace) -> None:
    """The stage's tables, metrics, dvc-plots confusion files and evaluation items."""
    write_table(res.unit_frames, UNIT_FRAMES, args.unit_frames)
    write_table(res.utterance_frames, UTTERANCE_FRAMES, args.utterance_frames)
    write_table(res.frame_topics, FRAME_TOPICS, args.frame_topics)
    sources = {"unit annotations": str(args.unit_codes), "utterance annotations": str(args.utterance_codes)}
    problems = [{**r, "source": sources.get(r["source"], r["source"])} for r in res.problems]
    write_table(make_table(problems, PROBLEMS), PROBLEMS, args.problems)
    write_json(res.metrics, args.metrics)
    for lvl, path in (("unit", args.confusion_units), ("utterance", args.confusion_utterances)):
        with atomic_path(path) as tmp:
            confusion_rows(res.pairs[lvl], f"{lvl}_id").to_csv(tmp, index=False)
    if args.eval_items:
        codes = inp.codes
        others = {name: codes[key] for key, (name, _) in OTHER_CODERS.items() if codes.get(key) is not None}
        write_table(frame_items(res.pairs, codes["units"], others, inp.units), EVAL_ITEMS, args.eval_items)
    if args.learning_curve:
        curve = res.learning_curve if res.learning_curve is not None else pd.DataFrame(columns=["n_coded"])
        with atomic_path(args.learning_curve) as tmp:
            curve.to_csv(tmp, index=False)


def run(args: argparse.Namespace, params: Params) -> int:
    """Read the inputs, frame and validate, write everything."""
    inp = read_inputs(args, params)
    cfg = params.frame
    curve = (params.coding.curve, strategy_options(params.coding)) if args.learning_curve else None
    relevance = (inp.topic, inp.topic_prototype, params.relevance) if inp.topic is not None else None
    res = frame_corpus(inp.units, inp.batch, inp.frames, inp.prototypes, inp.codes, inp.topics, cfg, curve, relevance)
    write_outputs(res, inp, args)
    m = res.metrics
    sys.stderr.write(f"frame: {len(res.unit_frames)} units, {len(res.utterance_frames)} utterances ({cfg.method}); "
                     f"macro-F1 unit {m['unit'].get('macro_f1')}, utterance {m['utterance'].get('macro_f1')}\n")
    return 0


def main(argv: list[str]) -> int:
    """Run the frame stage."""
    return run_command("frame", argv, parser(), run)
