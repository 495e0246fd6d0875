"""Attribute stage: speakers for utterances whose source has no author field, from stated evidence.

Evidence (weights in params.yaml `attribute.weights`) is either direct (source/manifest field,
CommentLuv line, signature line, the vocative that opens a reply and names its PARENT's author) or
circumstantial (a host phrase like "thanks for the read", the post author's measured habit of
answering comments, a reply chain A -> B -> A). Circumstantial evidence is used only when there is
no direct evidence. Evidence for one person combines by noisy-or; a rival candidate lowers the
confidence; below `min_confidence` the author stays null and the evidence says why.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm import tqdm

from pipeline.common.config import AttributeConfig, CleanConfig
from pipeline.common.names import canonical_name, display, name_key
from pipeline.common.schema import CLEAN_UTTERANCES, PARTICIPANTS, conform, make_table
from pipeline.common.storage import rows
from pipeline.prepare.cleaning import signature_names
from pipeline.prepare.host_evidence import host_addressed, host_habit, host_phrase


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence that utterance `about` was written by `name`."""

    about: str
    name: str
    kind: str
    weight: float
    note: str


@dataclass(frozen=True)
class Rules:
    """Compiled patterns used by attribution."""

    vocatives: tuple[re.Pattern[str], ...]
    hedge: re.Pattern[str]
    not_names: frozenset[str]
    host_phrases: tuple[re.Pattern[str], ...]
    commentluv: re.Pattern[str] | None
    signatures: tuple[re.Pattern[str], ...]

    @classmethod
    def from_config(cls, cfg: AttributeConfig, clean: CleanConfig) -> Rules:
        """Compile once; CommentLuv and signature patterns come from the clean section."""
        return cls(
            vocatives=tuple(re.compile(p) for p in cfg.vocative_patterns),
            hedge=re.compile(cfg.hedge_pattern),
            not_names=frozenset(n.casefold() for n in cfg.not_names),
            host_phrases=tuple(re.compile(p, re.IGNORECASE) for p in cfg.host_phrases),
            commentluv=re.compile(clean.commentluv_pattern) if clean.commentluv_pattern else None,
            signatures=tuple(re.compile(p) for p in clean.signature_patterns),
        )


def short_id(utterance_id: str) -> str:
    """Utterance id without its corpus prefix ('kolsky-spade/c5.1')."""
    return utterance_id.split("/", 1)[-1]


def vocative(text: str, rules: Rules) -> tuple[str, str, bool] | None:
    """(name, matched opening, hedged) when the first line of a reply names the person answered."""
    first = text.split("\n", 1)[0].strip()
    for pattern in rules.vocatives:
        m = pattern.match(first)
        if m and m.group("name").casefold() not in rules.not_names:
            aside = m.groupdict().get("aside") or ""
            return m.group("name"), m.group(0).strip(), bool(rules.hedge.search(aside))
    return None


def direct_evidence(row: Any, rules: Rules, weights: dict[str, float]) -> list[Evidence]:
    """Evidence an utterance carries about its own author (source field, CommentLuv, signature)."""
    uid, out = row.utterance_id, []
    if isinstance(row.author, str) and row.author:
        src = row.author_evidence if isinstance(row.author_evidence, str) else "source field"
        out.append(Evidence(uid, row.author, "source_field", weights["source_field"], f"{src}: '{row.author}'"))
    if isinstance(row.commentluv, str) and rules.commentluv is not None:
        for name in signature_names(row.commentluv.split("\n"), (rules.commentluv,)):
            out.append(Evidence(uid, name, "commentluv", weights["commentluv"], f"commentluv: '{name}´s last blog'"))
    if isinstance(row.signature, str):
        for line, name in zip(row.signature.split("\n"), signature_names(row.signature.split("\n"), rules.signatures), strict=False):
            out.append(Evidence(uid, name, "signature", weights["signature"], f"signature: '{line}'"))
    return out


def child_vocative_evidence(row: Any, rules: Rules, weights: dict[str, float]) -> list[Evidence]:
    """The vocative opening a reply is evidence about the author of the reply's PARENT."""
    if not isinstance(row.parent_id, str) or row.kind == "post":
        return []
    voc = vocative(row.clean_text, rules)
    if voc is None:
        return []
    name, opening, hedged = voc
    kind = "child_vocative_hedged" if hedged else "child_vocative"
    note = f"vocative of reply {short_id(row.utterance_id)}: '{opening}'" + (" (hedged)" if hedged else "")
    return [Evidence(row.parent_id, name, kind, weights[kind], note)]


def decide(evidence: list[Evidence], cfg: AttributeConfig) -> tuple[str | None, str | None, float | None]:
    """(author, evidence text, confidence) from an utterance's evidence; null author when weak."""
    if not evidence:
        return None, None, None
    scores: dict[str, float] = {}
    notes: dict[str, list[str]] = {}
    for ev in evidence:
        scores[ev.name] = 1 - (1 - scores.get(ev.name, 0.0)) * (1 - ev.weight)
        notes.setdefault(ev.name, []).append(ev.note)
    ranked = sorted(scores, key=lambda who: (-scores[who], who))
    best = ranked[0]
    rival = scores[ranked[1]] if len(ranked) > 1 else 0.0
    conf = round(scores[best] - cfg.conflict_discount * rival, 3)
    text = "; ".join(notes[best])
    if len(ranked) > 1:
        text += " | against: " + "; ".join(f"{who} ({scores[who]:.2f}): " + ", ".join(notes[who]) for who in ranked[1:])
    if conf < cfg.min_confidence:
        return None, f"unknown ({conf:.2f} < {cfg.min_confidence:.2f}), best guess {best}: " + text, None
    return best, text, conf


def resolved(evidence: list[Evidence], own: dict[str, list[str]], known: list[str],
             cfg: AttributeConfig) -> list[Evidence]:
    """Evidence with names resolved to the fullest spelling (first names -> full names)."""
    out = []
    for ev in evidence:
        name, how = canonical_name(ev.name, own.get(ev.about, []), known, cfg.merge_max_edit_distance, cfg.merge_min_chars)
        out.append(Evidence(ev.about, name, ev.kind, ev.weight, ev.note + how))
    return out


def attribute_document(doc: pd.DataFrame | list[Any], post_author: str | None, rules: Rules,
                       cfg: AttributeConfig) -> tuple[dict[str, tuple], list[tuple[str, str]]]:
    """Attribute every utterance of one thread (rows, or `io.rows` records, in position order); also
    (seen, resolved) names."""
    w = cfg.weights.model_dump()
    records = rows(doc) if isinstance(doc, pd.DataFrame) else doc
    own = [ev for row in records for ev in direct_evidence(row, rules, w)]
    vocs = [ev for row in records for ev in child_vocative_evidence(row, rules, w)]
    own_names: dict[str, list[str]] = {}
    for ev in own:
        own_names.setdefault(ev.about, []).append(ev.name)
    known = [ev.name for ev in own] + ([post_author] if post_author else [])
    direct: dict[str, list[Evidence]] = {r.utterance_id: [] for r in records}
    raw = own + [ev for ev in vocs if ev.about in direct]
    done = resolved(raw, own_names, known, cfg)
    for ev in done:
        direct[ev.about].append(ev)
    seen = [(before.name, ev.name) for before, ev in zip(raw, done, strict=True)]
    host = display(post_author) if post_author else None
    k, n = host_habit(records, rules)
    habit = w["host_habit"] * k / n if n >= cfg.host_habit_min_replies and k / n >= cfg.host_habit_min_rate else 0.0

    def is_host(name: str) -> bool:
        return canonical_name(name, [], known, cfg.merge_max_edit_distance, cfg.merge_min_chars)[0] == host

    addressed = host_addressed(records, host, lambda text: vocative(text, rules), is_host)
    out: dict[str, tuple] = {}
    parent_of = {r.utterance_id: r.parent_id for r in records}
    for row in records:
        evidence = direct[row.utterance_id]
        if not evidence and row.kind != "post":
            evidence = circumstantial(row, parent_of, out, host, habit, (k, n), rules, w)
            if row.depth == 2 and row.parent_id in addressed:
                note = (f"host addressed: {short_id(row.parent_id)} opens '{addressed[row.parent_id]}' (the post "
                        f"author, {host}, per the manifest; the post is missing) and this reply answers it")
                evidence = [*evidence, Evidence(row.utterance_id, host, "host_addressed", w["host_addressed"], note)]
        out[row.utterance_id] = decide(evidence, cfg)
    return out, seen


def circumstantial(row: Any, parent_of: dict[str, Any], done: dict[str, tuple], host: str | None,
                   habit: float, counts: tuple[int, int], rules: Rules, w: dict[str, float]) -> list[Evidence]:
    """Host phrase, host habit and reply-chain evidence for a reply without direct evidence."""
    uid, parent = row.utterance_id, row.parent_id
    if not isinstance(parent, str) or parent not in done:
        return []
    parent_author = done[parent][0]
    out: list[Evidence] = []
    if host and parent_author != host and row.depth >= 2:
        phrase = host_phrase(row.clean_text, rules)
        if phrase:
            out.append(Evidence(uid, host, "host_phrase", w["host_phrase"], f"host phrase: '{phrase}'"))
        if habit:
            note = f"host habit: {counts[0]}/{counts[1]} replies to top-level comments carry a host phrase"
            out.append(Evidence(uid, host, "host_habit", round(habit, 3), note))
    grand = parent_of.get(parent)
    if parent_author and isinstance(grand, str) and grand in done:
        grand_author = done[grand][0]
        if grand_author and grand_author != parent_author:
            note = f"reply chain: {short_id(grand)} ({grand_author}) -> {short_id(parent)} ({parent_author}) -> this"
            out.append(Evidence(uid, grand_author, "reply_chain", w["reply_chain"], note))
    return [ev for ev in out if ev.name != parent_author]


def attribute(utterances: pd.DataFrame, documents: pd.DataFrame, cfg: AttributeConfig,
              clean: CleanConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attributed clean utterances and the participants table (inputs are not modified)."""
    post_authors = {d.doc_id: d.post_author for d in documents.itertuples() if isinstance(d.post_author, str)}
    out, aliases = attribute_rows(utterances, post_authors, cfg, clean)
    return out, participants(out, aliases)


def attribute_rows(utterances: pd.DataFrame, post_authors: dict[str, str], cfg: AttributeConfig, clean: CleanConfig,
                   progress: bool = True, check: bool = True) -> tuple[pd.DataFrame, dict[tuple[str, str], set[str]]]:
    """Attributed utterances of whole documents, and the spellings seen per (corpus, name key) (check=False: unchecked)."""
    rules = Rules.from_config(cfg, clean)
    result: dict[str, tuple] = {}
    aliases: dict[tuple[str, str], set[str]] = {}
    groups: dict[str, list[Any]] = {}  # records by document, in order of first appearance
    for r in rows(utterances):
        groups.setdefault(r.doc_id, []).append(r)
    for doc_id, recs in tqdm(groups.items(), desc="attribute", unit="doc",
                             disable=not progress or bool(os.environ.get("CI"))):
        positions = [r.position for r in recs]
        if len(set(positions)) == len(recs):
            recs = sorted(recs, key=lambda r: r.position)
        else:  # tied positions: pandas' own (unstable) order, as before
            recs = rows(utterances[utterances.doc_id == doc_id].sort_values("position"))
        decided, seen = attribute_document(recs, post_authors.get(doc_id), rules, cfg)
        result.update(decided)
        corpus = str(recs[0].corpus)
        for before, after in seen:
            aliases.setdefault((corpus, name_key(after)), set()).update({display(after), before})
    out = utterances.copy()
    decided_rows = [result[u] for u in out["utterance_id"].tolist()]
    out["author"], out["author_evidence"], out["author_confidence"] = ([d[k] for d in decided_rows] for k in range(3))
    return (conform(out, CLEAN_UTTERANCES) if check else out), aliases


def participants(attributed: pd.DataFrame, aliases: dict[tuple[str, str], set[str]]) -> pd.DataFrame:
    """One row per attributed person (same name key = same person) with every spelling seen."""
    rows = []
    for (corpus, key), grp in attributed.dropna(subset=["author"]).groupby(
            [attributed.corpus, attributed.author.map(name_key, na_action="ignore")]):
        names = sorted(set(grp.author))
        rows.append({"corpus": corpus, "participant_id": f"{corpus}/{key.replace(' ', '-')}",
                     "name": names[0], "aliases": sorted(aliases.get((corpus, key), set()) | set(names)),
                     "n_utterances": len(grp), "documents": sorted(set(grp.doc_id))})
    return make_table(rows, PARTICIPANTS)


EVIDENCE_LABELS = {"commentluv": "commentluv:", "signature": "signature:", "child_vocative": "vocative of reply",
                   "host_phrase": "host phrase:", "host_habit": "host habit:", "host_addressed": "host addressed:",
                   "reply_chain": "reply chain:"}


def attribute_metrics(attributed: pd.DataFrame, people: pd.DataFrame) -> dict[str, Any]:
    """Per corpus: included utterances attributed, left unknown (with / without evidence), by evidence."""
    out: dict[str, Any] = {}
    for corpus, grp in attributed[attributed.included].groupby("corpus"):
        known = grp[grp.author.notna()]
        out[str(corpus)] = {
            "utterances": len(grp), "attributed": len(known),
            "unknown_weak_evidence": int((grp.author.isna() & grp.author_evidence.notna()).sum()),
            "unknown_no_evidence": int(grp.author_evidence.isna().sum()),
            "participants": int((people.corpus == corpus).sum()),
            "attributed_using": {k: int(known.author_evidence.str.contains(v, regex=False).sum())
                                 for k, v in EVIDENCE_LABELS.items()},
            "mean_confidence": round(float(known.author_confidence.mean()), 3) if len(known) else None,
        }
    return out
