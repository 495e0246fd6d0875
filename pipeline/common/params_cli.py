"""`python -m pipeline params`: every parameter with its value in params.yaml and what it does (--markdown: docs/params.md)."""

from __future__ import annotations

import argparse
import shutil
import sys

from pipeline.common.config import Params
from pipeline.common.params_doc import markdown, param_rows, select, table
from pipeline.common.stage import EXIT_USAGE, command_parser, run_command


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    ap = command_parser("params", __doc__)
    ap.add_argument("prefix", nargs="?", default="", metavar="KEY_PREFIX",
                    help="only keys that start with this (e.g. cluster, frame.stacked, cluster.seed)")
    ap.add_argument("--markdown", action="store_true", help="print Markdown (as in docs/params.md) instead of a table")
    ap.add_argument("--width", type=int, default=None, help="table width in columns (default: the terminal's)")
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Print the parameters under the prefix as a table or as Markdown."""
    rows = select(list(param_rows(Params, params)), args.prefix)
    if not rows:
        sys.stderr.write(f"params: no parameter key starts with {args.prefix!r}\n")
        return EXIT_USAGE
    if args.markdown:
        sys.stdout.write(markdown(rows, args.params.name))
    else:
        sys.stdout.write(table(rows, args.width or shutil.get_terminal_size((120, 24)).columns))
    return 0


def main(argv: list[str]) -> int:
    """Run the params command."""
    return run_command("params", argv, parser(), run)
