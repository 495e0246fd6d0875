"""Coding sheets: which units to code (stratified samples with context), sheets out as CSV or Label Studio / doccano
JSONL, coded sheets read back and validated against the codebook."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.common.schema import PROBLEMS, make_table

SHEET_COLUMNS = ["unit_id", "doc_id", "utterance_id", "context_before", "text", "context_after", "frame", "coder", "note"]


def stratum_of(row: pd.Series) -> str:
    """Sampling stratum of a unit: its document and its first codebook concept ('none' without one)."""
    concepts = sorted(row["concepts"]) if row["concepts"] is not None and len(row["concepts"]) else []
    return f"{row['doc_id']}|{concepts[0] if concepts else 'none'}"


def quotas(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Proportional allocation of n over strata by largest remainder (ties: stratum name); capped by size."""
    total = sum(sizes.values())
    n = min(n, total)
    if n <= 0:
        return {s: 0 for s in sizes}
    exact = {s: n * k / total for s, k in sizes.items()}
    out = {s: int(np.floor(v)) for s, v in exact.items()}
    for s in sorted(sizes, key=lambda s: (-(exact[s] - out[s]), s))[: n - sum(out.values())]:
        out[s] += 1
    return out


def stratified_sample(units: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """n units stratified by document x first concept; deterministic for a seed; in unit_id order."""
    if units.empty or n <= 0:
        return units.iloc[0:0]
    strata = units.apply(stratum_of, axis=1)
    q = quotas(strata.value_counts().to_dict(), n)
    rng = np.random.default_rng(seed)
    picked: list[str] = []
    for s in sorted(q):
        ids = sorted(units.loc[strata == s, "unit_id"])
        picked += [ids[i] for i in sorted(rng.permutation(len(ids))[: q[s]])]
    return units[units["unit_id"].isin(picked)].sort_values("unit_id", kind="stable").reset_index(drop=True)


def with_context(sample: pd.DataFrame, units: pd.DataFrame, window: int) -> pd.DataFrame:
    """Add `context_before` / `context_after`: up to `window` neighbouring units of the same utterance."""
    ordered = units.sort_values(["utterance_id", "index"], kind="stable")
    by_utt = {u: g["text"].tolist() for u, g in ordered.groupby("utterance_id", sort=False)}
    pos = {uid: i for _, g in ordered.groupby("utterance_id", sort=False) for i, uid in enumerate(g["unit_id"])}
    before, after = [], []
    for uid, utt in zip(sample["unit_id"], sample["utterance_id"], strict=True):
        texts, i = by_utt[utt], pos[uid]
        before.append(" ".join(texts[max(0, i - window):i]))
        after.append(" ".join(texts[i + 1:i + 1 + window]))
    return sample.assign(context_before=before, context_after=after)


@dataclass(frozen=True)
class SheetError:
    """One invalid row of a coding sheet (row = 1-based data row; CSV line = row + 1)."""

    row: int
    reason: str
    detail: str


def validate_codes(
    sheet: pd.DataFrame, frame_ids: Sequence[str], key: str, source: str
) -> tuple[pd.DataFrame, list[SheetError]]:
    """Rows with a known frame, a key or text and a coder; errors name the file and row. Blank frame = uncoded."""
    errors: list[SheetError] = []
    keep: list[int] = []
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(sheet.to_dict("records"), start=1):
        frame = str(row.get("frame") or "").strip()
        ident, text = str(row.get(key) or "").strip(), str(row.get("text") or "").strip()
        coder = str(row.get("coder") or "").strip()
        if not frame:
            continue
        where = f"{source} row {i}"
        if frame not in frame_ids:
            errors.append(SheetError(i, "unknown-frame", f"{where}: frame {frame!r} is not a codebook frame {list(frame_ids)}"))
        elif not ident and not text:
            errors.append(SheetError(i, "missing-key", f"{where}: neither {key} nor text given"))
        elif not coder:
            errors.append(SheetError(i, "missing-coder", f"{where}: coder is empty"))
        elif (ident, coder) in seen and ident:
            errors.append(SheetError(i, "duplicate", f"{where}: {key} {ident!r} already coded by {coder!r} in row {seen[(ident, coder)]}"))
        else:
            seen[(ident, coder)] = i
            keep.append(i - 1)
    out = sheet.iloc[keep].copy()
    for col in ("frame", key, "text", "coder"):
        out[col] = out[col].fillna("").astype(str).str.strip()
    if "note" not in out.columns:
        out["note"] = None
    return out.reset_index(drop=True), errors


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
