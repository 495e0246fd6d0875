"""Gold texts kept as keys, not text: a hash of an item's normalised text prefix, found by sliding windows.

The gold files describe real pages that are not copied into the repository, so an item's text is stored as
`text_key` = "<n>:<digest>": n normalised characters (NFKC, case-folded, whitespace removed; at most
KEY_CHARS) and the first 16 hex digits of their SHA-256. A key "occurs" in a string when some window of n
characters there has the same digest. Hand-written fixtures may give `text` instead; it is keyed the same way.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pipeline.ingest.adapters.html_blocks import norm_text

KEY_CHARS = 30
TextKey = tuple[int, str]


def digest(s: str) -> str:
    """The first 16 hex digits of the SHA-256 of `s` (UTF-8)."""
    return hashlib.sha256(s.encode("utf-8")).hexdigest()[:16]


def text_key(text: str | None) -> str | None:
    """The stored key of a text ("<n>:<digest>"); None when it has no normalised characters."""
    k = norm_text(text or "")[:KEY_CHARS]
    return f"{len(k)}:{digest(k)}" if k else None


def parse_key(value: str) -> TextKey:
    """("<n>:<digest>") as (n, digest)."""
    n, _, h = value.partition(":")
    if not n.isdigit() or len(h) != 16:
        raise ValueError(f"text key {value!r}: expected '<length>:<16 hex digits>'")
    return int(n), h


def item_keys(item: dict[str, Any]) -> list[TextKey]:
    """The keys of a gold item's text and own text (text_key / text_own_key, else text / text_own)."""
    out: list[TextKey] = []
    for stored, plain in (("text_key", "text"), ("text_own_key", "text_own")):
        value = item.get(stored) or text_key(item.get(plain))
        if value:
            out.append(parse_key(value))
    return out


class Windows:
    """Where each key occurs in one normalised string: offsets by (n, digest), indexed per n on first use."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self._by_n: dict[int, dict[str, list[int]]] = {}

    def offsets(self, key: TextKey) -> list[int]:
        """Ascending offsets where a window of the key's length has its digest."""
        n, h = key
        if n not in self._by_n:
            index: dict[str, list[int]] = {}
            s = self.stream
            for i in range(len(s) - n + 1):
                index.setdefault(digest(s[i:i + n]), []).append(i)
            self._by_n[n] = index
        return self._by_n[n].get(h, [])

    def holds(self, key: TextKey) -> bool:
        """True when the key occurs anywhere."""
        return bool(self.offsets(key))
