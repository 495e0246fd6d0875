"""Concept mentions: the codebook's `concepts:` surface forms matched in unit texts (pure).

Each form is a regular expression matched as a whole word (no letter or digit may touch it on
either side), case-insensitively unless the form says `case: sensitive` ("SM" but not "sm").
Overlapping mentions are resolved longest-first, so "Social CRM" is one social_crm mention, not
also a crm one. `tag_spans` tags all units of a text at once with the same result as tagging each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

try:  # the literal every match of a pattern contains (a prefilter); without the parser, no prefilter
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    sre_parser = sre_constants = None

from pipeline.config import ConfigError

CASES = ("insensitive", "sensitive")
# Anchors, lookarounds and back-references make a match depend on the text around it (conservative).
ASSERTIONS = re.compile(r"[$^]|\\[bBAZ1-9]|\(\?(=|!|<=|<!|P=|\()")
FOLDS_TO_ASCII = ("\u0131", "\u017f")  # ı, ſ: match i, s under IGNORECASE but lower() keeps them


@dataclass(frozen=True)
class Form:
    """One surface form of a concept."""

    concept: str
    source: str
    regex: re.Pattern[str]
    literal: str | None = None  # text every match contains (lower-case when the form ignores case)
    plain: bool = False  # no anchors, lookarounds or back-references: a match depends on its own text only
    folded: bool = False  # the form ignores case


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
            forms.append(Form(str(cid), spec["pattern"], regex, required_literal(spec["pattern"], flags),
                              not ASSERTIONS.search(spec["pattern"]), case == "insensitive"))
    return tuple(forms)


def required_literal(pattern: str, flags: int) -> str | None:
    """The longest ASCII run (2+ characters) that every match of `pattern` contains, or None."""
    if sre_parser is None:
        return None
    try:
        items = list(sre_parser.parse(pattern, flags))
    except (re.error, TypeError, ValueError):
        return None
    best, run = "", ""
    for op, av in [*items, (None, None)]:
        if op is sre_constants.LITERAL and av < 128:
            run += chr(av)
            continue
        best, run = max(best, run, key=len), ""
    if len(best) < 2:
        return None
    return best.lower() if flags & re.IGNORECASE else best


def resolve(found: list[Mention]) -> list[Mention]:
    """Keep the longest of overlapping mentions (the earlier on ties), in text order."""
    found.sort(key=lambda x: (-(x.end - x.start), x.start))
    kept: list[Mention] = []
    for m in found:
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda x: x.start)


def mentions(text: str, forms: tuple[Form, ...]) -> list[Mention]:
    """Non-overlapping concept mentions in `text`, longest match first, in text order."""
    return resolve([Mention(f.concept, m.start(), m.end(), m.group(0)) for f in forms for m in f.regex.finditer(text)
                    if m.end() > m.start()])


def present(text: str, forms: tuple[Form, ...]) -> tuple[Form, ...]:
    """The forms whose literal occurs in `text` (or that have none): the only ones that can match in it."""
    lowered = None if any(c in text for c in FOLDS_TO_ASCII) else text.lower()
    return tuple(f for f in forms if f.literal is None or (
        f.literal in text if not f.folded else lowered is None or f.literal in lowered))


def tag_spans(text: str, spans: list[tuple[int, int]], forms: tuple[Form, ...]) -> list[list[str]]:
    """`[tag(text[s:e], forms) for s, e in spans]`, scanning `text` once per form that occurs in it.

    A plain form's matches in `text` are its matches in a span when no match crosses the span's ends
    and no letter or digit touches them (the word-boundary checks see the same thing); other spans
    and forms are matched on the span's own text.
    """
    forms = present(text, forms)
    whole = [[(m.start(), m.end(), m.group(0)) for m in f.regex.finditer(text) if m.end() > m.start()] if f.plain
             else None for f in forms]
    ends = [(a, b) for ms in whole if ms for a, b, _ in ms]
    out: list[list[str]] = []
    for s, e in spans:
        clean = ((s == 0 or not text[s - 1].isalnum()) and (e == len(text) or not text[e].isalnum())
                 and not any(a < s < b or a < e < b for a, b in ends))
        found: list[Mention] = []
        for f, ms in zip(forms, whole, strict=True):
            if clean and ms is not None:
                found += [Mention(f.concept, a - s, b - s, g) for a, b, g in ms if s <= a and b <= e]
            else:
                found += [Mention(f.concept, m.start(), m.end(), m.group(0)) for m in f.regex.finditer(text[s:e])
                          if m.end() > m.start()]
        out.append(sorted({m.concept for m in resolve(found)}) if found else [])
    return out


def tag(text: str, forms: tuple[Form, ...]) -> list[str]:
    """Sorted distinct concepts mentioned in `text`."""
    return sorted({m.concept for m in mentions(text, forms)})
