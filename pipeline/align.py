"""Align a normalised text back to the raw span it came from (pure).

The normalised text (pipeline.textnorm.normalize_text, possibly with whole lines moved out by the
clean stage) differs from the raw span only in whitespace (NBSP and runs of spaces -> one space,
indentation stripped, blank lines collapsed), zero-width characters (dropped), NFC composition,
and deleted lines. So the non-space characters of the normalised text are a subsequence of the
raw span's: we match them (exactly when nothing was deleted, else by longest matching blocks).
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\ufeff")


@dataclass(frozen=True)
class Alignment:
    """For each character of the normalised text, the raw [start, end) it came from (or None)."""

    starts: tuple[int | None, ...]
    ends: tuple[int | None, ...]

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Raw [start, end) covering normalised [start, end); None if its ends are unaligned."""
        inside = [i for i in range(start, end) if self.starts[i] is not None]
        if not inside or self.starts[start] is None or self.starts[end - 1] is None:
            return None
        return self.starts[inside[0]], self.ends[inside[-1]]  # type: ignore[return-value]


def raw_chars(raw: str, offset: int = 0) -> list[tuple[str, int, int]]:
    """Non-space characters of `raw` as (NFC character, start, end), combining marks folded in."""
    if raw.isascii():  # no combining marks, zero-width or composable characters: each character is itself
        return [(c, offset + i, offset + i + 1) for i, c in enumerate(raw) if not c.isspace()]
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(raw):
        j = i + 1
        while j < len(raw) and unicodedata.combining(raw[j]):
            j += 1
        cluster = unicodedata.normalize("NFC", raw[i:j])
        if not (raw[i].isspace() or raw[i] in ZERO_WIDTH):
            if len(cluster) == 1:
                out.append((cluster, offset + i, offset + j))
            else:
                out += [(c, offset + k, offset + k + 1) for k, c in enumerate(raw[i:j], i)]
        i = j
    return out


def align(norm: str, raw: str, offset: int = 0) -> Alignment:
    """Map each non-space character of `norm` to its place in `raw` (raw offsets + `offset`)."""
    theirs = raw_chars(raw, offset)
    mine = [i for i, c in enumerate(norm) if not c.isspace()]
    starts: list[int | None] = [None] * len(norm)
    ends: list[int | None] = [None] * len(norm)
    a = "".join(norm[i] for i in mine)
    b = "".join(c for c, _, _ in theirs)
    if a == b:
        pairs = list(zip(range(len(mine)), range(len(theirs)), strict=True))
    else:
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        pairs = [(m.a + k, m.b + k) for m in matcher.get_matching_blocks() for k in range(m.size)]
    for ia, ib in pairs:
        starts[mine[ia]], ends[mine[ia]] = theirs[ib][1], theirs[ib][2]
    return Alignment(tuple(starts), tuple(ends))
