"""`python -m pipeline evaluate frame-splits`: the frame stage's validation repeated over several split seeds.

One `frame.seed` moves both the outer folds that score and the inner folds that choose options, and
on a few hundred coded units that alone moves macro-F1 by several points. This command reruns the
stage's out-of-fold validation (the route in `frame.method`, nested CV for `stacked`) once per seed
on the same inputs and prints each seed's unit and utterance macro-F1 with their mean, min and max,
so a change to `params.yaml` can be judged across splits, not on one.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.common.codebook import residual_frame
from pipeline.common.config import Params
from pipeline.common.engine import map_partitions
from pipeline.common.stage import command_parser, run_command
from pipeline.common.storage import write_json
from pipeline.frames.inputs import FrameInputs, add_input_args, read_inputs
from pipeline.frames.validation import agreement_with_codes, gold_codes, out_of_fold


def seed_scores(inp: FrameInputs, seed: int) -> dict[str, Any]:
    """Unit and utterance macro-F1 (and kappa) of the out-of-fold predictions with `frame.seed` = `seed`."""
    cfg = inp.params.frame.model_copy(update={"seed": seed})
    gold, gold_utts, *_ = gold_codes(inp.units, inp.frames, inp.codes)
    if cfg.method == "zeroshot":
        raise ValueError("frame.method zeroshot has no training split to vary; use supervised or stacked")
    pred = out_of_fold(inp.units, inp.batch, inp.frames, gold, cfg, inp.prototypes, gold_utts)
    res = agreement_with_codes(pred, gold, gold_utts, [f.id for f in inp.frames], residual_frame(inp.frames), cfg, 0)
    return {"seed": seed, **{f"{lvl}_{m}": res[lvl].get(m) for lvl in ("unit", "utterance") for m in ("macro_f1", "kappa", "n")},
            "chosen_per_outer_fold": pred.attrs.get("chosen")}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-seed rows plus the mean, min and max of each macro-F1 over the seeds."""
    df = pd.DataFrame(rows)
    stats = {f"{lvl}_macro_f1": {s: round(float(getattr(df[f"{lvl}_macro_f1"], s)()), 4) for s in ("mean", "min", "max")}
             for lvl in ("unit", "utterance")}
    return {"seeds": [int(s) for s in df["seed"]], **stats, "per_seed": rows}


def table(summary: dict[str, Any]) -> str:
    """A Markdown table of the per-seed macro-F1 and their mean, min and max."""
    lines = ["| frame.seed | unit macro-F1 | utterance macro-F1 |", "|---|---|---|"]
    lines += [f"| {r['seed']} | {r['unit_macro_f1']:.4f} | {r['utterance_macro_f1']:.4f} |" for r in summary["per_seed"]]
    lines += [f"| {s} | {summary['unit_macro_f1'][s]:.4f} | {summary['utterance_macro_f1'][s]:.4f} |"
              for s in ("mean", "min", "max")]
    return "\n".join(lines)


def _seeds(text: str) -> list[int]:
    """'42,1,2' -> [42, 1, 2] (argparse type; distinct integers)."""
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seeds {text!r}: comma-separated integers expected") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"--seeds {text!r}: one or more distinct integers expected")
    return seeds


def parser() -> argparse.ArgumentParser:
    """Command-line options: the frame stage's inputs, the seeds and an optional JSON output."""
    ap = command_parser("evaluate frame-splits", __doc__)
    add_input_args(ap)
    ap.add_argument("--seeds", type=_seeds, default=[42, 1, 2, 3], help="comma-separated frame.seed values")
    ap.add_argument("--out", type=Path, default=None, help="write the summary as JSON here")
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Validate once per seed (on the configured engine, a seed per task); print the table and the JSON."""
    inp = read_inputs(args, params)
    rows = map_partitions(partial(seed_scores, inp), args.seeds, params.engine, desc="split seeds")
    summary = summarise(rows)
    if args.out:
        write_json(summary, args.out)
    sys.stdout.write(table(summary) + "\n" + json.dumps({k: v for k, v in summary.items() if k != "per_seed"}) + "\n")
    return 0


def main(argv: list[str]) -> int:
    """Run `evaluate frame-splits`."""
    return run_command("evaluate frame-splits", argv, parser(), run)
