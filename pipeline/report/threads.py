"""Thread trees for the thread view (pure)."""

from __future__ import annotations

from typing import Any

import pandas as pd

NODE_COLUMNS = ("utterance_id", "parent_id", "kind", "author", "author_evidence", "author_confidence", "date",
                "text", "depth", "clean_text", "commentluv", "signature", "included", "exclusion_reason")


Span = tuple[int, int, str]  # clean_start, clean_end, unit_id


def segments(clean_text: str, units: pd.DataFrame | list[Span], frames: dict[str, str],
             order: list[str] | None = None) -> list[dict[str, Any]]:
    """clean_text cut into unit spans (with unit id, frame and the frame's colour index) and the text between;
    `units` a units table or (clean_start, clean_end, unit_id) spans."""
    spans = (list(zip(units["clean_start"], units["clean_end"], units["unit_id"], strict=True))
             if isinstance(units, pd.DataFrame) else units)
    out, pos = [], 0
    index = {f: i for i, f in enumerate(order or [])}
    for start, end, unit_id in sorted(spans, key=lambda s: s[0]):
        start, end = int(start), int(end)
        if start > pos:
            out.append({"text": clean_text[pos:start], "unit_id": None, "frame": None, "frame_index": None})
        frame = frames.get(unit_id)
        out.append({"text": clean_text[start:end], "unit_id": unit_id, "frame": frame,
                    "frame_index": index.get(frame) if frame is not None else None})
        pos = max(pos, end)
    if pos < len(clean_text):
        out.append({"text": clean_text[pos:], "unit_id": None, "frame": None, "frame_index": None})
    return out


def build_trees(utts: pd.DataFrame, units: pd.DataFrame | None = None, unit_frames: pd.DataFrame | None = None,
                order: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per doc_id, the root nodes (post, or orphan comments) with nested `children`, in thread order."""
    by_utt: dict[str, list[Span]] = {}
    if units is not None and len(units):
        for start, end, uid, utt in zip(units["clean_start"], units["clean_end"], units["unit_id"],
                                        units["utterance_id"], strict=True):
            by_utt.setdefault(utt, []).append((start, end, uid))
    frames = dict(zip(unit_frames.unit_id, unit_frames.frame, strict=True)) if unit_frames is not None else {}
    cols = [c for c in NODE_COLUMNS if c in utts.columns]
    trees: dict[str, list[dict[str, Any]]] = {}
    nodes: dict[str, dict[str, Any]] = {}
    for row in utts.sort_values(["doc_id", "position"], kind="stable").to_dict("records"):
        node = {c: _clean(row.get(c)) if c in cols else None for c in NODE_COLUMNS}
        node["children"] = []
        uid = row["utterance_id"]
        node["segments"] = (segments(node["clean_text"], by_utt[uid], frames, order)
                            if uid in by_utt and node.get("clean_text") else None)
        nodes[uid] = node
        parent = nodes.get(node["parent_id"]) if node["parent_id"] else None
        if parent is not None and parent.get("_doc") == row["doc_id"]:
            parent["children"].append(node)
        else:
            trees.setdefault(str(row["doc_id"]), []).append(node)
        node["_doc"] = row["doc_id"]
    for node in nodes.values():
        node.pop("_doc", None)
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
    sizes = utts.groupby("doc_id").size()
    out = []
    for d in docs.itertuples(index=False):
        row = {k: _clean(v) for k, v in d._asdict().items()}
        row["roots"] = trees.get(d.doc_id, [])
        row["n_utterances"] = int(sizes.get(d.doc_id, 0))
        out.append(row)
    return out
