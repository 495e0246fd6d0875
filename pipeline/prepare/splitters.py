"""Sentence splitters for the segment stage: (start, end) offsets of the sentences of one line (pure).

`segment.splitter` in params.yaml names one:

- `pysbd`: pysbd (rule-based, offline, ~0.5-2 ms per line); the reference.
- `rules`: one pass over the line's terminal punctuation with pysbd's main English rules and word
  lists (abbreviations, titles before names, initials, e.g./U.S., numbered lines, ellipses, "!!",
  mid-sentence "!", quoted and bracketed text), some 50x faster. It leaves out pysbd's rarer rules
  (alphabetical and roman-numeral lists, exclamation words, "!!!"-runs); its boundary agreement
  with pysbd on the real comment corpora is in docs/segment_splitters.md.

A line is split only at whitespace, so each span runs from a sentence's first character through
the whitespace after it (pysbd's convention); the caller strips them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pysbd

Splitter = Callable[[str], list[tuple[int, int]]]

# pysbd compiles hundreds of distinct regular expressions per call; above Python's default cache of
# 512 they are recompiled on every line (most of its run time). Raised once, for the whole process.
RE_CACHE_SIZE = 4096
LINE_MEMO_SIZE = 4096  # repeated lines are short formulae; a bounded memo keeps memory flat


def pysbd_spans(seg: Any, text: str) -> list[tuple[int, int]]:
    """pysbd's sentences of `text` as (start, end) offsets, trailing whitespace included.

    Same result as `seg.segment(text)` with char_span=True (each sentence's first occurrence, plus
    trailing whitespace, ending after the previous one), found with str.find instead of one freshly
    compiled regex per sentence.
    """
    out: list[tuple[int, int]] = []
    prior_end = 0
    for sent in seg.processor(text).process() if text else []:
        pos = 0
        while sent and (start := text.find(sent, pos)) >= 0:  # a sentence pysbd lost is skipped, as pysbd does
            stop = start + len(sent)
            while stop < len(text) and text[stop].isspace():
                stop += 1
            if stop > prior_end:
                out.append((start, stop))
                prior_end = stop
                break
            pos = stop
    return out


@lru_cache(maxsize=8)
def pysbd_splitter(language: str) -> Splitter:
    """A sentence splitter returning (start, end) offsets, backed by pysbd (one Segmenter per process and
    language; lines already split are remembered, so repeated lines cost nothing)."""
    re._MAXCACHE = max(re._MAXCACHE, RE_CACHE_SIZE)  # type: ignore[attr-defined]
    seg = pysbd.Segmenter(language=language, clean=False, char_span=True)

    @lru_cache(maxsize=LINE_MEMO_SIZE)
    def split_line(text: str) -> tuple[tuple[int, int], ...]:
        return tuple(pysbd_spans(seg, text))

    def split(text: str) -> list[tuple[int, int]]:
        return list(split_line(text))

    return split


# --- rules: pysbd's main English rules in one pass -------------------------------------------------

# A punctuation run (+ closing quotes) before whitespace; "!"/"?" before a letter ("serious?!Randy"); CJK ones anywhere.
TERMINAL = re.compile(r"[.!?]+([\"'”’)\]]*)(?=\s)|[!?]+(?=[^\s\"'!?])|[。．！？]+")
TERMINAL_START = re.compile(r"[.!?。．！？]")  # where a TERMINAL match can start (one class: a fast scan)
ENCLOSED = re.compile(r"\"[^\"]*\"|“[^”]*”|\([^()]*\)|\[[^\]]*\]")  # pysbd keeps their punctuation inside
MULTI_PERIOD = re.compile(r"(?<![^\W_])[a-z](?:\.[a-z])+$", re.IGNORECASE)  # e.g / U.S (before the last period)
RESTORED = frozenset({"U.S", "U.K", "E.U", "U.S.A", "I", "i.v", "I.V"})  # ...but these end a sentence before a starter


@lru_cache(maxsize=1)
def english_lists() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """pysbd's English word lists: abbreviations, prepositive ones, number ones, sentence starters."""
    from pysbd.lang.english import English

    a = English.Abbreviation
    return (frozenset(a.ABBREVIATIONS), frozenset(a.PREPOSITIVE_ABBREVIATIONS), frozenset(a.NUMBER_ABBREVIATIONS),
            frozenset(English.AbbreviationReplacer.SENTENCE_STARTERS))


def word_before(line: str, at: int) -> str:
    """The non-space characters right before position `at`."""
    head = line[:at]
    return "" if not head or head[-1].isspace() else head.rsplit(None, 1)[-1]


def period_ends_sentence(line: str, dot: int, nxt: int) -> bool:
    """Whether the single period at `dot` ends a sentence; the next sentence would start at `nxt`."""
    abbrs, prepositive, numbered, starters = english_lists()
    word, after = word_before(line, dot), line[nxt]
    if len(word) == 1 and "A" <= word <= "Z":  # an initial: "J. Smith" (before the word lists, as in pysbd)
        return False
    if "." in word and MULTI_PERIOD.search(word):  # "e.g. The", but "in the U.S. The"
        return word in RESTORED and line[nxt:].split(" ", 1)[0] in starters
    low = word.lower()
    if low in prepositive:  # "Dr. Smith", "vs. the"
        return False
    if low in numbered:  # "No. 5", else a sentence end
        return not (after.isdigit() or after == "(")
    if low in abbrs:  # "etc. and", "etc. I'm", but "etc. The"
        rest = line[nxt:nxt + 4]
        return not ("a" <= after <= "z" or after.isdigit() or after == "(" or rest[:2] == "I " or rest[:3] in ("I'm", "I'l")
                    or nxt == len(line) - 1 and after == "I")
    return not (dot == len(word) and word.isdigit() and len(word) <= 2)  # "1. First point"


PAREN_MARKERS = (re.compile(r"\d{1,2}(?=\)\s)"), re.compile(r"(?<![^\s(])[a-zA-Z](?=\))"))  # "1) ", "a) ", "(b) "


def consecutive(found: list[tuple[int, int]]) -> list[int]:
    """Positions of the (position, value) markers whose value follows or precedes its neighbour's."""
    vals = [v for _, v in found]
    listed = {v for k, v in enumerate(vals) if k + 1 < len(vals) and vals[k + 1] == v + 1 or k > 0 and vals[k - 1] == v - 1}
    return [p for p, v in found if v in listed]


def list_cuts(line: str, dots: list[int]) -> tuple[list[int], set[int]]:
    """List items that pysbd puts on lines of their own (markers "1)", "a)", "(b)", "2.", "c." with a
    consecutive neighbour): where the items start, and the periods of their markers (no sentence ends)."""
    cuts: list[int] = []
    numbered, lettered = [], []
    for dot in dots:  # "2. " and "c. " (pysbd also takes "c." before a non-space)
        prev = line[dot - 1:dot]
        if not (prev.isdecimal() or prev.isascii() and prev.isalpha() and (dot == 1 or line[dot - 2].isspace())):
            continue  # the word before is neither a number nor one letter
        word = word_before(line, dot)
        if word.isdecimal() and len(word) <= 2:
            numbered.append((dot - len(word), int(word)))
        elif len(word) == 1 and word.isascii() and word.isalpha():
            lettered.append((dot - 1, ord(word.lower())))
    if ")" in line:
        numbered_p = [(m.start(), int(m.group())) for m in PAREN_MARKERS[0].finditer(line)]
        lettered_p = [(m.start(), ord(m.group().lower())) for m in PAREN_MARKERS[1].finditer(line)]
        cuts += [p for p in consecutive(numbered_p) if p >= 3 and line[p - 1].isspace() and " " not in line[p - 3:p - 1]]
        cuts += [p - (line[p - 1:p] == "(") for p in consecutive(lettered_p)]
    if not (numbered or lettered):
        return cuts, set()
    listed_n, listed_l = consecutive(numbered), consecutive(lettered)
    cuts += [p for p in listed_n if p >= 3 and line[p - 1].isspace() and " " not in line[p - 3:p - 1]]
    cuts += listed_l
    return cuts, {p + len(word_before(line, line.index(".", p))) for p in listed_n + listed_l}


def terminal_matches(line: str) -> list[re.Match[str]]:
    """`list(TERMINAL.finditer(line))`, trying TERMINAL only where a match can start (the regex engine would
    try all three alternatives at every character)."""
    out: list[re.Match[str]] = []
    end = 0
    for c in TERMINAL_START.finditer(line):
        at = c.start()
        if at >= end and (m := TERMINAL.match(line, at)) is not None:
            out.append(m)
            end = m.end()
    return out


def rules_spans(line: str) -> list[tuple[int, int]]:
    """Sentences of one line by pysbd's main rules (see the module docstring); offsets with trailing whitespace."""
    if not line:
        return []
    matches = terminal_matches(line)
    enclosed = [m.span() for m in ENCLOSED.finditer(line)] if any(c in line for c in "\"“([") else []
    cuts, listed = list_cuts(line, [m.start() for m in matches if m.group() == "."])
    n = len(line)
    for m in matches:
        start, end = m.span()
        nxt = end
        while nxt < n and line[nxt].isspace():
            nxt += 1
        if nxt == n:
            break
        quote = m.start(1)
        punct, after = line[start:quote if quote >= 0 else end], line[nxt]
        if m.group(1):  # `stop." Then`: a quotation ends the sentence before a capital
            split = after.isupper()
        elif enclosed and any(s < start < e for s, e in enclosed):
            split = False
        elif punct[0] in "。．！？":  # full-width: a sentence end, also without a space
            split = True
        elif punct == ".":
            split = start not in listed and period_ends_sentence(line, start, nxt)
        elif punct == "..":  # pysbd: "too.. so" -> "too." "." "so"
            cuts.append(start + 1)
            split = True
        elif set(punct) == {"."}:  # an ellipsis ends a sentence only before a capital
            split = after.isupper()
        elif len(punct) >= 3:  # "Wow!!!" / "what???": pysbd keeps runs of three or more
            split = False
        else:  # "!", "?", "?!", "!!": but not "!" before a lower-case word
            split = not (punct == "!" and ("a" <= after <= "z" or line[nxt:nxt + 2] == ", "))
        if split:
            cuts.append(nxt)
    if not cuts:
        return [(0, n)]
    bounds = [0, *sorted(set(cuts) - {0}), n]
    return list(zip(bounds, bounds[1:], strict=False))


def rules_splitter(language: str) -> Splitter:
    """The `rules` splitter (English word lists; other languages raise ValueError)."""
    if language != "en":
        raise ValueError(f"segment.splitter 'rules' knows English only, not {language!r}; use 'pysbd'")
    return rules_spans


SPLITTERS: dict[str, Callable[[str], Splitter]] = {"pysbd": pysbd_splitter, "rules": rules_splitter}


def get_splitter(name: str, language: str) -> Splitter:
    """The splitter registered under `name` for `language`."""
    if name not in SPLITTERS:
        raise ValueError(f"unknown segment.splitter {name!r}; one of {sorted(SPLITTERS)}")
    return SPLITTERS[name](language)
