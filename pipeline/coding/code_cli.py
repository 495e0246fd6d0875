"""`python -m pipeline code export|import`: coding sheets out (CSV, Label Studio/doccano JSONL) and back in."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from pipeline.common.codebook import load_frames
from pipeline.common.codes import (
    SheetError,
    align_unit_codes,
    align_utterance_codes,
    stratified_sample,
    validate_codes,
    with_context,
)
from pipeline.common.config import ConfigError, load_yaml
from pipeline.common.schema import PROBLEMS, UNIT_CODES, UNITS, UTTERANCE_CODES, make_table
from pipeline.common.storage import atomic_path, read_table, write_table

SHEET_COLUMNS = ["unit_id", "doc_id", "utterance_id", "context_before", "text", "context_after", "frame", "coder", "note"]


def export_records(sample: pd.DataFrame, fmt: str, frame_ids: list[str]) -> list[dict]:
    """JSONL tasks: Label Studio (`data` dict) or doccano (`text`, empty `label`), unit_id kept."""
    out = []
    for r in sample.to_dict("records"):
        meta = {k: r[k] for k in ("unit_id", "doc_id", "utterance_id", "context_before", "context_after")}
        if fmt == "labelstudio":
            out.append({"data": {"text": r["text"], **meta}, "meta": {"choices": frame_ids}})
        else:
            out.append({"text": r["text"], "label": [], **meta})
    return out


def read_sheet(path: Path) -> pd.DataFrame:
    """A coded sheet as rows: CSV, or JSONL/JSON exported by Label Studio or doccano."""
    if path.suffix.lower() == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    text = path.read_text(encoding="utf-8")
    items = json.loads(text) if text.lstrip().startswith("[") else [json.loads(x) for x in text.splitlines() if x.strip()]
    rows = []
    for it in items:
        if "data" in it:  # Label Studio export: annotations[].result[].value.choices
            data = it["data"]
            choices = [c for a in it.get("annotations") or [] for r in a.get("result") or []
                       for c in (r.get("value") or {}).get("choices") or []]
            coder = next((str(a.get("completed_by")) for a in it.get("annotations") or []), "")
            rows.append({**data, "frame": choices[0] if choices else "", "coder": it.get("coder", coder)})
        else:  # doccano: label is a list of class names
            labels = it.get("label") or []
            rows.append({**it, "frame": labels[0] if labels else "", "coder": it.get("coder", "")})
    return pd.DataFrame(rows).fillna("").astype(str)


def problems_rows(errors: list[SheetError], source: str, corpus: str) -> pd.DataFrame:
    """Sheet errors as PROBLEMS rows."""
    return make_table([{"corpus": corpus, "source": source, "location": f"row {e.row}", "stage": "code",
                   "reason": e.reason, "detail": e.detail} for e in errors], PROBLEMS)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options for both subcommands (every path passed in)."""
    ap = argparse.ArgumentParser(prog="python -m pipeline code", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("export", help="write a stratified coding sheet")
    ex.add_argument("--units", type=Path, required=True)
    ex.add_argument("--codebook", type=Path, required=True)
    ex.add_argument("--out", type=Path, required=True, help=".csv, or .jsonl for Label Studio / doccano")
    ex.add_argument("--n", type=int, required=True)
    ex.add_argument("--seed", type=int, required=True)
    ex.add_argument("--context", type=int, default=1, help="neighbouring units shown on each side")
    ex.add_argument("--jsonl-format", choices=("labelstudio", "doccano"), default="labelstudio")
    im = sub.add_parser("import", help="validate a coded sheet against the codebook and store it")
    im.add_argument("--sheet", type=Path, required=True)
    im.add_argument("--codebook", type=Path, required=True)
    im.add_argument("--out", type=Path, required=True, help="annotations CSV (data/annotations/...)")
    im.add_argument("--level", choices=("unit", "utterance"), default="unit")
    im.add_argument("--units", type=Path, default=None, help="re-align ids to these units by text")
    im.add_argument("--coder", default=None, help="coder id for rows without one")
    im.add_argument("--problems", type=Path, default=None, help="write invalid rows as a problems table")
    im.add_argument("--corpus", default="seeds", help="corpus name for problems rows")
    return ap.parse_args(argv)


def run_export(args: argparse.Namespace) -> int:
    """Sample units and write the sheet."""
    frame_ids = [f.id for f in load_frames(load_yaml(args.codebook), str(args.codebook))]
    units = read_table(args.units, UNITS)
    sample = with_context(stratified_sample(units, args.n, args.seed), units, args.context)
    sample = sample.assign(frame="", coder="", note="")
    with atomic_path(args.out) as tmp:
        if args.out.suffix.lower() == ".csv":
            sample[SHEET_COLUMNS].to_csv(tmp, index=False)
        else:
            recs = export_records(sample, args.jsonl_format, frame_ids)
            tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    sys.stderr.write(f"code export: {len(sample)} units -> {args.out} (frames: {', '.join(frame_ids)})\n")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Validate, optionally re-align, and write the annotations CSV; invalid rows become problems."""
    frame_ids = [f.id for f in load_frames(load_yaml(args.codebook), str(args.codebook))]
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


def main(argv: list[str]) -> int:
    """Dispatch export / import."""
    args = parse_args(argv)
    try:
        return run_export(args) if args.cmd == "export" else run_import(args)
    except (ConfigError, FileNotFoundError, ValueError) as e:
        sys.stderr.write(f"code {args.cmd}: {e}\n")
        return 1
