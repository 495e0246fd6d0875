"""`python -m pipeline export convokit`: write the corpus in ConvoKit's on-disk format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.common.schema import DOCUMENTS, UTTERANCES
from pipeline.common.stage import InputError, command_parser, run_command
from pipeline.common.storage import read_table
from pipeline.export.convokit import to_convokit, write_convokit


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    p = command_parser("export", __doc__, params=False)
    sub = p.add_subparsers(dest="target", required=True)
    ck = sub.add_parser("convokit", help="ConvoKit corpus directory")
    ck.add_argument("--utterances", type=Path, required=True, help="utterances (or clean_utterances) parquet")
    ck.add_argument("--documents", type=Path, required=True, help="documents parquet")
    ck.add_argument("--out", type=Path, required=True, help="output directory (replaced)")
    ck.add_argument("--text-column", default="text", help="column used as utterance text (default: text)")
    return p


def run(args: argparse.Namespace, params: None) -> int:
    """Read the tables, convert, write the directory."""
    utts = read_table(args.utterances)
    missing = [c for c in UTTERANCES.names if c not in utts.columns]
    if missing:
        raise InputError(f"{args.utterances}: not an utterances table (missing {missing})")
    docs = read_table(args.documents, DOCUMENTS)
    if args.text_column not in utts.columns:
        raise InputError(f"{args.utterances}: no column {args.text_column!r} (--text-column)")
    files = to_convokit(utts, docs, args.text_column)
    write_convokit(files, args.out)
    meta = files["corpus.json"]
    sys.stdout.write(f"export convokit: {meta['num_utterances']} utterances, {meta['num_conversations']} "
                     f"conversations, {meta['num_speakers']} speakers -> {args.out}\n")
    return 0


def main(argv: list[str]) -> int:
    """Run the export command."""
    return run_command("export", argv, parser(), run)
