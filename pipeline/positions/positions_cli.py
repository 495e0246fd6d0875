"""`python -m pipeline positions`: concept roles, relation statements, participant positions and map, reply network."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.codebook import load_codebook
from pipeline.common.config import Params
from pipeline.common.embedders import make_embedder
from pipeline.common.schema import (
    EVAL_ITEMS,
    PARTICIPANT_MAP,
    POSITIONS,
    PROBLEMS,
    RELATIONS,
    REPLIES,
    REPLY_PAIRS,
    UNIT_ROLES,
    UNITS,
    make_table,
)
from pipeline.common.stage import command_parser, run_command
from pipeline.common.storage import read_table, write_json, write_table, write_text
from pipeline.positions.assemble import Embed, PositionInputs, PositionsResult, position_corpus
from pipeline.positions.participants import map_figure


def parser() -> argparse.ArgumentParser:
    """Command-line options: every input and output path is passed in."""
    ap = command_parser("positions", __doc__)
    a = ap.add_argument
    a("--units", type=Path, required=True)
    a("--utterances", type=Path, required=True, help="attributed (clean) utterances with parent_id and author")
    a("--participants", type=Path, default=None)
    a("--documents", type=Path, default=None, help="documents table: post authors answered by top-level comments")
    a("--embeddings", type=Path, default=None, help="unit embeddings table (else units are embedded here)")
    a("--unit-frames", type=Path, default=None)
    a("--codebook", type=Path, required=True)
    a("--annotations", type=Path, default=None, help="hand-coded roles CSV (unit_id,text,concept,role,note)")
    a("--reply-annotations", type=Path, default=None, help="hand-coded reply stances CSV (utterance_id,stance)")
    for name in ("unit-roles", "relations", "positions", "map", "map-figure", "replies", "reply-pairs", "problems", "metrics"):
        a(f"--out-{name}", type=Path, required=True)
    a("--out-eval-items", type=Path, default=None, help="eval_items table: the coded items behind each confusion matrix")
    return ap


def read_optional(path: Path | None) -> pd.DataFrame | None:
    """A table when its path is given and exists, else None."""
    return read_table(path) if path is not None and path.exists() else None


def unit_vectors(units: pd.DataFrame, path: Path | None, embed: Embed) -> np.ndarray:
    """Unit embeddings in unit order: from the embeddings table where present, the rest embedded here."""
    have: dict[str, np.ndarray] = {}
    if path is not None and path.exists():
        emb = read_table(path)
        have = {u: np.asarray(v, dtype=np.float32) for u, v in zip(emb["unit_id"], emb["vector"], strict=True)}
    todo = [t for u, t in zip(units["unit_id"], units["text"], strict=True) if u not in have]
    new = iter(embed(todo)) if todo else iter(())
    rows = [have[u] if u in have else next(new) for u in units["unit_id"]]
    return np.vstack(rows) if rows else np.zeros((0, 1))


def read_inputs(args: argparse.Namespace, embed: Embed) -> PositionInputs:
    """The stage's tables and codes (units without a stored vector are embedded with `embed`)."""
    units = read_table(args.units, UNITS)
    codes = {k: pd.read_csv(p, dtype=str, keep_default_na=False) if p else None
             for k, p in (("roles", args.annotations), ("stances", args.reply_annotations))}
    return PositionInputs(units, read_table(args.utterances), read_optional(args.participants),
                          read_optional(args.documents), read_optional(args.unit_frames),
                          unit_vectors(units, args.embeddings, embed), codes["roles"], codes["stances"],
                          str(args.annotations), str(args.unit_frames))


def write_outputs(res: PositionsResult, args: argparse.Namespace) -> None:
    """Every table, the map figure, the metrics and the evaluation items."""
    write_table(res.unit_roles, UNIT_ROLES, args.out_unit_roles)
    write_table(res.relations, RELATIONS, args.out_relations)
    write_table(res.positions, POSITIONS, args.out_positions)
    write_table(res.participant_map, PARTICIPANT_MAP, args.out_map)
    write_text(map_figure(res.participant_map, "Participants: mean unit embedding + role and frame mix (PCA)"),
               args.out_map_figure)
    write_table(res.replies, REPLIES, args.out_replies)
    write_table(res.reply_pairs, REPLY_PAIRS, args.out_reply_pairs)
    write_table(make_table(res.problems, PROBLEMS), PROBLEMS, args.out_problems)
    write_json(res.metrics, args.out_metrics)
    if args.out_eval_items:
        write_table(res.eval_items, EVAL_ITEMS, args.out_eval_items)


def run(args: argparse.Namespace, params: Params) -> int:
    """Read the inputs, compute roles, relations, positions, map and replies, write every output."""
    codebook = load_codebook(args.codebook)
    embedder = make_embedder(params.embed)
    inp = read_inputs(args, embedder.embed)
    res = position_corpus(inp, codebook, params.positions, embedder.embed, embedder.dim)
    write_outputs(res, args)
    zs = res.metrics.get("zeroshot", {})
    sys.stderr.write(f"positions: {len(res.unit_roles)} unit-concepts ({res.metrics['n_coded']} coded; zero-shot "
                     f"macro-F1 {zs.get('macro_f1', float('nan')):.3f}), {len(res.relations)} relations, "
                     f"{len(res.replies)} replies, {len(res.participant_map)} participants mapped\n")
    return 0


def main(argv: list[str]) -> int:
    """Run the positions stage."""
    return run_command("positions", argv, parser(), run)
