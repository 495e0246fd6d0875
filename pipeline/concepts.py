"""Concept mentions: the codebook's `concepts:` surface forms matched in unit texts (pure).

Each form is a regular expression matched as a whole word (no letter or digit may touch it on
either side), case-insensitively unless the form says `case: sensitive` ("SM" but not "sm").
Overlapping mentions are resolved longest-first, so "Social CRM" is one social_crm mention, not
also a crm one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pipeline.config import ConfigError

CASES = ("insensitive", "sensitive")


@dataclass(frozen=True)
class Form:
    """One surface form of a concept."""

    concept: str
    source: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Mention:
    """A concept mention in a text."""

    concept: str
    start: int
    end: int
    surface: str


def load_forms(concepts: Any, source: str) -> tuple[Form, ...]:
    """Validate the codebook's `concepts:` mapping into compiled forms; errors name file and key."""
    if not isinstance(concepts, dict) or not concepts:
        raise ConfigError(f"{source}: 'concepts' must be a non-empty mapping of concept id -> entry")
    forms: list[Form] = []
    for cid, entry in concepts.items():
        where = f"{source}: concepts.{cid}"
        if not isinstance(entry, dict) or not isinstance(entry.get("forms"), list) or not entry["forms"]:
            raise ConfigError(f"{where}: needs a non-empty 'forms' list")
        for k, form in enumerate(entry["forms"]):
            spec = {"pattern": form} if isinstance(form, str) else form
            if not isinstance(spec, dict) or not isinstance(spec.get("pattern"), str):
                raise ConfigError(f"{where}.forms[{k}]: needs a 'pattern' string")
            case = spec.get("case", "insensitive")
            if case not in CASES:
                raise ConfigError(f"{where}.forms[{k}]: case must be one of {CASES}, got {case!r}")
            flags = re.IGNORECASE if case == "insensitive" else 0
            try:
                regex = re.compile(rf"(?<![^\W_])(?:{spec['pattern']})(?![^\W_])", flags)
            except re.error as e:
                raise ConfigError(f"{where}.forms[{k}]: bad pattern {spec['pattern']!r}: {e}") from None
            forms.append(Form(str(cid), spec["pattern"], regex))
    return tuple(forms)


def mentions(text: str, forms: tuple[Form, ...]) -> list[Mention]:
    """Non-overlapping concept mentions in `text`, longest match first, in text order."""
    found = [Mention(f.concept, m.start(), m.end(), m.group(0)) for f in forms for m in f.regex.finditer(text)
             if m.end() > m.start()]
    found.sort(key=lambda x: (-(x.end - x.start), x.start))
    kept: list[Mention] = []
    for m in found:
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda x: x.start)


def tag(text: str, forms: tuple[Form, ...]) -> list[str]:
    """Sorted distinct concepts mentioned in `text`."""
    return sorted({m.concept for m in mentions(text, forms)})
