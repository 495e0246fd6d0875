"""Person names: normalised keys, spelling-variant matching and first-name resolution (pure)."""

from __future__ import annotations

import re
from functools import lru_cache

MEMO = 65536  # names repeat within and across threads; bounded memos keep memory flat

_PUNCT = re.compile(r"[^\w\s'’-]")


@lru_cache(maxsize=MEMO)
def name_key(name: str) -> str:
    """Case- and space-insensitive key of a name ('michael  nurse' == 'Michael Nurse')."""
    return " ".join(_PUNCT.sub(" ", name).casefold().split())


def display(name: str) -> str:
    """A display form: whitespace collapsed; an all-lowercase name is title-cased."""
    name = " ".join(name.split())
    return name.title() if name == name.lower() else name


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@lru_cache(maxsize=MEMO)
def first_name_match(short: str, full: str, max_distance: int, min_chars: int) -> int | None:
    """0 when `short` is the first name of `full`, 1 when a spelling variant of it, None otherwise."""
    a, b = name_key(short), name_key(full).split(" ")[0]
    if a == b:
        return 0
    if min(len(a), len(b)) >= min_chars and abs(len(a) - len(b)) <= max_distance and edit_distance(a, b) <= max_distance:
        return 1
    return None


@lru_cache(maxsize=1024)
def fuller_names(pool: tuple[str, ...]) -> tuple[str, ...]:
    """The distinct display forms of the names of more than one word, sorted."""
    return tuple(sorted({display(n) for n in pool if len(name_key(n).split(" ")) > 1}))


def canonical_name(name: str, own: list[str], known: list[str], max_distance: int,
            min_chars: int) -> tuple[str, str]:
    """(resolved name, how) for a name seen about an utterance.

    A one-word name is resolved to a fuller name carried by the same utterance (its CommentLuv,
    signature or source field), else to the only fuller name in the thread with that first name
    (exact spelling before spelling variants). Several candidates (two Mikes) -> left as it is.
    """
    if len(name_key(name).split(" ")) > 1:
        return display(name), ""
    for pool, where in ((own, "its own name evidence"), (known, "the only such name in the thread")):
        fuller = fuller_names(tuple(pool))
        for level in (0, 1):
            hits = [f for f in fuller if first_name_match(name, f, max_distance, min_chars) == level]
            if len(hits) == 1:
                return hits[0], f" (= {hits[0]}, {where}{', spelling variant' if level else ''})"
            if len(hits) > 1 and where != "its own name evidence":
                return display(name), f" (ambiguous: {', '.join(hits)})"
    return display(name), ""
