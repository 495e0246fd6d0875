"""Concept mentions: the codebook's `concepts:` surface forms matched in unit texts (pure).

Each form is a regular expression matched as a whole word (no letter or digit may touch it on
either side), case-insensitively unless the form says `case: sensitive` ("SM" but not "sm").
Overlapping mentions are resolved longest-first, so "Social CRM" is one social_crm mention, not
also a crm one. `tag_spans` tags all units of a text at once with the same result as tagging each.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter
from typing import Any

from pipeline.common.config import ConfigError
from pipeline.common.patterns import required_literal, required_runs, widths

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
    bare: re.Pattern[str] | None = None  # `regex` without its leading look-behind, when no match is empty
    widest: int = 0  # the most characters a match can have (a large number when unbounded)
    prefix: str | None = None  # text every match starts with (lower-case when the form ignores case)
    needs: tuple[tuple[str, ...], ...] = ()  # runs a match contains: all those of one alternative (see `required_runs`)


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
            fewest, widest = widths(spec["pattern"], flags)
            bare = re.compile(rf"(?:{spec['pattern']})(?![^\W_])", flags) if fewest else None
            forms.append(Form(str(cid), spec["pattern"], regex, required_literal(spec["pattern"], flags),
                              not ASSERTIONS.search(spec["pattern"]), case == "insensitive", bare, widest,
                              required_literal(spec["pattern"], flags, leading=True),
                              required_runs(spec["pattern"], flags)))
    return tuple(forms)


WORD_BEFORE = re.compile(r"(?<![^\W_])")  # a form's leading look-behind on its own


def spans_of(form: Form, text: str, lowered: str | None = None) -> list[tuple[int, int]]:
    """(start, end) of the non-empty matches of `form.regex.finditer(text)`; `lowered` is `text.lower()`.

    The regex engine tries a pattern that starts with a look-behind at every position; `form.bare`
    (no empty matches) gets its fast prefix scan, and a candidate is kept when the look-behind holds
    at its start (else the search resumes one character later). Each search starts no earlier than
    `widest` characters before the end of the next occurrence of the form's literal (in `lowered`
    for a case-blind form on an ASCII text), and none is run once the literal no longer occurs; a
    form whose matches start with a literal is only tried where it occurs: the same matches, several
    times faster.
    """
    if form.bare is None:
        return [(m.start(), m.end()) for m in form.regex.finditer(text) if m.end() > m.start()]
    hay = (lowered if lowered is not None and text.isascii() else None) if form.folded else text
    literal = form.literal if hay is not None else None
    out: list[tuple[int, int]] = []
    pos = 0
    if form.prefix is not None and hay is not None:  # matches start where the prefix occurs: no search
        while (at := hay.find(form.prefix, pos)) >= 0:
            m = form.bare.match(text, at)
            if m is not None and WORD_BEFORE.match(text, at):
                out.append(m.span())
                pos = m.end()
            else:
                pos = at + 1
        return out
    while True:
        start = pos
        if literal is not None and hay is not None:
            at = hay.find(literal, pos)
            if at < 0:
                break
            start = max(pos, at + len(literal) - form.widest)
        m = form.bare.search(text, start)
        if m is None:
            break
        if WORD_BEFORE.match(text, m.start()):
            out.append(m.span())
            pos = m.end()
        else:
            pos = m.start() + 1
    return out


def longest_mentions(found: list[Mention]) -> list[Mention]:
    """Keep the longest of overlapping mentions (the earlier on ties), in text order."""
    found.sort(key=lambda x: (-(x.end - x.start), x.start))
    kept: list[Mention] = []
    for m in found:
        if all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda x: x.start)


def mentions(text: str, forms: tuple[Form, ...]) -> list[Mention]:
    """Non-overlapping concept mentions in `text`, longest match first, in text order."""
    return longest_mentions([Mention(f.concept, m.start(), m.end(), m.group(0)) for f in forms for m in f.regex.finditer(text)
                    if m.end() > m.start()])


def present(text: str, forms: tuple[Form, ...]) -> tuple[Form, ...]:
    """The forms whose required literal runs (`Form.needs`, else `Form.literal`) occur in `text`, or that have none:
    the only ones that can match in it."""
    lowered = None if any(c in text for c in FOLDS_TO_ASCII) else text.lower()
    out = []
    for f in forms:
        hay = lowered if f.folded else text
        if f.needs and hay is not None:  # every run of one alternative (of the one, mostly) occurs
            for alt in f.needs:
                for run in alt:
                    if run not in hay:
                        break
                else:
                    break
            else:
                continue
        elif f.literal is not None and hay is not None and f.literal not in hay:
            continue
        out.append(f)
    return tuple(out)


def tag_spans(text: str, spans: list[tuple[int, int]], forms: tuple[Form, ...]) -> list[list[str]]:
    """`[tag(text[s:e], forms) for s, e in spans]`, scanning `text` once per form that occurs in it.

    A plain form's matches in `text` are its matches in a span when no match crosses the span's ends
    and no letter or digit touches them (the word-boundary checks see the same thing); other spans
    and forms are matched on the span's own text. The matches of `text` are sorted by start (form
    order on ties, as `resolve` expects), so each span finds its own by bisection.
    """
    forms = present(text, forms)
    if not all(f.plain for f in forms):
        return [tag(text[s:e], forms) for s, e in spans]
    lowered = text.lower() if text.isascii() else None
    found = sorted(((a, b, f.concept) for f in forms for a, b in spans_of(f, text, lowered)), key=itemgetter(0))
    starts = [a for a, _, _ in found]
    reach = list(accumulate((b for _, b, _ in found), max))  # reach[i]: the furthest end of found[:i + 1]
    out: list[list[str]] = []
    for s, e in spans:
        lo, hi = bisect_left(starts, s), bisect_left(starts, e)
        if ((s == 0 or not text[s - 1].isalnum()) and (e == len(text) or not text[e].isalnum())
                and (lo == 0 or reach[lo - 1] <= s) and (hi == 0 or reach[hi - 1] <= e)):
            out.append(kept_concepts(found[lo:hi]))
        else:
            out.append(tag(text[s:e], forms))
    return out


def kept_concepts(found: list[tuple[int, int, str]]) -> list[str]:
    """Sorted distinct concepts of the (start, end, concept) matches `resolve` keeps."""
    if len(found) < 2:
        return [found[0][2]] if found else []
    kept: list[tuple[int, int, str]] = []
    for m in sorted(found, key=lambda x: (x[0] - x[1], x[0])):
        if all(m[1] <= k[0] or m[0] >= k[1] for k in kept):
            kept.append(m)
    return sorted({c for _, _, c in kept})


def tag(text: str, forms: tuple[Form, ...]) -> list[str]:
    """Sorted distinct concepts mentioned in `text`."""
    return sorted({m.concept for m in mentions(text, forms)})
