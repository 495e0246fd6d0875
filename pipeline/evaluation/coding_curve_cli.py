"""`python -m pipeline evaluate coding-curve`: does a coding strategy reach a macro-F1 with fewer coded units?

Hides coder1's codes and reveals them in rounds chosen by each strategy (params.yaml
`coding.simulation`, or `coding.curve` with --section curve), scoring held-out documents /
utterances after each round (pipeline/coding/curve.py). Writes the curve table as CSV (one row per
holdout, strategy, seed, round and level: a DVC plot source) and prints text tables: mean and spread
over seeds per number of coded units, paired differences against random, and the units needed to
reach each target macro-F1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.coding.curve import (
    CurveData,
    coding_curve,
    paired_difference,
    strategy_options,
    summarise,
    tqdm_progress,
    units_to_reach,
)
from pipeline.common.config import CodingCurveConfig, Params
from pipeline.common.stage import command_parser, run_command
from pipeline.common.storage import atomic_path
from pipeline.frames.inputs import FrameInputs, add_input_args, read_inputs
from pipeline.frames.validation import gold_codes


def parser() -> argparse.ArgumentParser:
    """Command-line options (every path passed in)."""
    ap = command_parser("evaluate coding-curve", __doc__)
    add_input_args(ap)
    ap.add_argument("--out", type=Path, required=True, help="curve table CSV (DVC plot source)")
    ap.add_argument("--summary", type=Path, default=None, help="also write the printed text tables here")
    ap.add_argument("--section", choices=("simulation", "curve"), default="simulation",
                    help="which params.yaml coding.<section> to run")
    ap.add_argument("--seeds", type=int, nargs="+", default=None, help="override the section's seeds (quick runs)")
    return ap


def curve_data(inp: FrameInputs) -> CurveData:
    """coder1's codes on the stage's inputs as a CurveData (codebook examples left out, as in the frame stage)."""
    gold, gold_utts, *_ = gold_codes(inp.units, inp.frames, inp.codes)
    units = inp.units.reset_index(drop=True)
    frame_of = dict(zip(gold["unit_id"], gold["frame"], strict=True))
    coded = np.flatnonzero(units["unit_id"].isin(frame_of).to_numpy())
    y = np.array([frame_of[u] for u in units["unit_id"].iloc[coded]], dtype=object)
    return CurveData(units, inp.batch, coded, y, dict(zip(gold_utts["utterance_id"], gold_utts["frame"], strict=True)),
                     inp.frames, inp.prototypes, inp.params.frame)


def text_tables(curve: pd.DataFrame, spec: CodingCurveConfig) -> str:
    """Mean (sd) macro-F1 per n_coded x strategy for each holdout and level, paired differences, units per target."""
    summary = summarise(curve)
    parts = []
    for (holdout, level), grp in summary.groupby(["holdout", "level"], sort=True):
        cell = grp.assign(v=grp["mean"].map("{:.3f}".format) + " (" + grp["sd"].map("{:.3f}".format) + ")")
        wide = cell.pivot(index="n_coded", columns="strategy", values="v")
        wide["saturated_folds"] = grp.groupby("n_coded")["saturated_folds"].max()
        parts.append(f"holdout {holdout}, {level} macro-F1: mean (sd) over {curve['seed'].nunique()} seeds\n"
                     f"{wide.to_string()}\n")
    if "random" in spec.strategies:
        for strategy in [s for s in spec.strategies if s != "random"]:
            diff = paired_difference(curve, strategy, "random")
            wide = diff.assign(v=diff["mean_diff"].map("{:+.3f}".format) + " (" + diff["seeds_ahead"].astype(str)
                               + "/" + diff["seeds"].astype(str) + ")")
            parts.append(f"{strategy} minus random, same seed: mean difference (seeds ahead)\n"
                         + wide.pivot(index="n_coded", columns=["holdout", "level"], values="v").to_string() + "\n")
    reach = units_to_reach(curve, spec.targets)
    parts.append("coded units needed to reach each macro-F1 (mean curve; median of seeds; seeds reaching)\n"
                 + reach.to_string(index=False) + "\n")
    return "\n".join(parts)


def run(args: argparse.Namespace, params: Params | None) -> int:
    """Run the simulation, write the curve CSV, print the text tables."""
    assert params is not None
    inp = read_inputs(args, params)
    spec: CodingCurveConfig = getattr(params.coding, args.section)
    if args.seeds:
        spec = spec.model_copy(update={"seeds": tuple(args.seeds)})
    total = len(spec.holdouts) * len(spec.strategies) * len(spec.seeds)
    curve = coding_curve(curve_data(inp), spec, strategy_options(params.coding), tqdm_progress(total, "coding curve"))
    with atomic_path(args.out) as tmp:
        curve.to_csv(tmp, index=False)
    tables = text_tables(curve, spec)
    sys.stdout.write(tables)
    if args.summary is not None:
        with atomic_path(args.summary) as tmp:
            tmp.write_text(tables, encoding="utf-8")
    return 0


def main(argv: list[str]) -> int:
    """Entry point."""
    return run_command("evaluate coding-curve", argv, parser(), run)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
