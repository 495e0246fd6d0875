"""The positions stage's core: roles, relation statements, participant positions and map, reply network and
their validation, from the tables read by the edge (pure but for the embedder it is given)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.codebook import Codebook
from pipeline.common.config import PositionsConfig
from pipeline.common.eval_items import combine, stance_items
from pipeline.positions.participants import frame_mix, participant_map, participant_positions
from pipeline.positions.relations import extract_relations, load_rules
from pipeline.positions.replies import (
    load_stance_rules,
    participant_index,
    participant_of,
    reply_edges,
    reply_pairs,
)
from pipeline.positions.role_scores import (
    align_annotations,
    embed_role_texts,
    score_roles_items,
    validate_stances,
)
from pipeline.positions.roles import load_concepts, load_roles, unit_concepts

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class PositionInputs:
    """What the positions stage reads (optional tables are None when absent)."""

    units: pd.DataFrame
    utterances: pd.DataFrame
    participants: pd.DataFrame | None
    documents: pd.DataFrame | None
    unit_frames: pd.DataFrame | None
    unit_vectors: np.ndarray
    role_codes: pd.DataFrame | None
    stance_codes: pd.DataFrame | None
    role_codes_source: str
    unit_frames_source: str


@dataclass(frozen=True)
class PositionsResult:
    """Everything the stage writes."""

    unit_roles: pd.DataFrame
    relations: pd.DataFrame
    positions: pd.DataFrame
    participant_map: pd.DataFrame
    replies: pd.DataFrame
    reply_pairs: pd.DataFrame
    problems: list[dict[str, Any]]
    metrics: dict[str, Any]
    eval_items: pd.DataFrame


def context_vectors(uc: pd.DataFrame, units: pd.DataFrame, unit_vectors: np.ndarray, embed: Embed,
                    dim: int) -> np.ndarray:
    """One vector per (unit, concept) context: the unit's own vector when the context is the whole unit,
    else the context embedded (each distinct text once)."""
    if not len(uc):
        return np.zeros((0, dim))
    row_of = {u: i for i, u in enumerate(units["unit_id"])}
    whole = (uc["context"] == uc["text"]).to_numpy()
    todo = list(dict.fromkeys(uc.loc[~whole, "context"]))
    fresh = dict(zip(todo, embed(todo), strict=True)) if todo else {}
    return np.vstack([unit_vectors[row_of[u]] if w else fresh[c]
                      for u, c, w in zip(uc["unit_id"], uc["context"], whole, strict=True)])


def position_corpus(inp: PositionInputs, codebook: Codebook, cfg: PositionsConfig, embed: Embed,
                    dim: int) -> PositionsResult:
    """Roles, relations, positions, participant map and replies of the corpus, with their validation."""
    source = codebook.source
    roles, concepts = load_roles(codebook.raw, source), load_concepts(codebook.raw, source)
    rules = load_rules(codebook.raw, cfg.max_gap_chars, cfg.short_gap_chars, cfg.negation_window, source)
    stance_rules = load_stance_rules(codebook.raw, cfg.contrast_window, source)
    units, participants, unit_frames = inp.units, inp.participants, inp.unit_frames
    index = participant_index(participants) if participants is not None else {}
    names = dict(zip(participants["participant_id"], participants["name"], strict=True)) if participants is not None else {}
    uc = unit_concepts(units, concepts, cfg.min_context_chars)
    uc.insert(5, "participant_id", [participant_of(c, a, index) for c, a in zip(uc["corpus"], uc["author"], strict=True)])
    problems: list[dict[str, Any]] = []
    if unit_frames is not None and not ({"unit_id", "frame"} <= set(unit_frames.columns)
                                        or {"unit_id", "frames"} <= set(unit_frames.columns)):
        problems.append({"corpus": "", "source": inp.unit_frames_source, "location": None, "stage": "positions",
                         "reason": "bad-unit-frames", "detail": f"{inp.unit_frames_source}: needs columns unit_id and "
                         "frame; frame mixes left empty"})
        unit_frames = None
    gold, ann_problems = (align_annotations(inp.role_codes, uc, [r.id for r in roles], inp.role_codes_source)
                          if inp.role_codes is not None else ({}, []))
    problems += ann_problems
    ctx_emb = context_vectors(uc, units, inp.unit_vectors, embed, dim)
    unit_roles, metrics, items = score_roles_items(uc, ctx_emb, embed_role_texts(roles, embed), roles, gold, cfg)
    relations = extract_relations(units, concepts, rules)
    docs = inp.documents
    post_authors = ({d: a for d, a in zip(docs["doc_id"], docs["post_author"], strict=True) if isinstance(a, str)}
                    if docs is not None else {})
    replies = reply_edges(inp.utterances, index, stance_rules, post_authors)
    pairs = reply_pairs(replies)
    role_ids = [r.id for r in roles]
    frame_order = list((codebook.raw.get("frames") or {}).keys())
    fmix = frame_mix(unit_frames, units, index)
    positions = participant_positions(unit_roles, names, role_ids, fmix, frame_order)
    pmap = participant_map(units, inp.unit_vectors, unit_roles, index, names, role_ids, fmix, frame_order,
                           cfg.map_mix_weight, cfg.seed)
    metrics["relations"] = {"n": len(relations), "by_relation": dict(Counter(relations["relation"])),
                            "negated": int(relations["negated"].sum()) if len(relations) else 0}
    metrics["replies"] = {"n": len(replies), "by_stance": dict(Counter(replies["stance"])), "n_pairs": len(pairs)}
    if inp.stance_codes is not None:
        metrics["replies"]["validation"] = validate_stances(replies, inp.stance_codes, cfg)
        items = combine([items, stance_items(replies, inp.stance_codes)])
    metrics["participants"] = {"n_mapped": len(pmap), "n_positions": len(positions)}
    metrics["problems"] = dict(Counter(p["reason"] for p in problems))
    return PositionsResult(unit_roles, relations, positions, pmap, replies, pairs, problems, metrics, items)
