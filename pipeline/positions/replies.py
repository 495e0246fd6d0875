"""Reply network: who answers whom (thread tree), each reply's stance from codebook cues, per-pair summary."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.common.config import ConfigError
from pipeline.common.names import name_key

STANCES = ("agree", "partly_agree", "rebut", "neutral")


@dataclass(frozen=True)
class StanceRules:
    """Cue patterns per cue kind (agree, rebut, contrast) and the contrast window."""

    agree: tuple[re.Pattern[str], ...]
    rebut: tuple[re.Pattern[str], ...]
    contrast: tuple[re.Pattern[str], ...]
    contrast_window: int


def load_stance_rules(codebook: Mapping[str, Any], contrast_window: int, source: str = "codebook") -> StanceRules:
    """The codebook's `relations.reply_stances` cues, compiled."""
    sec = (codebook.get("relations") or {}).get("reply_stances")
    if not isinstance(sec, Mapping):
        raise ConfigError(f"{source}: relations.reply_stances is missing or not a mapping")
    compiled = {}
    for kind in ("agree", "rebut", "contrast"):
        try:
            compiled[kind] = tuple(re.compile(p, re.IGNORECASE) for p in sec.get(kind) or ())
        except re.error as e:
            raise ConfigError(f"{source}: relations.reply_stances.{kind}: {e}") from None
    return StanceRules(compiled["agree"], compiled["rebut"], compiled["contrast"], contrast_window)


def _hits(text: str, patterns: Sequence[re.Pattern[str]]) -> list[re.Match[str]]:
    return sorted((m for p in patterns for m in p.finditer(text)), key=lambda m: m.start())


def classify_stance(text: str, rules: StanceRules) -> tuple[str, list[str]]:
    """Stance of a reply and the cues that decided it (see the codebook's reply_stances comment)."""
    agree, rebut = _hits(text, rules.agree), _hits(text, rules.rebut)
    if rebut and not agree:
        return "rebut", [m.group(0) for m in rebut]
    if agree and rebut:
        return "partly_agree", [m.group(0) for m in agree[:1] + rebut]
    if agree:
        first = agree[0]
        lo, hi = first.start() - rules.contrast_window, first.end() + rules.contrast_window
        near = [m for m in _hits(text, rules.contrast) if lo <= m.start() <= hi]
        if near:
            return "partly_agree", [first.group(0), near[0].group(0)]
        return "agree", [first.group(0)]
    return "neutral", []




def participant_index(participants: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(corpus, name key of the name or an alias) -> participant_id."""
    idx: dict[tuple[str, str], str] = {}
    for p in participants.itertuples(index=False):
        for n in [p.name, *(list(p.aliases) if p.aliases is not None else [])]:
            idx.setdefault((p.corpus, name_key(str(n))), p.participant_id)
    return idx


def participant_of(corpus: str, author: Any, index: Mapping[tuple[str, str], str]) -> str | None:
    """The participant id of an author name (None when unknown)."""
    if author is None or (isinstance(author, float) and pd.isna(author)) or not str(author).strip():
        return None
    key = name_key(str(author))
    return index.get((corpus, key), f"{corpus}/{key.replace(' ', '-')}")


REPLY_COLUMNS = ["corpus", "doc_id", "utterance_id", "parent_id", "depth", "replier", "replier_id", "addressee",
                 "addressee_id", "stance", "cues", "text"]


def reply_edges(utterances: pd.DataFrame, index: Mapping[tuple[str, str], str], rules: StanceRules,
                post_authors: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per included reply: replier, addressee, stance and cues.

    A reply's addressee is the author of its parent; a top-level comment (depth 1) whose post is not in
    the data (parent_id null) answers the document's post author when `post_authors` names one.
    """
    text_col = "clean_text" if "clean_text" in utterances.columns else "text"
    inc = utterances[utterances["included"]] if "included" in utterances.columns else utterances
    by_id = {u.utterance_id: u for u in utterances.itertuples(index=False)}
    rows = []
    for u in inc.itertuples(index=False):
        parent = by_id.get(u.parent_id) if isinstance(u.parent_id, str) else None
        if parent is not None:
            addressee, parent_id = parent.author, u.parent_id
        elif int(u.depth) == 1 and (post_authors or {}).get(u.doc_id):
            addressee, parent_id = (post_authors or {})[u.doc_id], None
        else:
            continue
        text = getattr(u, text_col)
        stance, cues = classify_stance(text, rules)
        rows.append({"corpus": u.corpus, "doc_id": u.doc_id, "utterance_id": u.utterance_id, "parent_id": parent_id,
                     "depth": int(u.depth), "replier": u.author, "replier_id": participant_of(u.corpus, u.author, index),
                     "addressee": addressee, "addressee_id": participant_of(u.corpus, addressee, index),
                     "stance": stance, "cues": cues, "text": text})
    return pd.DataFrame(rows, columns=REPLY_COLUMNS)


PAIR_COLUMNS = ["corpus", "replier_id", "addressee_id", "n_replies", "n_agree", "n_partly_agree", "n_rebut",
                "n_neutral", "dominant_stance", "utterance_ids"]


def reply_pairs(replies: pd.DataFrame) -> pd.DataFrame:
    """Per (replier, addressee) pair with both known: counts per stance and the dominant one."""
    known = replies.dropna(subset=["replier_id", "addressee_id"])
    rows = []
    for (corpus, a, b), g in known.groupby(["corpus", "replier_id", "addressee_id"], sort=True):
        counts = {s: int((g["stance"] == s).sum()) for s in STANCES}
        # ties are broken by STANCES order (agree before partly_agree before rebut before neutral)
        dominant = max(STANCES, key=lambda s: (counts[s], -STANCES.index(s)))
        rows.append({"corpus": corpus, "replier_id": a, "addressee_id": b, "n_replies": len(g),
                     "n_agree": counts["agree"], "n_partly_agree": counts["partly_agree"], "n_rebut": counts["rebut"],
                     "n_neutral": counts["neutral"], "dominant_stance": dominant,
                     "utterance_ids": g["utterance_id"].tolist()})
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)
