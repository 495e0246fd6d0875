"""Thread trees for the thread view (pure)."""

from __future__ import annotations

from typing import Any

import pandas as pd

NODE_COLUMNS = ("utterance_id", "parent_id", "kind", "author", "author_evidence", "date", "text", "depth")


def build_trees(utts: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Per doc_id, the root nodes (post, or orphan comments) with nested `children`, in thread order."""
    trees: dict[str, list[dict[str, Any]]] = {}
    for doc_id, group in utts.sort_values(["doc_id", "position"]).groupby("doc_id", sort=False):
        nodes = {}
        roots: list[dict[str, Any]] = []
        for row in group.itertuples(index=False):
            node = {c: _clean(getattr(row, c)) for c in NODE_COLUMNS if hasattr(row, c)}
            node["children"] = []
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


def thread_documents(docs: pd.DataFrame, utts: pd.DataFrame) -> list[dict[str, Any]]:
    """Documents with their trees, in document order."""
    trees = build_trees(utts)
    out = []
    for d in docs.itertuples(index=False):
        row = {k: _clean(v) for k, v in d._asdict().items()}
        row["roots"] = trees.get(d.doc_id, [])
        row["n_utterances"] = int((utts.doc_id == d.doc_id).sum())
        out.append(row)
    return out
