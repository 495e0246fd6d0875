"""Concept roles: the role (tool, strategy, transformation, ...) a unit gives each concept it mentions."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.common.codebook import UNCLEAR
from pipeline.common.concepts import Form, Mention, load_forms
from pipeline.common.concepts import mentions as concept_mentions
from pipeline.common.config import ConfigError


@dataclass(frozen=True)
class Role:
    """One codebook role: definition, examples (for the zero-shot prototype) and lexical cues."""

    id: str
    label: str
    definition: str
    examples: tuple[str, ...]
    cues: tuple[re.Pattern[str], ...]

    @property
    def prototype_texts(self) -> list[str]:
        """Texts whose mean embedding is the role's prototype (empty for `unclear`)."""
        return [self.definition, *self.examples] if self.id != UNCLEAR else []


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as e:
        raise ConfigError(f"{where}: bad regular expression {pattern!r}: {e}") from None


def load_roles(codebook: Mapping[str, Any], source: str = "codebook") -> tuple[Role, ...]:
    """The codebook's `roles:` section as Role objects (must include `unclear`)."""
    section = codebook.get("roles") or {}
    if not isinstance(section, Mapping) or not section:
        raise ConfigError(f"{source}: section 'roles' is empty or not a mapping")
    roles = []
    for rid, spec in section.items():
        where = f"{source}: roles.{rid}"
        if not isinstance(spec, Mapping) or not spec.get("definition"):
            raise ConfigError(f"{where}: needs a 'definition'")
        cues = tuple(_compile(p, f"{where}.cues") for p in spec.get("cues") or ())
        roles.append(Role(str(rid), str(spec.get("label", rid)), str(spec["definition"]),
                          tuple(spec.get("examples") or ()), cues))
    if UNCLEAR not in {r.id for r in roles}:
        raise ConfigError(f"{source}: roles must include '{UNCLEAR}'")
    return tuple(roles)


def load_concepts(codebook: Mapping[str, Any], source: str = "codebook") -> tuple[Form, ...]:
    """The codebook's concept forms (pipeline.common.concepts, the same matcher the segment stage tags with)."""
    return load_forms(codebook.get("concepts"), source)


def find_mentions(text: str, forms: Sequence[Form], only: Sequence[str] | None = None) -> list[Mention]:
    """Concept mentions in `text` (longest first, non-overlapping, reading order), optionally of some concepts."""
    return [m for m in concept_mentions(text, tuple(forms)) if only is None or m.concept in only]


def concept_contexts(text: str, mentions: Sequence[Mention], min_chars: int) -> dict[str, str]:
    """Per concept, the stretch of the unit that speaks of it.

    A mention owns the text from its start to the start of the next mention of another concept (the
    text before the first mention goes to the first); a concept's pieces are joined. A context shorter
    than `min_chars` is replaced by the whole unit.
    """
    pieces: dict[str, list[str]] = {}
    for i, m in enumerate(mentions):
        start = 0 if i == 0 else m.start
        nxt = next((n.start for n in mentions[i + 1:] if n.concept != m.concept), len(text))
        if i > 0 and mentions[i - 1].concept == m.concept:
            continue  # already covered by the previous piece of the same concept
        pieces.setdefault(m.concept, []).append(text[start:nxt].strip())
    out = {}
    for concept, parts in pieces.items():
        ctx = " … ".join(p for p in parts if p)
        out[concept] = ctx if len(ctx) >= min_chars else text
    return out


def unit_concepts(units: pd.DataFrame, concepts: Sequence[Form], min_chars: int) -> pd.DataFrame:
    """One row per (unit, concept) for every concept in the unit's `concepts` list, with its context."""
    rows = []
    for u in units.itertuples(index=False):
        tagged = list(dict.fromkeys(u.concepts)) if u.concepts is not None else []
        if not tagged:
            continue
        ctx = concept_contexts(u.text, find_mentions(u.text, concepts, tagged), min_chars)
        for c in tagged:
            rows.append({"corpus": u.corpus, "doc_id": u.doc_id, "utterance_id": u.utterance_id,
                         "unit_id": u.unit_id, "author": u.author, "concept": c,
                         "context": ctx.get(c, u.text), "text": u.text})
    cols = ["corpus", "doc_id", "utterance_id", "unit_id", "author", "concept", "context", "text"]
    return pd.DataFrame(rows, columns=cols)


def cue_matrix(texts: Sequence[str], roles: Sequence[Role]) -> np.ndarray:
    """(n_texts, n_roles) 0/1 matrix: does any cue of the role occur in the text."""
    return np.array([[float(any(p.search(t) for p in r.cues)) for r in roles] for t in texts]).reshape(len(texts), len(roles))


def prototypes(role_embeddings: Mapping[str, np.ndarray], roles: Sequence[Role]) -> np.ndarray:
    """(n_roles, dim) unit-length mean embedding per role; a zero row for roles without texts."""
    dim = next(iter(v.shape[1] for v in role_embeddings.values() if len(v)))
    rows = []
    for r in roles:
        e = role_embeddings.get(r.id)
        v = np.zeros(dim) if e is None or not len(e) else e.mean(axis=0)
        n = np.linalg.norm(v)
        rows.append(v / n if n > 0 else v)
    return np.vstack(rows)


def zero_shot_scores(context_emb: np.ndarray, protos: np.ndarray, cues: np.ndarray, cue_weight: float) -> np.ndarray:
    """Role scores: cosine similarity of each context to each prototype plus cue_weight per cue hit."""
    norms = np.linalg.norm(context_emb, axis=1, keepdims=True)
    unit = context_emb / np.where(norms > 0, norms, 1.0)
    return unit @ protos.T + cue_weight * cues


def assign(scores: np.ndarray, roles: Sequence[Role], threshold: float) -> tuple[list[str], np.ndarray]:
    """Best-scoring role per row (`unclear` excluded from the argmax); `unclear` below the threshold."""
    ids = [r.id for r in roles]
    mask = np.array([i != UNCLEAR for i in ids])
    masked = np.where(mask, scores, -np.inf)
    best = masked.argmax(axis=1)
    top = masked[np.arange(len(scores)), best]
    labels = [ids[b] if s >= threshold else UNCLEAR for b, s in zip(best, top, strict=True)]
    return labels, top
