"""Hand codes matched to the current units and utterances by id, else by text (robust to re-segmentation)."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def text_key(text: str) -> str:
    """Matching key: NFKC, lower case, letters and digits only (robust to spacing, quotes, bullets)."""
    return _NON_ALNUM.sub("", unicodedata.normalize("NFKC", str(text)).lower())


def utterance_of(unit_id: str) -> str:
    """The utterance part of a unit id ('<utterance_id>/s<index>' -> '<utterance_id>')."""
    return str(unit_id).rsplit("/", 1)[0]


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
