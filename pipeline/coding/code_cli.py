"""`python -m pipeline code sample|export|import`: coding sheets out (CSV, Label Studio / doccano JSONL with their
label set-up) and coded sheets back in."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.coding.curve import strategy_options
from pipeline.coding.formats import coding_sheet, doccano_labels, label_studio_config
from pipeline.coding.sample import sample_units
from pipeline.coding.sheets import (
    SHEET_COLUMNS,
    SheetError,
    export_records,
    problems_rows,
    read_sheet,
    stratified_sample,
    validate_codes,
    with_context,
)
from pipeline.common.codebook import Frame, load_codebook
from pipeline.common.codes import align_unit_codes, align_utterance_codes
from pipeline.common.config import Params
from pipeline.common.schema import PROBLEMS, UNIT_CODES, UNITS, UTTERANCE_CODES
from pipeline.common.stage import command_parser, run_command
from pipeline.common.storage import atomic_path, read_table, write_table, write_text
from pipeline.frames.cv import with_options
from pipeline.frames.inputs import add_input_args, read_inputs
from pipeline.frames.validation import gold_codes


def parser() -> argparse.ArgumentParser:
    """Command-line options for both subcommands (every path passed in)."""
    ap = command_parser("code", __doc__, params=False)
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("export", help="write a stratified coding sheet")
    ex.add_argument("--units", type=Path, required=True)
    ex.add_argument("--codebook", type=Path, required=True)
    ex.add_argument("--out", type=Path, required=True, help=".csv, or .jsonl for Label Studio / doccano")
    ex.add_argument("--n", type=int, required=True)
    ex.add_argument("--seed", type=int, required=True)
    ex.add_argument("--context", type=int, default=1, help="neighbouring units shown on each side")
    ex.add_argument("--jsonl-format", choices=("labelstudio", "doccano"), default="labelstudio")
    sa = sub.add_parser("sample", help="write a sheet of the uncoded units whose codes would help most")
    add_input_args(sa)
    sa.add_argument("--params", type=Path, default=Path("params.yaml"))
    sa.add_argument("--corpus", required=True, help="the corpus whose uncoded units are offered")
    sa.add_argument("--n", type=int, required=True)
    sa.add_argument("--strategy", choices=("uncertainty", "stratified", "random"), default=None,
                    help="default: params coding.strategy")
    sa.add_argument("--seed", type=int, default=None, help="default: params coding.seed")
    sa.add_argument("--out", type=Path, required=True, help=".csv, or .jsonl for Label Studio / doccano")
    sa.add_argument("--context", type=int, default=1, help="neighbouring units shown on each side")
    sa.add_argument("--jsonl-format", choices=("labelstudio", "doccano"), default="labelstudio")
    im = sub.add_parser("import", help="validate a coded sheet against the codebook and store it")
    im.add_argument("--sheet", type=Path, required=True)
    im.add_argument("--codebook", type=Path, required=True)
    im.add_argument("--out", type=Path, required=True, help="annotations CSV (data/annotations/...)")
    im.add_argument("--level", choices=("unit", "utterance"), default="unit")
    im.add_argument("--units", type=Path, default=None, help="re-align ids to these units by text")
    im.add_argument("--coder", default=None, help="coder id for rows without one")
    im.add_argument("--problems", type=Path, default=None, help="write invalid rows as a problems table")
    im.add_argument("--corpus", default="seeds", help="corpus name for problems rows")
    return ap


def write_sheet(sheet: pd.DataFrame, out: Path, jsonl_format: str, frames: Sequence[Frame]) -> list[Path]:
    """The sheet as CSV, or as JSONL tasks with the tool's label set-up beside it (Label Studio's labeling
    config XML, doccano's label list); returns the files written."""
    frame_ids = [f.id for f in frames]
    with atomic_path(out) as tmp:
        if out.suffix.lower() == ".csv":
            sheet.to_csv(tmp, index=False)
        else:
            recs = export_records(sheet, jsonl_format, frame_ids)
            tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    if out.suffix.lower() == ".csv":
        return [out]
    if jsonl_format == "labelstudio":
        setup = out.with_name(out.stem + ".label_config.xml")
        write_text(label_studio_config(frames), setup)
    else:
        setup = out.with_name(out.stem + ".labels.json")
        write_text(json.dumps(doccano_labels(frames), ensure_ascii=False, indent=2), setup)
    return [out, setup]


def run_export(args: argparse.Namespace) -> int:
    """A stratified sample of units and its sheet."""
    frames = load_codebook(args.codebook).frames
    units = read_table(args.units, UNITS)
    sample = with_context(stratified_sample(units, args.n, args.seed), units, args.context)
    written = write_sheet(sample.assign(frame="", coder="", note="")[SHEET_COLUMNS], args.out, args.jsonl_format, frames)
    sys.stderr.write(f"code export: {len(sample)} units -> {', '.join(map(str, written))}\n")
    return 0


def run_sample(args: argparse.Namespace, params: Params) -> int:
    """The uncoded units of a corpus whose codes would help most, as a sheet."""
    inp = read_inputs(args, params)
    gold = gold_codes(inp.units, inp.frames, inp.codes)[0]
    strategy = args.strategy or params.coding.strategy
    cfg = with_options(params.frame, params.coding.curve.options)
    chosen = sample_units(inp.units, inp.batch, gold, inp.frames, inp.prototypes, cfg, args.corpus, args.n, strategy,
                          params.coding.seed if args.seed is None else args.seed, strategy_options(params.coding))
    written = write_sheet(coding_sheet(chosen, inp.units, args.context), args.out, args.jsonl_format, inp.frames)
    first = chosen["reason"].value_counts().to_dict()
    sys.stderr.write(f"code sample: {len(chosen)} units of {args.corpus} ({strategy}; picked by {first}) -> "
                     f"{', '.join(map(str, written))}\n")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Validate, optionally re-align, and write the annotations CSV; invalid rows become problems."""
    frame_ids = [f.id for f in load_codebook(args.codebook).frames]
    sheet = read_sheet(args.sheet)
    key = "unit_id" if args.level == "unit" else "utterance_id"
    for col in (key, "text", "frame", "coder", "note"):
        if col not in sheet.columns:
            sheet[col] = ""
    if args.coder:
        sheet["coder"] = sheet["coder"].where(sheet["coder"].str.strip() != "", args.coder)
    codes, errors = validate_codes(sheet, frame_ids, key, str(args.sheet))
    table = UNIT_CODES if args.level == "unit" else UTTERANCE_CODES
    n_unaligned = 0
    if args.units is not None:
        units = read_table(args.units, UNITS)
        if args.level == "unit":
            codes, lost = align_unit_codes(codes, units)
        else:
            texts = units.sort_values(["utterance_id", "index"]).groupby("utterance_id")["text"].apply(" ".join)
            codes, lost = align_utterance_codes(codes, texts.to_dict())
        n_unaligned = len(lost)
        for r in lost.to_dict("records"):
            errors.append(SheetError(0, "unaligned", f"{args.sheet}: {key} {r.get(key)!r} ({str(r.get('text'))[:60]!r}) matches no unit"))
    codes["note"] = codes["note"].where(codes["note"].astype(str).str.strip() != "", None)
    with atomic_path(args.out) as tmp:
        codes[table.names].to_csv(tmp, index=False)
    for e in errors:
        sys.stderr.write(e.detail + "\n")
    if args.problems is not None:
        write_table(problems_rows(errors, str(args.sheet), args.corpus), PROBLEMS, args.problems)
    sys.stderr.write(f"code import: {len(codes)} coded rows -> {args.out}; {len(errors)} problems "
                     f"({n_unaligned} unaligned)\n")
    return 0


def run(args: argparse.Namespace, params: Params | None) -> int:
    """Dispatch sample / export / import."""
    if args.cmd == "sample":
        return run_sample(args, params)
    return run_export(args) if args.cmd == "export" else run_import(args)


def main(argv: list[str]) -> int:
    """Run `code export` or `code import`."""
    return run_command("code", argv, parser(), run)
