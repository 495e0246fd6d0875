"""`python -m pipeline evaluate talk`: extracted talk-page comments against the DiscussionTools comment trees."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.common.config import ConfigError, IngestConfig, load_params
from pipeline.evaluation.talk import evaluate_cases, table


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(prog="python -m pipeline evaluate talk", description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=Path, action="append", required=True,
                    help="a case folder or a folder of case folders (repeatable)")
    ap.add_argument("--dev", action="append", default=[], help="a case used while developing (repeatable)")
    ap.add_argument("--params", type=Path, default=Path("params.yaml"), help="params.yaml (ingest.html.talk)")
    ap.add_argument("--fit", action="store_true", help="label every case fit (rules changed after seeing them)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    return ap.parse_args(argv)


def main(argv: list[str]) -> int:
    """CLI edge: load params, evaluate, print."""
    args = parse_args(argv)
    try:
        params = load_params(args.params).ingest if args.params.is_file() else IngestConfig()
    except ConfigError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    missing = [str(d) for d in args.cases if not d.is_dir()]
    if missing:
        sys.stderr.write(f"case folder not found: {', '.join(missing)}\n")
        return 2
    result = evaluate_cases(args.cases, params)
    sys.stdout.write((json.dumps(result, indent=2, sort_keys=True) if args.json else table(result, set(args.dev), args.fit)) + "\n")
    return 0
