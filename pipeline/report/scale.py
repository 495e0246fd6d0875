"""The report at any corpus size (pure): drill-down cells sampled under a per-page quote budget, the top rows of a
table with the rest summed in one row, thread pages of bounded size, and the one map from an utterance or unit id
to its place in them.

A drill-down cell holds its ids as `Ids` while a page is built; `finish` then picks the page's sample size k (the
largest k <= max_quotes whose samples together stay within page_quotes distinct quotes), replaces every `Ids` by
the ids it shows and embeds the quotes of exactly those ids. A cell shows its k units of lowest rank (CRC-32 of the
id): the same units wherever they belong to a cell, so a row total or a merge of topics shows a subset of what its
parts show and adds no quote to the page.
"""

from __future__ import annotations

import heapq
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.report.render import anchor

OTHERS = "\u2026others"  # key of the row that sums the rows left out (no document, participant or topic has it)
INDEX = "threads.html"
THREAD_DIR = "threads"


@dataclass(frozen=True)
class Limits:
    """How much a page shows at most (params.yaml `report:`); None = everything, as on a small corpus."""

    max_quotes: int | None = None  # quotes one drill-down lists
    page_quotes: int | None = None  # distinct quotes one page embeds
    max_rows: int | None = None  # rows of a per-document / per-participant / per-topic table or chart
    thread_page_utterances: int | None = None  # utterances per thread page


def rank(item_id: str) -> tuple[int, str]:
    """Sampling order of an id: a stable hash (the same in every run and page), ties by the id."""
    return zlib.crc32(item_id.encode("utf-8")), item_id


class Ids:
    """The ids behind one drill-down cell; reads as all of them (space-separated) until `finish` samples it."""

    __slots__ = ("_ranked", "ids", "trail")

    def __init__(self, ids: Iterable[str], trail: bool = False) -> None:
        self.ids = list(ids)
        self.trail = trail  # inside a list (plotly customdata row): a sample is followed by the total
        self._ranked: list[str] = []

    def __len__(self) -> int:
        return len(self.ids)

    def __str__(self) -> str:
        return " ".join(self.ids)

    def __repr__(self) -> str:
        return f"Ids({self.ids!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Ids):
            return self.ids == other.ids
        return str(self) == other if isinstance(other, str) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def chosen(self, k: int | None) -> list[str]:
        """The k ids of lowest rank, lowest first (all ids, in the cell's order, when k is None or not smaller)."""
        if k is None or len(self.ids) <= k:
            return self.ids
        if len(self._ranked) < k:
            self._ranked = heapq.nsmallest(max(k, 2 * len(self._ranked), 64), self.ids, key=rank)
        return self._ranked[:k]

    def sample(self, k: int | None) -> list[str]:
        """The k ids of lowest rank, in the cell's own order (all of them when k is None or not smaller)."""
        if k is None or len(self.ids) <= k:
            return self.ids
        keep = set(self.chosen(k))
        return [i for i in self.ids if i in keep]


class Shown(str):
    """The space-separated ids a finished cell shows, knowing its total (templates write data-n when sampled)."""

    __slots__ = ("total",)
    total: int

    def __new__(cls, ids: Sequence[str], total: int) -> Shown:
        out = super().__new__(cls, " ".join(ids))
        out.total = total
        return out

    @property
    def sampled(self) -> bool:
        """Whether the cell shows fewer ids than it has."""
        return len(self.split()) < self.total


def cells_in(obj: Any) -> list[Ids]:
    """Every `Ids` inside nested dicts, lists and tuples."""
    found: list[Ids] = []
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, Ids):
            found.append(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list | tuple):
            stack.extend(x)
    return found


def shown_union(cells: Sequence[Ids], k: int | None) -> set[str]:
    """Distinct ids the cells show at sample size k."""
    out: set[str] = set()
    for c in cells:
        out.update(c.chosen(k))
    return out


def top_k(cells: Sequence[Ids], max_quotes: int | None) -> int | None:
    """The sample size without a page budget: max_quotes when some cell is larger, else None (all shown)."""
    biggest = max((len(c) for c in cells), default=0)
    return max_quotes if max_quotes is not None and biggest > max_quotes else None


def largest_fit(cells: Sequence[Ids], top: int | None, budget: int,
                size: Callable[[int], int] | None = None) -> int:
    """The largest k <= top whose samples together show at most `budget` ids (at least 1); `size(k)` may give the
    union's size (memoised by the caller)."""
    size = size or (lambda k: len(shown_union(cells, k)))
    hi = top if top is not None else max((len(c) for c in cells), default=1)
    lo = 1  # union(1) may exceed the budget: k = 1 is the floor
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if size(mid) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def sample_sizes(groups: Mapping[str, Sequence[Ids]], max_quotes: int | None, page_quotes: int | None
                 ) -> dict[str, int | None]:
    """Sample size per group of cells (a chart or a table), None = every id shown. Without a page budget, or when
    all groups at max_quotes fit in it, every group gets max_quotes. Else each group may show `share` distinct ids:
    all it needs when that is at most `share`, else the largest k that fits; `share` is the largest that keeps the
    page's distinct ids (groups overlap: a table repeats its chart) within page_quotes. A chart of many small cells
    then lists fewer quotes per cell than one of a few large cells."""
    top = {g: top_k(cells, max_quotes) for g, cells in groups.items() if cells}

    def total(ks: Mapping[str, int | None]) -> int:
        seen: set[str] = set()
        for g, k in ks.items():
            seen |= shown_union(groups[g], k)
        return len(seen)

    if page_quotes is None or total(top) <= page_quotes:
        return top
    need = {g: len(shown_union(groups[g], k)) for g, k in top.items()}
    memo: dict[tuple[str, int], int] = {}

    def size(g: str) -> Callable[[int], int]:
        def of(k: int) -> int:
            if (g, k) not in memo:
                memo[(g, k)] = len(shown_union(groups[g], k))
            return memo[(g, k)]
        return of

    def at(share: int) -> dict[str, int | None]:
        return {g: top[g] if need[g] <= share else largest_fit(groups[g], top[g], share, size(g)) for g in top}

    lo, hi = 1, page_quotes  # at(1) may exceed the budget: one quote per cell is the floor
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if total(at(mid)) <= page_quotes:
            lo = mid
        else:
            hi = mid - 1
    return at(lo)


def groups_of(context: Mapping[str, Any]) -> dict[str, list[Ids]]:
    """The context's cells by group: each figure of `figures` (by id), every other top-level key."""
    out: dict[str, list[Ids]] = {}
    for key, value in context.items():
        if key == "figures" and isinstance(value, list):
            for i, fig in enumerate(value):
                out[f"figures.{fig.get('id', i) if isinstance(fig, dict) else i}"] = cells_in(fig)
        else:
            out[key] = cells_in(value)
    return out


def resolve(obj: Any, k: int | None) -> Any:
    """A copy with every `Ids` replaced by the space-separated ids it shows. A sampled cell records its total:
    a dict holding it under "units" gains "n" (unless it has one); a `trail` cell in a list is followed by it."""
    if isinstance(obj, Ids):
        return Shown(obj.sample(k), len(obj))
    if isinstance(obj, dict):
        out = {key: resolve(v, k) for key, v in obj.items()}
        units = obj.get("units")
        if isinstance(units, Ids) and "n" not in obj and len(units.sample(k)) < len(units):
            out["n"] = len(units)
        return out
    if isinstance(obj, list | tuple):
        items: list[Any] = []
        for v in obj:
            items.append(resolve(v, k))
            if isinstance(v, Ids) and v.trail and len(v.sample(k)) < len(v):
                items.append(len(v))
        return tuple(items) if isinstance(obj, tuple) else items
    return obj


def finish(context: dict[str, Any], limits: Limits, lookup: Callable[[list[str]], dict[str, Any]]) -> dict[str, Any]:
    """The page context with its cells sampled (per chart or table, `sample_sizes`), `units_data` holding the quotes
    of every id shown, and `drill` saying how (sample sizes, cells, distinct quotes, whether any cell is sampled)."""
    groups = groups_of(context)
    ks = sample_sizes(groups, limits.max_quotes, limits.page_quotes)
    out: dict[str, Any] = {}
    for key, value in context.items():
        if key == "figures" and isinstance(value, list):
            out[key] = [resolve(fig, ks.get(f"figures.{fig.get('id', i) if isinstance(fig, dict) else i}"))
                        for i, fig in enumerate(value)]
        else:
            out[key] = resolve(value, ks.get(key))
    shown: set[str] = set()
    sampled: list[int] = []
    for g, cells in groups.items():
        for c in cells:
            ids = c.chosen(ks.get(g))
            shown.update(ids)
            if len(ids) < len(c):
                sampled.append(len(ids))
    out["units_data"] = lookup(sorted(shown))
    out["drill"] = {"k": {g: k for g, k in ks.items() if k is not None}, "cells": sum(map(len, groups.values())),
                    "quotes": len(shown), "sampled": bool(sampled), "k_min": min(sampled, default=None),
                    "k_max": max(sampled, default=None)}
    return out


def cap_rows(keys: Sequence[str], cells: Mapping[tuple[str, str], list[str]], m: int | None
             ) -> tuple[list[str], dict[tuple[str, str], list[str]], int]:
    """At most m rows: all keys in their order when they fit; else the m with the most ids (ties: their order),
    largest first, then OTHERS holding every other row's ids per column. Also returns how many rows OTHERS sums."""
    if m is None or len(keys) <= m:
        return list(keys), dict(cells), 0
    size: Counter[str] = Counter()
    for (key, _), ids in cells.items():
        size[key] += len(ids)
    order = {key: i for i, key in enumerate(keys)}
    kept = sorted(keys, key=lambda key: (-size[key], order[key]))[:m]
    keep = set(kept)
    out: dict[tuple[str, str], list[str]] = {}
    for (key, col), ids in cells.items():
        if key in keep:
            out[(key, col)] = list(ids)
        else:
            out.setdefault((OTHERS, col), []).extend(ids)
    return [*kept, OTHERS], {key: sorted(v) if key[0] == OTHERS else v for key, v in out.items()}, len(keys) - m


def top(rows: Sequence[Any], m: int | None) -> tuple[list[Any], int]:
    """The first m rows and how many are left out (all rows and 0 without a limit)."""
    if m is None or len(rows) <= m:
        return list(rows), 0
    return list(rows[:m]), len(rows) - m


# --- thread pages -------------------------------------------------------------------------------------------


def paginate(doc_ids: Sequence[str], sizes: Mapping[str, int], budget: int | None) -> list[list[str]]:
    """Documents in order cut into pages of at most `budget` utterances (a larger document gets a page of its own);
    one page when there is no budget or everything fits."""
    if budget is None or sum(sizes.get(d, 0) for d in doc_ids) <= budget:
        return [list(doc_ids)] if doc_ids else []
    pages: list[list[str]] = []
    current: list[str] = []
    filled = 0
    for d in doc_ids:
        n = sizes.get(d, 0)
        if current and filled + n > budget:
            pages.append(current)
            current, filled = [], 0
        current.append(d)
        filled += n
    if current:
        pages.append(current)
    return pages


def page_files(pages: Sequence[Sequence[str]]) -> list[str]:
    """File of each thread page, relative to the report folder: threads.html for a single page, else
    threads/0001.html, ... (zero-padded to at least four digits)."""
    if len(pages) <= 1:
        return [INDEX] * len(pages)
    width = max(4, len(str(len(pages))))
    return [f"{THREAD_DIR}/{i + 1:0{width}d}.html" for i in range(len(pages))]


@dataclass(frozen=True)
class ThreadLinks:
    """Where each document's thread is: {doc_id: page file relative to the report folder}."""

    pages: Mapping[str, str] = field(default_factory=dict)

    @property
    def paginated(self) -> bool:
        """Whether threads are spread over pages under threads/ (threads.html is then their index)."""
        return any(p != INDEX for p in self.pages.values())

    def doc_of(self, item_id: str) -> str | None:
        """The document of a document, utterance or unit id: its longest '/'-prefix that is a known doc_id."""
        parts = item_id.split("/")
        for i in range(len(parts), 0, -1):
            prefix = "/".join(parts[:i])
            if prefix in self.pages:
                return prefix
        return None

    def page_of(self, item_id: str) -> str:
        """The page holding the id's thread (threads.html when unknown)."""
        doc = self.doc_of(item_id)
        return self.pages[doc] if doc is not None else INDEX

    def href(self, item_id: str, root: str = "") -> str:
        """Link to the id's place in its thread, from a page `root` levels below the report folder ('../')."""
        return f"{root}{self.page_of(item_id)}#{anchor(item_id)}"

    def subset(self, ids: Iterable[str]) -> dict[str, str]:
        """{doc_id: page} of the documents of `ids`, for report.js; empty when threads are on one page."""
        if not self.paginated:
            return {}
        docs = {self.doc_of(i) for i in ids}
        return {d: self.pages[d] for d in sorted(x for x in docs if x is not None)}


def thread_links(doc_ids: Sequence[str], sizes: Mapping[str, int], budget: int | None
                 ) -> tuple[ThreadLinks, list[tuple[str, list[str]]]]:
    """The links and the pages [(file, doc_ids)] of documents in order with `sizes` utterances each."""
    pages = paginate(doc_ids, sizes, budget)
    files = page_files(pages)
    return ThreadLinks({d: f for f, docs in zip(files, pages, strict=True) for d in docs}), list(
        zip(files, pages, strict=True))
