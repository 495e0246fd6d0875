"""`python -m pipeline evaluate argkp`: the pipeline's embedder and clusterer on IBM's ArgKP (KPA-2021) benchmark,
against a TF-IDF baseline computed in the same run; prints JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.common.config import Params
from pipeline.common.stage import command_parser, run_command
from pipeline.common.storage import write_json
from pipeline.evaluation.argkp.benchmark import run_benchmark


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    ap = command_parser("evaluate argkp", __doc__)
    ap.add_argument("--data", type=Path, required=True, help="folder laid out as IBM/KPA_2021_shared_task")
    ap.add_argument("--split", choices=("train", "dev", "test"), default="dev")
    ap.add_argument("--cache-dir", type=Path, default=None, help="overrides embed.cache_dir")
    ap.add_argument("--tune", action="store_true", help="grid-search clusterer, temperature, fusion alpha (and adapter settings) on train")
    ft = ap.add_mutually_exclusive_group()
    ft.add_argument("--finetune", dest="finetune", action="store_true", default=None,
                    help="fine-tune the embedder on train first (default: cluster.argkp.finetune.enabled)")
    ft.add_argument("--no-finetune", dest="finetune", action="store_false")
    ap.add_argument("--finetune-dir", type=Path, default=Path("models/minilm-argkp"),
                    help="where the fine-tuned model is saved / reused (with --split train: fitted on the "
                         "train topics not held out)")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Run the benchmark and print (and optionally write) its JSON."""
    result = run_benchmark(args, params)
    sys.stdout.write(json.dumps(result, indent=2, sort_keys=True) + "\n")
    if args.out:
        write_json(result, args.out)
    return 0


def main(argv: list[str]) -> int:
    """Run `evaluate argkp`."""
    return run_command("evaluate argkp", argv, parser(), run)
