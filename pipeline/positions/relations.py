"""Relation statements between concepts ("Social Business = Social CRM + Enterprise 2.0") from codebook cues."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.common.concepts import Form, Mention
from pipeline.common.config import ConfigError
from pipeline.positions.roles import find_mentions

OPEN, CLOSE = "\u27e6", "\u27e7"  # placeholder brackets around a mention index in the templated text
_TOKENS = re.compile(r"(\{A\}|\{B\}|…|~)")
_PLACEHOLDER = re.compile(f"{OPEN}(\\d+){CLOSE}")


@dataclass(frozen=True)
class RelationPattern:
    """One compiled cue pattern of a relation type."""

    relation: str
    name: str  # '<relation>#<index>' for provenance
    regex: re.Pattern[str]
    negatable: bool


@dataclass(frozen=True)
class RelationRules:
    """Everything relation extraction needs from the codebook and params."""

    patterns: tuple[RelationPattern, ...]
    negation: re.Pattern[str]
    sum_join: re.Pattern[str]
    max_targets: int
    negation_window: int


def compile_pattern(pattern: str, max_gap: int, short_gap: int) -> str:
    """Turn a codebook pattern ({A}, {B}, … long gap, ~ short gap) into a regular expression."""
    out, n = [], 0
    for part in _TOKENS.split(pattern):
        if part == "{A}":
            out.append(f"{OPEN}(?P<a>\\d+){CLOSE}")
        elif part == "{B}":
            out.append(f"{OPEN}(?P<b>\\d+){CLOSE}")
        elif part in ("…", "~"):
            size = max_gap if part == "…" else short_gap
            out.append(f"(?P<{'L' if part == '…' else 'S'}{n}>[^{OPEN}{CLOSE}]{{0,{size}}}?)")
            n += 1
        else:
            out.append(part)
    return "".join(out)


def load_rules(codebook: Mapping[str, Any], max_gap: int, short_gap: int, negation_window: int,
               source: str = "codebook") -> RelationRules:
    """The codebook's `relations:` section compiled (errors name the file and the key)."""
    sec = codebook.get("relations") or {}
    types = sec.get("types") if isinstance(sec, Mapping) else None
    if not isinstance(types, Mapping) or not types:
        raise ConfigError(f"{source}: relations.types is empty or not a mapping")
    pats = []
    for rel, spec in types.items():
        for i, p in enumerate((spec or {}).get("patterns") or ()):
            if "{A}" not in p or "{B}" not in p:
                raise ConfigError(f"{source}: relations.types.{rel}.patterns[{i}] needs both {{A}} and {{B}}")
            try:
                rx = re.compile(compile_pattern(p, max_gap, short_gap), re.IGNORECASE)
            except re.error as e:
                raise ConfigError(f"{source}: relations.types.{rel}.patterns[{i}]: {e}") from None
            pats.append(RelationPattern(str(rel), f"{rel}#{i}", rx, bool(spec.get("negatable", True))))
    try:
        negation = re.compile(sec.get("negation", r"\b(not|n.t|never)\b"), re.IGNORECASE)
        sum_join = re.compile(sec.get("sum_join", r"\s*\+\s*"), re.IGNORECASE)
    except re.error as e:
        raise ConfigError(f"{source}: relations.negation/sum_join: {e}") from None
    return RelationRules(tuple(pats), negation, sum_join, int(sec.get("max_targets", 4)), negation_window)


def template(text: str, mentions: Sequence[Mention]) -> str:
    """The text with every mention replaced by ⟦index⟧."""
    out, last = [], 0
    for i, m in enumerate(mentions):
        out += [text[last:m.start], f"{OPEN}{i}{CLOSE}"]
        last = m.end
    return "".join(out + [text[last:]])


def _untemplate(s: str, text: str, mentions: Sequence[Mention]) -> str:
    return _PLACEHOLDER.sub(lambda m: text[mentions[int(m.group(1))].start:mentions[int(m.group(1))].end], s)


def _cue_and_negation(m: re.Match[str], rules: RelationRules) -> tuple[str, bool]:
    """The matched cue (match minus long gaps) and whether a negation sits in it or just before it."""
    long_gaps = sorted(m.span(g) for g in m.groupdict() if g.startswith("L") and m.span(g)[0] >= 0)
    pieces, pos, tails = [], m.start(), []
    for s, e in long_gaps:
        pieces.append(m.string[pos:s])
        tails.append(m.string[max(s, e - rules.negation_window):e])
        pos = e
    pieces.append(m.string[pos:m.end()])
    cue = " … ".join(p.strip() for p in pieces if _PLACEHOLDER.sub("", p).strip())
    negated = any(rules.negation.search(_PLACEHOLDER.sub(" ", t)) for t in [*pieces, *tails])
    return cue, negated


def _sum_targets(templated: str, b_end: int, rules: RelationRules) -> tuple[list[int], int]:
    """Indices of further mentions joined to B by the sum cue ("B + C + D") and where the sum ends."""
    out, pos = [], b_end
    joiner = re.compile(rules.sum_join.pattern + f"{OPEN}(\\d+){CLOSE}", re.IGNORECASE)
    while len(out) < rules.max_targets - 1 and (m := joiner.match(templated, pos)):
        out.append(int(m.group(m.lastindex or 1)))
        pos = m.end()
    return out, pos


def unit_relations(text: str, mentions: Sequence[Mention], rules: RelationRules) -> list[dict[str, Any]]:
    """Relation statements in one unit: source concept, relation, target concepts, negation, cue."""
    if len({m.concept for m in mentions}) < 2:
        return []
    t = template(text, mentions)
    found: dict[tuple[str, str, tuple[str, ...], bool], dict[str, Any]] = {}
    for p in rules.patterns:
        pos = 0
        while (m := p.regex.search(t, pos)) is not None:
            pos = m.start() + 1
            a, b = int(m.group("a")), int(m.group("b"))
            extra, sum_end = _sum_targets(t, m.end("b") + 1, rules) if p.relation == "equals" else ([], m.end())
            idx = [b, *extra]
            targets = tuple(dict.fromkeys(mentions[i].concept for i in idx if mentions[i].concept != mentions[a].concept))
            if not targets:
                continue
            cue, neg = _cue_and_negation(m, rules)
            cue += t[m.end():sum_end] if extra else ""
            key = (mentions[a].concept, p.relation, targets, neg and p.negatable)
            if key not in found or len(cue) < len(found[key]["cue"]):
                found[key] = {"source": key[0], "relation": p.relation, "targets": list(targets),
                              "negated": key[3], "cue": _untemplate(cue, text, mentions), "pattern": p.name}
    return list(found.values())


RELATION_COLUMNS = ["corpus", "doc_id", "utterance_id", "unit_id", "author", "source", "relation", "targets",
                    "negated", "cue", "pattern", "text"]


def extract_relations(units: pd.DataFrame, concepts: Sequence[Form], rules: RelationRules) -> pd.DataFrame:
    """Relation statements of every unit mentioning two or more concepts (schema RELATIONS)."""
    rows = []
    for u in units.itertuples(index=False):
        if u.concepts is None or len(set(u.concepts)) < 2:
            continue
        mentions = find_mentions(u.text, concepts, list(u.concepts))
        for r in unit_relations(u.text, mentions, rules):
            rows.append({"corpus": u.corpus, "doc_id": u.doc_id, "utterance_id": u.utterance_id,
                         "unit_id": u.unit_id, "author": u.author, **r, "text": u.text})
    return pd.DataFrame(rows, columns=RELATION_COLUMNS)
