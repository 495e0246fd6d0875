"""Evidence that the blog host wrote a reply: host phrases, the host's habit of answering comments, and replies to
comments that address the host by name in a thread whose post the export lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from pipeline.common.storage import rows

Vocative = Callable[[str], "tuple[str, str, bool] | None"]


def host_phrase(text: str, rules: Any) -> str | None:
    """The first host phrase found in a text."""
    for p in rules.host_phrases:
        m = p.search(text)
        if m:
            return m.group(0)
    return None


def host_habit(doc: pd.DataFrame | list[Any], rules: Any) -> tuple[int, int]:
    """(replies to top-level comments that carry a host phrase, all such replies) in one thread."""
    texts = [r.clean_text for r in (rows(doc) if isinstance(doc, pd.DataFrame) else doc) if r.depth == 2 and r.included]
    return sum(host_phrase(t, rules) is not None for t in texts), len(texts)


def host_addressed(records: list[Any], host: str | None, vocative: Vocative, same_person: Callable[[str], bool]
                   ) -> dict[str, str]:
    """Top-level comments that open by addressing the host, when the thread's post is missing: id -> opening.

    Their direct replies are the host's answer by the blog's custom ("Great points, Geoff." -> a reply under it);
    `same_person(name)` says whether a vocative's name is the host (first name or full name)."""
    if not host or any(r.kind == "post" for r in records):
        return {}
    out = {}
    for r in records:
        if r.kind == "comment" and r.depth == 1 and r.included:
            voc = vocative(r.clean_text)
            if voc and not voc[2] and same_person(voc[0]):
                out[r.utterance_id] = voc[1]
    return out
