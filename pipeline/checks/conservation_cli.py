"""`python -m pipeline conservation`: every source item ends as exactly one utterance, a removal or a problems row."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pipeline.checks.conservation import (
    by_source,
    check_clean,
    check_file,
    imbalance_problems,
    summarize,
)
from pipeline.common.config import Params
from pipeline.common.schema import (
    CLEAN_UTTERANCES,
    DOCUMENTS,
    PROBLEMS,
    REMOVALS,
    SKIPPED,
    UTTERANCES,
    make_table,
)
from pipeline.common.stage import EXIT_INPUT, command_parser, run_command
from pipeline.common.storage import read_table, write_json, write_table
from pipeline.common.textnorm import DecodeError, decode
from pipeline.ingest.adapters.base import detect


def parser() -> argparse.ArgumentParser:
    """Command-line options (every path passed in from dvc.yaml)."""
    ap = command_parser("conservation", __doc__)
    ap.add_argument("--root", type=Path, default=Path("."), help="project root that source paths are relative to")
    for name in ("documents", "utterances", "problems", "skipped", "clean", "removals", "metrics"):
        ap.add_argument(f"--{name}", type=Path, required=True)
    ap.add_argument("--problems-out", type=Path, default=None, help="output: a problems row per unbalanced source")
    return ap


def run(args: argparse.Namespace, params: Params) -> int:
    """Count the items of every source file against the tables; an unbalanced file is a problems row and a warning
    (exit 1 only with conservation.strict: one doubtful page must not stop the whole pipeline)."""
    docs = read_table((args.documents), DOCUMENTS)
    utts = read_table((args.utterances), UTTERANCES)
    probs = read_table((args.problems), PROBLEMS)
    skipped = read_table((args.skipped), SKIPPED)
    clean = read_table((args.clean), CLEAN_UTTERANCES)
    removals = read_table((args.removals), REMOVALS)
    fmt_of = dict(zip(docs.source_file, docs.format, strict=True))
    # each file's rows, split once (filtering the whole tables per file grows with files x rows)
    utts_of, probs_of, skipped_of = (by_source(t, c) for t, c in ((utts, "source_file"), (probs, "source"),
                                                                  (skipped, "source_file")))
    metrics: dict[str, Any] = {}
    for corpus in sorted(set(utts.corpus) | set(probs.corpus)):
        sources = sorted(set(utts.source_file[utts.corpus == corpus]) | set(probs.source[probs.corpus == corpus]))
        rows = []
        for src in sources:
            text, fmt = None, fmt_of.get(src)
            path = args.root / src
            if path.is_file() and path.stat().st_size <= params.ingest.max_source_bytes:
                data = path.read_bytes()
                fmt = fmt or detect(data, src) or "unknown"
                try:
                    text = decode(data)[0]
                except DecodeError:
                    text = None
            rows.append(check_file(src, fmt or "unknown", text, utts_of(src), probs_of(src), skipped_of(src),
                                   params.ingest.exports.wxr_post_types))
        u = utts[utts.corpus == corpus]
        metrics[corpus] = summarize(rows, check_clean(u, clean[clean.corpus == corpus],
                                                      removals[removals.corpus == corpus]))
    write_json(metrics, args.metrics)
    if args.problems_out:
        rows = [r for c, m in metrics.items() for r in imbalance_problems(c, m)]
        write_table(make_table(rows, PROBLEMS), PROBLEMS, args.problems_out)
    bad = [c for c, m in metrics.items() if not m["balanced"]]
    if bad:
        sys.stderr.write(f"conservation: items unaccounted for in corpora {bad} (problems rows; see {args.metrics})\n")
        return EXIT_INPUT if params.conservation.strict else 0
    return 0


def main(argv: list[str]) -> int:
    """Run the conservation stage."""
    return run_command("conservation", argv, parser(), run)
