"""Hand-coding core: stratified samples, sheet validation against the codebook, re-alignment by text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def text_key(text: str) -> str:
    """Matching key: NFKC, lower case, letters and digits only (robust to spacing, quotes, bullets)."""
    return _NON_ALNUM.sub("", unicodedata.normalize("NFKC", str(text)).lower())


def utterance_of(unit_id: str) -> str:
    """The utterance part of a unit id ('<utterance_id>/s<index>' -> '<utterance_id>')."""
    return str(unit_id).rsplit("/", 1)[0]


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


def align_unit_codes(
    codes: pd.DataFrame, units: pd.DataFrame, min_coverage: float = 0.5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Re-key coded units onto `units` by id and text.

    Order: same unit_id with the same text key; else, within the coded utterance (all units when it
    is unknown), the unit with the same text key; else units whose text contains the coded text or is
    contained in it. A unit reached by several coded texts takes the frame covering most characters;
    one whose coded pieces cover less than `min_coverage` of its text is left uncoded (the coder
    never read most of it) and those code rows are returned as unaligned.
    Returns (aligned: unit_id, text, frame, coder, note, how) and (unaligned code rows).
    """
    ukey = dict(zip(units["unit_id"], units["text"].map(text_key), strict=True))
    utext = dict(zip(units["unit_id"], units["text"], strict=True))
    by_utt: dict[str, list[str]] = {}
    for uid, utt in zip(units["unit_id"], units["utterance_id"], strict=True):
        by_utt.setdefault(utt, []).append(uid)
    hits: dict[tuple[str, str], list[tuple[int, str, str, str | None]]] = {}
    sources: dict[tuple[str, str], list[dict]] = {}
    unaligned = []
    for row in codes.to_dict("records"):
        k, uid, coder = text_key(row["text"]), str(row["unit_id"]), row["coder"]
        note = row.get("note") if isinstance(row.get("note"), str) and row.get("note") else None
        if uid in ukey and (ukey[uid] == k or not k):
            hits.setdefault((uid, coder), []).append((10**9, row["frame"], "id", note))
            continue
        pool = by_utt.get(utterance_of(uid)) or list(ukey)
        exact = [u for u in pool if ukey[u] == k and k]
        taken = {u for (u, c) in hits if c == coder}
        exact_free = [u for u in exact if u not in taken] or exact
        if exact_free:
            hits.setdefault((exact_free[0], coder), []).append((10**8, row["frame"], "text", note))
            continue
        part = [u for u in pool if k and ukey[u] and (k in ukey[u] or ukey[u] in k)]
        for u in part:
            hits.setdefault((u, coder), []).append((min(len(k), len(ukey[u])), row["frame"], "contained", note))
            sources.setdefault((u, coder), []).append(row)
        if not part:
            unaligned.append(row)
    rows = []
    for (uid, coder), found in sorted(hits.items()):
        if sum(w for w, *_ in found) < min_coverage * len(ukey[uid]):
            unaligned += [r for r in sources.get((uid, coder), []) if r not in unaligned]
            continue
        weight: dict[str, int] = {}
        for w, frame, _, _ in found:
            weight[frame] = weight.get(frame, 0) + w
        frame = min(weight, key=lambda f: (-weight[f], f))
        how = found[0][2] if len(found) == 1 else "merged"
        notes = [n for *_, n in found if n]
        if len(weight) > 1:
            notes.append(f"merged codes {sorted(weight)}; kept {frame}")
        rows.append({"unit_id": uid, "text": utext[uid], "frame": frame, "coder": coder,
                     "note": "; ".join(notes) or None, "how": how})
    cols = ["unit_id", "text", "frame", "coder", "note", "how"]
    return pd.DataFrame(rows, columns=cols), pd.DataFrame(unaligned, columns=list(codes.columns))


def _words(text: str) -> set[str]:
    return set(re.findall(r"[0-9a-z]+", unicodedata.normalize("NFKC", str(text)).lower()))


def align_utterance_codes(
    codes: pd.DataFrame, utterance_texts: dict[str, str], min_jaccard: float = 0.5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Re-key coded utterances: same utterance_id, else the utterance with the most similar word set."""
    words = {u: _words(t) for u, t in utterance_texts.items()}
    rows, unaligned = [], []
    for row in codes.to_dict("records"):
        uid = str(row["utterance_id"])
        if uid in words:
            rows.append({**row, "how": "id"})
            continue
        w = _words(row["text"])
        scored = sorted(((len(w & v) / max(1, len(w | v)), u) for u, v in words.items()), key=lambda t: (-t[0], t[1]))
        if scored and scored[0][0] >= min_jaccard:
            rows.append({**row, "utterance_id": scored[0][1], "how": "text"})
        else:
            unaligned.append(row)
    cols = ["utterance_id", "text", "frame", "coder", "note", "how"]
    return (pd.DataFrame(rows, columns=cols).drop_duplicates(["utterance_id", "coder"], keep="first"),
            pd.DataFrame(unaligned, columns=list(codes.columns)))
