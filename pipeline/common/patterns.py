"""Regular-expression helpers shared by the stages (pure)."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from typing import Any

try:  # the regex engine's parser: literal runs and widths of a pattern (prefilters); without it, none
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    sre_parser = sre_constants = None

# Back-references and conditionals name groups by number (joined patterns would renumber them).
GROUP_REFS = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")


@lru_cache(maxsize=256)
def any_of(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex whose `search` matches exactly where one of `patterns` does (their alternation), or None
    when they cannot be joined (none given, group references, clashing group names or global flags)."""
    if not patterns or any(GROUP_REFS.search(p) for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error:
        return None


def search_any(line: str, joined: re.Pattern[str] | None, each: tuple[re.Pattern[str], ...]) -> bool:
    """Whether one of the patterns `each` is found in `line` (with their alternation `joined`, when there is one)."""
    return joined.search(line) is not None if joined is not None else any(p.search(line) for p in each)


def _ascii_runs(items: list, ignore_case: bool, leading: bool = False) -> list[str]:
    """The runs of 2+ ASCII literals of a parsed pattern, in order (lower-case when it ignores case);
    with `leading`, only a run the pattern starts with."""
    runs, run = [], ""
    for op, av in [*items, (None, None)]:
        if op is sre_constants.LITERAL and av < 128:
            run += chr(av)
            continue
        runs += [run.lower() if ignore_case else run] if len(run) >= 2 else []
        run = ""
        if leading:
            break
    return runs


def _parsed(pattern: str, flags: int) -> Any:
    """The pattern parsed by the regex engine's own parser, or None (no parser, or a bad pattern)."""
    if sre_parser is None:
        return None
    try:
        return sre_parser.parse(pattern, flags)
    except (re.error, TypeError, ValueError):
        return None


def required_literal(pattern: str, flags: int, leading: bool = False) -> str | None:
    """The longest ASCII run (2+ characters) that every match of `pattern` contains (with `leading`:
    the run every match starts with), or None."""
    parsed = _parsed(pattern, flags)
    runs = _ascii_runs(list(parsed), bool(flags & re.IGNORECASE), leading) if parsed is not None else []
    return max(runs, key=len) if runs else None


def widths(pattern: str, flags: int) -> tuple[int, int]:
    """The fewest and most characters a match of `pattern` can have ((0, 0) when unknown)."""
    parsed = _parsed(pattern, flags)
    if parsed is None:
        return 0, 0
    lo, hi = parsed.getwidth()
    return int(lo), int(hi)


@lru_cache(maxsize=1024)
def required_runs(pattern: str, flags: int) -> tuple[tuple[str, ...], ...]:
    """Alternatives (one per top-level branch, else one) of the ASCII runs of 2+ characters that a match
    contains, longest first (lower-case when the form ignores case): a match contains every run of one
    alternative. () when unknown (a branch without such a run)."""
    parsed = _parsed(pattern, flags)
    if parsed is None or parsed.state.flags & re.IGNORECASE and not flags & re.IGNORECASE:  # inline (?i): any case
        return ()
    items = list(parsed)
    branches = items[0][1][1] if len(items) == 1 and items[0][0] is sre_constants.BRANCH else [items]
    out = []
    for branch in branches:
        runs = _ascii_runs(list(branch), bool(flags & re.IGNORECASE))
        if not runs:
            return ()
        out.append(tuple(sorted(runs, key=len, reverse=True)))
    return tuple(out)


def candidate_lines(text: str, line_starts: list[int], patterns: tuple[str, ...], first: int) -> list[int] | None:
    """Indices (from `first`, in order) of the lines of `text` (starting at `line_starts`) that contain, for one of
    `patterns`, the longest run of one of its alternatives: the only lines in which one of them can match. None
    when a pattern has no such run (every line is a candidate)."""
    hints = set()
    for p in patterns:
        alts = required_runs(p, 0)
        if not alts:
            return None
        hints.update(alt[0] for alt in alts)
    lo = line_starts[first] if first < len(line_starts) else len(text)
    found = set()
    for hint in hints:
        at = text.find(hint, lo)
        while at >= 0:
            found.add(bisect_right(line_starts, at) - 1)
            at = text.find(hint, at + 1)
    return sorted(found)
