"""Overview page data and corpus count metrics (pure functions over the tables)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def _counts(u: pd.DataFrame) -> dict[str, int]:
    comments = u[u.kind == "comment"]
    return {
        "posts": int((u.kind == "post").sum()),
        "top_level": int((comments.depth == 1).sum()),
        "replies": int((comments.depth > 1).sum()),
        "pingbacks": int((u.kind == "pingback").sum()),
        "max_depth": int(u.depth.max()) if len(u) else 0,
    }


def participants_of(u: pd.DataFrame) -> int:
    """Distinct named speakers of posts and comments."""
    named = u[(u.kind != "pingback") & u.author.notna()]
    return int(named.author.str.casefold().nunique())


def corpus_rows(docs: pd.DataFrame, utts: pd.DataFrame, problems: pd.DataFrame,
                participants: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """One row of counts per corpus."""
    rows = []
    for corpus in sorted(set(docs.corpus) | set(problems.corpus)):
        u = utts[utts.corpus == corpus]
        n_part = (int((participants.corpus == corpus).sum()) if participants is not None
                  else participants_of(u))
        rows.append({"corpus": corpus, "documents": int((docs.corpus == corpus).sum()), **_counts(u),
                     "participants": n_part, "problems": int((problems.corpus == corpus).sum())})
    return rows


def known(value: Any) -> Any:
    """The value, or None where it is missing (None, NaN, NA, empty text): the page shows "unknown"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):  # lists and arrays are known values
        return value


def document_rows(docs: pd.DataFrame, utts: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per document with its thread counts; unknown fields are None (shown as "unknown", never "nan")."""
    rows = []
    for d in docs.itertuples(index=False):
        rows.append({**{k: known(v) for k, v in d._asdict().items()}, **_counts(utts[utts.doc_id == d.doc_id])})
    return rows


def removal_summary(removals: pd.DataFrame) -> list[dict[str, Any]]:
    """Removals counted per corpus, scope and reason, with the utterance ids behind each count."""
    rows = []
    for (corpus, scope, reason), g in removals.groupby(["corpus", "scope", "reason"], sort=True):
        rows.append({"corpus": corpus, "scope": scope, "reason": reason, "n": len(g),
                     "utterances": sorted(set(g.utterance_id))})
    return rows


def participant_rows(participants: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Participants sorted by activity."""
    if participants is None:
        return []
    df = participants.sort_values(["n_utterances", "name"], ascending=[False, True])
    return [{**r, "aliases": list(r["aliases"]), "documents": list(r["documents"])} for r in df.to_dict("records")]
