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
from typing import NoReturn

from pipeline.common.config import ConfigError, Params, load_params

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2


class InputError(Exception):
    """Bad input data (the message names the file, and the line where known)."""


class CommandParser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit 2), like every other error of the commands."""

    def error(self, message: str) -> NoReturn:
        """Write a one-line usage error and exit 2."""
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see --help)\n")


def command_parser(command: str, doc: str | None, params: bool = True) -> argparse.ArgumentParser:
    """An argument parser for `python -m pipeline COMMAND`, with `--params` when the command reads params.yaml."""
    ap = CommandParser(prog=f"python -m pipeline {command}",
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
        sys.stderr.write(f"{command}: {one_line(e)}\n")
        return EXIT_USAGE
    except (InputError, ValueError, OSError, KeyError) as e:
        sys.stderr.write(f"{command}: {one_line(e)}\n")
        return EXIT_INPUT


def one_line(error: BaseException) -> str:
    """An error message on one line (whitespace runs collapsed)."""
    return " ".join(str(error).split())
