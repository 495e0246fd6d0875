"""Align a normalised text back to the raw span it came from (pure).

The normalised text (pipeline.common.textnorm.normalize_text, possibly with whole lines moved out by the
clean stage) differs from the raw span only in whitespace (NBSP and runs of spaces -> one space,
indentation stripped, blank lines collapsed), zero-width characters (dropped), NFC composition,
and deleted lines. So the non-space characters of the normalised text are a subsequence of the
raw span's: we match them exactly when nothing was deleted, as one block when the deleted lines
only lead or trail (the first occurrence, what difflib's longest block would be), and by difflib's
longest matching blocks otherwise. Texts without combining marks, zero-width or non-NFC characters
(nearly all) are mapped with numpy, without a Python loop over characters.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\ufeff")


@dataclass(frozen=True)
class Alignment:
    """For each character of the normalised text, the raw [start, end) it came from (-1: none)."""

    starts: np.ndarray
    ends: np.ndarray

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Raw [start, end) covering normalised [start, end); None if its ends are unaligned."""
        if end <= start:
            return None
        first, last = int(self.starts[start]), int(self.ends[end - 1])
        if first < 0 or last < 0:
            return None
        return first, last


@lru_cache(maxsize=65536)
def _plain(c: str) -> bool:
    """A character that is its own NFC cluster: no combining mark, not zero-width, NFC-stable."""
    return not unicodedata.combining(c) and c not in ZERO_WIDTH and unicodedata.normalize("NFC", c) == c


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


ASCII_NONSPACE = np.array([not chr(i).isspace() for i in range(128)])


def nonspace_positions(text: str) -> np.ndarray:
    """Indices of the characters of `text` that are not whitespace (str.isspace)."""
    if text.isascii():
        return np.flatnonzero(ASCII_NONSPACE[np.frombuffer(text.encode("ascii"), dtype=np.uint8)])
    spaces = [ord(c) for c in set(text) if c.isspace()]
    if not spaces:
        return np.arange(len(text))
    codes = _codes(text)
    keep = codes != spaces[0]
    for code in spaces[1:]:
        keep &= codes != code
    return np.flatnonzero(keep)


def raw_chars(raw: str, offset: int = 0) -> tuple[str, np.ndarray, np.ndarray]:
    """Non-space characters of `raw` (NFC, combining marks folded in) with their raw starts and ends."""
    if raw.isascii() or all(_plain(c) for c in set(raw) if not c.isascii()):  # each character is itself
        starts = nonspace_positions(raw) + offset
        return "".join(raw.split()), starts, starts + 1
    chars: list[str] = []
    starts_l: list[int] = []
    ends_l: list[int] = []
    i = 0
    while i < len(raw):
        j = i + 1
        while j < len(raw) and unicodedata.combining(raw[j]):
            j += 1
        if not (raw[i].isspace() or raw[i] in ZERO_WIDTH):
            cluster = unicodedata.normalize("NFC", raw[i:j])
            if len(cluster) == 1:
                chars.append(cluster)
                starts_l.append(offset + i)
                ends_l.append(offset + j)
            else:
                chars += raw[i:j]
                starts_l += range(offset + i, offset + j)
                ends_l += range(offset + i + 1, offset + j + 1)
        i = j
    return "".join(chars), np.array(starts_l, dtype=np.int64), np.array(ends_l, dtype=np.int64)


def align(norm: str, raw: str, offset: int = 0) -> Alignment:
    """Map each non-space character of `norm` to its place in `raw` (raw offsets + `offset`)."""
    b, raw_starts, raw_ends = raw_chars(raw, offset)
    mine = nonspace_positions(norm)
    a = "".join(norm.split())
    starts = np.full(len(norm), -1, dtype=np.int64)
    ends = np.full(len(norm), -1, dtype=np.int64)
    at = b.find(a)
    if at >= 0:  # a == b, or lines moved out only before/after: one block, as difflib would find
        starts[mine] = raw_starts[at:at + len(a)]
        ends[mine] = raw_ends[at:at + len(a)]
        return Alignment(starts, ends)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for m in matcher.get_matching_blocks():
        starts[mine[m.a:m.a + m.size]] = raw_starts[m.b:m.b + m.size]
        ends[mine[m.a:m.a + m.size]] = raw_ends[m.b:m.b + m.size]
    return Alignment(starts, ends)


def span_ends(norm: str, raw: str, offset: int, starts: list[int], ends: list[int]) -> tuple[list[int], list[int]]:
    """`align(norm, raw, offset).starts[starts]` and `.ends[ends - 1]` (-1: unaligned) for the spans [starts[k],
    ends[k]) of `norm`, without mapping every character when no span starts or ends with whitespace (stripped
    units): offsets shifted when `raw` is `norm` (ASCII), else located among the non-space characters of the
    one block that `align` would find; any other case is `align` itself."""
    if not any(norm[s].isspace() or norm[e - 1].isspace() for s, e in zip(starts, ends, strict=True)):
        if raw == norm and raw.isascii():  # every character is itself: the same offsets, shifted
            return [offset + s for s in starts], [offset + e for e in ends]
        b, raw_starts, raw_ends = raw_chars(raw, offset)
        a = "".join(norm.split())
        at = b.find(a)
        if at >= 0:  # one block (see `align`): the k-th non-space character of norm is raw's at + k
            mine = nonspace_positions(norm)
            first = raw_starts[at + np.searchsorted(mine, starts)]
            last = raw_ends[at + np.searchsorted(mine, np.asarray(ends) - 1)]
            return first.tolist(), last.tolist()
    mapping = align(norm, raw, offset)
    return mapping.starts[starts].tolist(), mapping.ends[np.asarray(ends) - 1].tolist()
