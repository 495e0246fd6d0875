"""Wiki signature timestamps to ISO 8601, in any language, with month names learnt from CLDR.

A timestamp such as "08:23, 29 wrz 2018 (CEST)" or "١٤:١٦، ١٦ی تشرینی یەکەمی ٢٠١٤ (UTC)" has a time
(HH:MM), a 4-digit year, a day, and a month given as a number or a word. Digits of any script count.
Month words are looked up in the CLDR month names (babel) of the one language whose names cover most
of the page's timestamps, so the page itself tells which language it is. The result is the wiki's
local time as shown (no offset: the time-zone abbreviation stays in the timestamp text); None when
the year, month or day cannot be read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from difflib import SequenceMatcher
from functools import lru_cache

_TIME = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)")
_ZONE = re.compile(r"\([^()]*\)\s*$")
_NUMBER = re.compile(r"\d+")
_WORD_START = re.compile(r"(?:^|(?<=[^\w]))\w", re.UNICODE)


def ascii_digits(text: str) -> str:
    """The text with digits of any script replaced by ASCII digits."""
    return "".join(str(unicodedata.decimal(c)) if c.isdigit() and unicodedata.decimal(c, None) is not None else c
                   for c in text)


def _key(name: str) -> str:
    return " ".join(name.casefold().replace(".", " ").split())


def month_phrase(timestamp: str) -> str:
    """What is left of a timestamp once its time, zone and numbers are taken out, for month lookup."""
    text = _ZONE.sub("", ascii_digits(timestamp))
    text = _NUMBER.sub(" ", _TIME.sub(" ", text))
    return _key(re.sub(r"[^\w.]+", " ", text))


@lru_cache(maxsize=1)
def _cldr_months() -> dict[str, tuple[tuple[str, int], ...]]:
    """Per CLDR base language: (month name key, month number) pairs, longest names first."""
    from babel import Locale, localedata

    out: dict[str, tuple[tuple[str, int], ...]] = {}
    for ident in localedata.locale_identifiers():
        if "_" in ident:
            continue
        try:
            months = Locale.parse(ident).months
        except (ValueError, KeyError, TypeError):
            continue
        names: dict[str, int] = {}
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in (months.get(context, {}).get(width, {}) or {}).items():
                    key = _key(name)
                    if key and not key.isdigit():
                        names.setdefault(key, int(number))
        if names:
            out[ident] = tuple(sorted(names.items(), key=lambda kv: -len(kv[0])))
    return out


def _exact(phrase: str, names: tuple[tuple[str, int], ...]) -> tuple[int, int] | None:
    """(month, name length) of the longest name starting at a word start of the phrase."""
    starts = {m.start() for m in _WORD_START.finditer(phrase)}
    for name, number in names:  # longest first
        i = phrase.find(name)
        while i >= 0:
            if i in starts:
                return number, len(name)
            i = phrase.find(name, i + 1)
    return None


def _similar(phrase: str, names: tuple[tuple[str, int], ...], min_ratio: float) -> int | None:
    """The month whose name is most like a stretch of the phrase from a word start (spelling variants:
    "تەممووز" for CLDR's "تەمووز"), when at least `min_ratio` alike and no other month is as close."""
    best: dict[int, float] = {}
    for start in (m.start() for m in _WORD_START.finditer(phrase)):
        for name, number in names:
            for size in (len(name) - 1, len(name), len(name) + 1):
                ratio = SequenceMatcher(None, name, phrase[start:start + size]).ratio()
                best[number] = max(best.get(number, 0.0), ratio)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    if ranked and ranked[0][1] >= min_ratio and (len(ranked) == 1 or ranked[1][1] < ranked[0][1]):
        return ranked[0][0]
    return None


def _prefix(phrase: str, names: tuple[tuple[str, int], ...]) -> int | None:
    """The month whose names alone start with one of the phrase's words of 3+ letters ("sep": "septembre")."""
    for word in phrase.split():
        if len(word) >= 3:
            months = {number for name, number in names if name.startswith(word)}
            if len(months) == 1:
                return months.pop()
    return None


def month_names(timestamps: Iterable[str], min_ratio: float = 0.8) -> dict[str, int]:
    """Month number of each distinct month phrase of the page, in the CLDR language whose month names
    occur in most of them (ties: longer names). A phrase holding no name of that language whole takes
    the most similar name (`min_ratio`), else the one month whose names start with one of its words."""
    phrases = sorted({p for p in (month_phrase(t) for t in timestamps) if p})
    if not phrases:
        return {}
    best: tuple[int, int, str] | None = None
    for lang, names in sorted(_cldr_months().items()):
        found = [_exact(p, names) for p in phrases]
        score = (sum(f is not None for f in found), sum(f[1] for f in found if f is not None))
        if score[0] and (best is None or score > best[:2]):
            best = (*score, lang)
    if best is None:
        return {}
    names = _cldr_months()[best[2]]
    out = {}
    for p in phrases:
        exact = _exact(p, names)
        month = exact[0] if exact else _similar(p, names, min_ratio) or _prefix(p, names)
        if month is not None:
            out[p] = month
    return out


def iso_timestamp(timestamp: str, months: dict[str, int]) -> str | None:
    """ISO 8601 (local time as shown) for a signature timestamp; None when year, month or day is unclear."""
    text = _ZONE.sub("", ascii_digits(timestamp))
    t = _TIME.search(text)
    if t is None:
        return None
    rest = text[: t.start()] + " " + text[t.end():]
    numbers = _NUMBER.findall(rest)
    years = [n for n in numbers if len(n) == 4]
    small = [int(n) for n in numbers if len(n) <= 2]
    if len(years) != 1:
        return None
    if len(small) == 2:  # numeric month: year first -> y-m-d, else d.m.y
        year_first = rest.find(years[0]) < rest.find(numbers[[len(n) <= 2 for n in numbers].index(True)])
        month, day = (small[0], small[1]) if year_first else (small[1], small[0])
    elif len(small) == 1 and month_phrase(timestamp) in months:
        month, day = months[month_phrase(timestamp)], small[0]
    else:
        return None
    try:
        return datetime(int(years[0]), month, day, int(t.group(1)), int(t.group(2))).isoformat()
    except ValueError:
        return None
