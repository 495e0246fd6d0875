"""Training labels for the block classifier: which candidate element is each gold comment's block.

A gold item (evaluation/html*_expected.yaml) is located by its text key (hashed normalised prefix, searched in
document order from the previous item), else its DOM id, else its author name. Its *core* is the lowest
element around that spot that also holds its author's name. The signatures shared by the cores of a
page are its comment signatures; an item's positive is the nearest element around it with such a
signature that holds no other item except its own replies (else its core). Wrappers of one comment
(ancestors holding only it and its replies) are left out of training; every other candidate is negative.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from typing import Any

from pipeline.evaluation.textkey import TextKey, Windows, item_keys
from pipeline.ingest.adapters.html_blocks import PageIndex, norm_text


def _ids(pi: PageIndex) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, el in enumerate(pi.ix.elements):
        for k in ("id", "name"):
            v = el.get(k)
            if v and v not in out:
                out[v] = i
    return out


def _find_id(ids: dict[str, int], want: str) -> int | None:
    """The element with this DOM id, else the one element whose id has the same longest digit run."""
    if want in ids:
        return ids[want]
    runs = re.findall(r"\d+", want)
    if not runs:
        return None
    key = max(runs, key=len)
    if key in ids:
        return ids[key]
    hits = [i for k, i in ids.items() if re.findall(r"\d+", k) and max(re.findall(r"\d+", k), key=len) == key]
    return hits[0] if len(set(hits)) == 1 else None


def _find(pi: PageIndex, windows: Windows, key: TextKey, lo: int) -> int:
    """The first offset >= lo where `key` starts a text node, else where it occurs at all; -1 when absent."""
    after = [p for p in windows.offsets(key) if p >= lo]
    return next((p for p in after if p in pi.segments), after[0] if after else -1)


def element_at(pi: PageIndex, pos: int) -> int:
    """The deepest element whose text holds stream offset `pos`."""
    i = bisect.bisect_right(pi.start, pos) - 1
    el = pi.ix.elements[max(0, i)]
    while pi.stop[pi.ix.order[el]] <= pos and el.getparent() is not None:
        el = el.getparent()
    return pi.ix.order[el]


def locate(pi: PageIndex, items: list[dict[str, Any]]) -> list[int | None]:
    """The element where each gold item's text (else id, else author) is found; None when not found."""
    ids = _ids(pi)
    windows = Windows(pi.stream)
    out: list[int | None] = []
    last = 0
    for it in items:
        at: int | None = None
        by_id = _find_id(ids, str(it["id"])) if it.get("id") else None
        for k in item_keys(it):
            tries = [pi.start[by_id], last, max(0, pi.start[by_id] - 2000)] if by_id is not None else [last]
            p = next((q for q in (_find(pi, windows, k, lo) for lo in [*tries, 0]) if q >= 0), -1)
            if p >= 0:
                at, last = element_at(pi, p), p + k[0]
                break
        if at is None and by_id is not None:
            el = pi.ix.elements[by_id]
            if pi.text_len(by_id) == 0:  # an empty anchor before the comment: the next element
                nxt = el.getnext()
                while nxt is not None and not isinstance(nxt.tag, str):
                    nxt = nxt.getnext()
                by_id = pi.ix.order[nxt] if nxt is not None else by_id
            at, last = by_id, pi.start[by_id]
        if at is None and it.get("author"):
            k = norm_text(str(it["author"]))
            p = pi.stream.find(k, last) if k else -1
            if p >= 0:
                at, last = element_at(pi, p), p
        out.append(at)
    return out


def _holds_author(pi: PageIndex, i: int, it: dict[str, Any]) -> bool:
    """True when the element shows the item's author: in its text, or as a profile link's last path part."""
    names = [norm_text(str(it[k])) for k in ("author", "author_alt") if it.get(k)]
    text = pi.stream[pi.start[i]:pi.stop[i]]
    if any(n and n in text for n in names):
        return True
    for j in pi.flags["user_link"]:
        if i <= j <= pi.ix.end[i]:
            parts = [norm_text(x) for x in (pi.ix.elements[j].get("href") or "").split("?")[0].split("/") if x]
            if parts and parts[-1] in names:
                return True
    return False


def _descendants(items: list[dict[str, Any]]) -> list[set[int]]:
    """Each item's replies, transitively (gold parents by id or 'pos:N')."""
    key = {}
    for k, it in enumerate(items):
        if it.get("id"):
            key[str(it["id"])] = k
        key[f"pos:{it.get('pos', k + 1)}"] = k
    parent = [key.get(str(it["parent"])) if it.get("parent") else None for it in items]
    out: list[set[int]] = [set() for _ in items]
    for k in range(len(items)):
        up, seen = parent[k], {k}
        while up is not None and up not in seen:
            out[up].add(k)
            seen.add(up)
            up = parent[up]
    return out


def label_page(pi: PageIndex, cands: list[int], items: list[dict[str, Any]]) -> tuple[list[int | None], list[int | None]]:
    """Labels of the candidates (1, 0, or None = left out) and each item's positive element."""
    anchors = locate(pi, items)
    desc = _descendants(items)
    cores: list[int | None] = []
    for it, a in zip(items, anchors, strict=True):
        core = None
        if a is not None and (it.get("author") or it.get("author_alt")):
            el = pi.ix.elements[a]
            for node in (el, *el.iterancestors()):
                if _holds_author(pi, pi.ix.order[node], it):
                    core = pi.ix.order[node]
                    break
        cores.append(core)
    counts = Counter(pi.sig[c] for c in cores if c is not None)
    common = {s for s, n in counts.items() if n >= max(2, 0.1 * len(items))}
    cand_set = set(cands)
    anchor_pos = [pi.start[a] if a is not None else None for a in anchors]

    def others_inside(i: int, k: int) -> bool:
        return any(p is not None and j != k and j not in desc[k] and pi.start[i] <= p < pi.stop[i]
                   and pi.ix.inside(pi.ix.elements[anchors[j]], pi.ix.elements[i])  # type: ignore[index]
                   for j, p in enumerate(anchor_pos))

    positives: list[int | None] = []
    for k, a in enumerate(anchors):
        pos = None
        if a is not None:
            el = pi.ix.elements[a]
            for node in (el, *el.iterancestors()):  # the highest comment-signature block holding only this item
                i = pi.ix.order[node]
                if others_inside(i, k) or node.tag in ("body", "html"):
                    break
                if pi.sig[i] in common and i in cand_set:
                    pos = i
        if pos is None and a is not None:  # an id on a wrapper: the first comment-signature block inside it
            pos = next((j for j in range(a, pi.ix.end[a] + 1) if pi.sig[j] in common and j in cand_set
                        and not others_inside(j, k)), None)
        if pos is None and cores[k] is not None and not others_inside(cores[k], k):  # type: ignore[arg-type]
            pos = cores[k]
        positives.append(pos)
    labels: list[int | None] = []
    pos_of = {p: k for k, p in enumerate(positives) if p is not None}
    ignore: set[int] = set()
    for k, p in enumerate(positives):
        if p is None:
            continue
        for node in pi.ix.elements[p].iterancestors():
            i = pi.ix.order[node]
            if others_inside(i, k):
                break
            ignore.add(i)
    for i in cands:
        labels.append(1 if i in pos_of else (None if i in ignore else 0))
    return labels, positives
