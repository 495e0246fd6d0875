"""Thread trees for the thread view (pure)."""

from __future__ import annotations

from typing import Any

import pandas as pd

NODE_COLUMNS = ("utterance_id", "parent_id", "kind", "author", "author_evidence", "author_confidence", "date",
                "text", "depth", "clean_text", "commentluv", "signature", "included", "exclusion_reason")


def segments(clean_text: str, units: pd.DataFrame, frames: dict[str, str],
             order: list[str] | None = None) -> list[dict[str, Any]]:
    """clean_text cut into unit spans (with unit id, frame and the frame's colour index) and the text between."""
    out, pos = [], 0
    order = order or []
    for u in units.sort_values("clean_start").itertuples(index=False):
        if u.clean_start > pos:
            out.append({"text": clean_text[pos:u.clean_start], "unit_id": None, "frame": None, "frame_index": None})
        frame = frames.get(u.unit_id)
        out.append({"text": clean_text[u.clean_start:u.clean_end], "unit_id": u.unit_id, "frame": frame,
                    "frame_index": order.index(frame) if frame in order else None})
        pos = max(pos, u.clean_end)
    if pos < len(clean_text):
        out.append({"text": clean_text[pos:], "unit_id": None, "frame": None, "frame_index": None})
    return out


def build_trees(utts: pd.DataFrame, units: pd.DataFrame | None = None, unit_frames: pd.DataFrame | None = None,
                order: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per doc_id, the root nodes (post, or orphan comments) with nested `children`, in thread order."""
    by_utt = dict(tuple(units.groupby("utterance_id"))) if units is not None and len(units) else {}
    frames = dict(zip(unit_frames.unit_id, unit_frames.frame, strict=True)) if unit_frames is not None else {}
    trees: dict[str, list[dict[str, Any]]] = {}
    for doc_id, group in utts.sort_values(["doc_id", "position"]).groupby("doc_id", sort=False):
        nodes = {}
        roots: list[dict[str, Any]] = []
        for row in group.itertuples(index=False):
            node = {c: _clean(getattr(row, c, None)) for c in NODE_COLUMNS}
            node["children"] = []
            node["segments"] = (segments(node["clean_text"], by_utt[row.utterance_id], frames, order)
                                if row.utterance_id in by_utt and node.get("clean_text") else None)
            nodes[row.utterance_id] = node
            parent = nodes.get(node["parent_id"]) if node["parent_id"] else None
            (parent["children"] if parent else roots).append(node)
        trees[str(doc_id)] = roots
    return trees


def _clean(value: Any) -> Any:
    """NaN/None -> None, everything else unchanged."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


def thread_documents(docs: pd.DataFrame, utts: pd.DataFrame, units: pd.DataFrame | None = None,
                     unit_frames: pd.DataFrame | None = None, order: list[str] | None = None) -> list[dict[str, Any]]:
    """Documents with their trees, in document order (units coloured by their frame's index in `order`)."""
    trees = build_trees(utts, units, unit_frames, order)
    out = []
    for d in docs.itertuples(index=False):
        row = {k: _clean(v) for k, v in d._asdict().items()}
        row["roots"] = trees.get(d.doc_id, [])
        row["n_utterances"] = int((utts.doc_id == d.doc_id).sum())
        out.append(row)
    return out
