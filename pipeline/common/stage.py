"""The command-line edge every command shares: parse arguments, load params once, one exit code per kind of failure.

Exit codes, the same in every command:
- 0: done.
- 1 (`EXIT_INPUT`): an input file is missing, unreadable or inconsistent, or a check the command makes failed;
  the one-line message names the file.
- 2 (`EXIT_USAGE`): the command line or the configuration (params.yaml, the codebook) is wrong; argparse's own
  usage errors exit 2 as well.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from pipeline.common.config import ConfigError, Params, load_params

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2


class InputError(Exception):
    """Bad input data (the message names the file, and the line where known)."""


def command_parser(command: str, doc: str | None, params: bool = True) -> argparse.ArgumentParser:
    """An argument parser for `python -m pipeline COMMAND`, with `--params` when the command reads params.yaml."""
    ap = argparse.ArgumentParser(prog=f"python -m pipeline {command}",
                                 description=(doc or "").strip().splitlines()[0] if doc else None)
    if params:
        ap.add_argument("--params", type=Path, default=Path("params.yaml"), help="the parameters file")
    return ap


def run_command(command: str, argv: list[str], parser: argparse.ArgumentParser,
                body: Callable[[argparse.Namespace, Params | None], int | None]) -> int:
    """Parse `argv`, load params.yaml once (when the parser has --params), run `body`, map errors to exit codes."""
    args = parser.parse_args(argv)
    try:
        params = load_params(args.params) if getattr(args, "params", None) is not None else None
        return int(body(args, params) or EXIT_OK)
    except ConfigError as e:
        sys.stderr.write(f"{command}: {e}\n")
        return EXIT_USAGE
    except (InputError, ValueError, OSError, KeyError) as e:
        sys.stderr.write(f"{command}: {e}\n")
        return EXIT_INPUT
