"""Conservation: every source item ends as exactly one utterance, a problems row, or nothing by design.

Items are counted from the raw text, independently of the adapters' parsers, where the format allows:
- wxr: `<item>` blocks by regex; each is a post when its <wp:post_type> is configured (other types,
  e.g. attachments, are not discussion items and are counted apart), plus every `<wp:comment>`.
- disqus_xml: `<thread ...>` blocks with a dsq:id (not the `<thread dsq:id/>` references inside posts)
  and `<post ...>` start tags.
- reddit_json: `"kind": "t3"`, `"t1"` and `"more"` records by regex over the JSON text.
- csv / jsonl: data records (csv.reader rows after the header / non-blank lines); a document whose
  file has no post row gets an empty placeholder post (not a source item, counted apart).
- thread_text: no item count is independent of the layout rules, so lines are conserved instead:
  every non-blank line lies in exactly one utterance span or skipped span.
- html: the adapter's own comment blocks (NOT independent); where WordPress ids `comment-N` are
  present, their number is an independent lower bound on the comments (a truncated-html problem
  accounts for comments cut off with the page).
A file-level problem (empty, binary, too large, unparseable) accounts for all items of its file.
Then every utterance ends either included in clean_utterances or in a REMOVALS row (scope utterance).
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

# Problems that stand for one lost source item each (the rest annotate items that were kept).
ITEM_REASONS = frozenset({"wxr-not-approved", "wxr-comment-type", "wxr-item-skipped", "disqus-deleted",
                          "disqus-spam", "unknown-thread", "duplicate-id", "duplicate-doc-id", "unfetched-more",
                          "unknown-record", "missing-field", "bad-row", "bad-json", "bad-xml-lost"})
# Problems after which the file yields nothing: every item of the file is accounted for by them.
FILE_REASONS = frozenset({"empty-file", "binary-file", "too-large", "unknown-format", "unreadable-file",
                          "outside-project", "unreadable-folder", "missing-folder", "no-text", "not-html", "bad-html", "not-reddit-listing",
                          "missing-column", "bad-columns", "parser-error", "bad-encoding", "not-text"})

_ITEM = re.compile(r"<item[\s>]")
_POST_TYPE = re.compile(r"<wp:post_type>\s*(?:<!\[CDATA\[)?\s*([^<\]\s]*)")
_WP_COMMENT = re.compile(r"<wp:comment[\s>]")
_DSQ_THREAD = re.compile(r"<thread\s[^>]*dsq:id=[^>]*[^/]>")
_DSQ_POST = re.compile(r"<post[\s>]")
_REDDIT = re.compile(r'"kind"\s*:\s*"(t1|t3|more)"')
_WP_COMMENT_ID = re.compile(r'\bid=["\'](?:comment|li-comment|div-comment)-(\d+)["\']')


@dataclass(frozen=True)
class ItemCount:
    """Source items of one file by kind, counted from its raw text."""

    posts: int = 0
    comments: int = 0
    stubs: int = 0  # Reddit `more` stubs (each must be a problems row)
    out_of_scope: int = 0  # WXR items whose post type is not a discussion type
    independent: bool = True
    lower_bound: int | None = None  # html: WordPress comment ids found


def count_items(text: str, fmt: str, wxr_post_types: tuple[str, ...] = ("post", "page")) -> ItemCount:
    """Count the source items of one decoded file (see the module doc for what each format counts)."""
    if fmt == "wxr":
        starts = [m.start() for m in _ITEM.finditer(text)] + [len(text)]
        items = [text[a:b] for a, b in zip(starts, starts[1:], strict=False)]  # to the next <item> (or the end)
        in_scope = [i for i in items if (m := _POST_TYPE.search(i)) and m.group(1) in wxr_post_types]
        return ItemCount(posts=len(in_scope), comments=len(_WP_COMMENT.findall(text)),
                         out_of_scope=len(items) - len(in_scope))
    if fmt == "disqus_xml":
        return ItemCount(posts=len(_DSQ_THREAD.findall(text)), comments=len(_DSQ_POST.findall(text)))
    if fmt == "reddit_json":
        kinds = Counter(_REDDIT.findall(text))
        return ItemCount(posts=kinds["t3"], comments=kinds["t1"], stubs=kinds["more"])
    if fmt == "csv":
        rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r and any(c.strip() for c in r)]
        return ItemCount(comments=max(len(rows) - 1, 0))
    if fmt == "jsonl":
        return ItemCount(comments=sum(1 for line in text.split("\n") if line.strip()))
    if fmt == "html":
        ids = set(_WP_COMMENT_ID.findall(text))
        return ItemCount(independent=False, lower_bound=len(ids) if ids else None)
    return ItemCount(independent=False)


def uncovered_lines(text: str, spans: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """(non-blank lines covered by no span, lines covered by two or more spans), 1-based."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    cover = [0] * len(starts)
    for a, b in spans:
        lo = _line(starts, a)
        hi = _line(starts, max(a, b - 1))
        for k in range(lo, hi + 1):
            cover[k] += 1
    lines = text.split("\n")
    missing = [k + 1 for k, n in enumerate(cover) if n == 0 and lines[k].strip(" \t\u00a0\r\u200b\ufeff")]
    double = [k + 1 for k, n in enumerate(cover) if n > 1]
    return missing, double


def _line(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1


def by_source(table: pd.DataFrame, column: str) -> Callable[[str], pd.DataFrame]:
    """source -> that source's rows of `table` (an empty frame with the same columns when it has none)."""
    groups = {str(k): g for k, g in table.groupby(column, sort=False)}
    empty = table.iloc[:0]
    return lambda source: groups.get(source, empty)


def check_file(source: str, fmt: str, text: str | None, utterances: pd.DataFrame, problems: pd.DataFrame,
               skipped: pd.DataFrame, wxr_post_types: tuple[str, ...] = ("post", "page")) -> dict[str, Any]:
    """Conservation of one source file: items counted vs utterances + problems (pure)."""
    u = utterances[utterances.source_file == source]
    p = problems[problems.source == source]
    reasons = Counter(p.reason)
    file_level = sorted(set(reasons) & FILE_REASONS)
    item_problems = sum(n for r, n in reasons.items() if r in ITEM_REASONS)
    row: dict[str, Any] = {"source": source, "format": fmt, "utterances": len(u), "item_problems": item_problems,
                           "file_problem": file_level[0] if file_level else None}
    if file_level or text is None:
        row.update(items=None, balanced=bool(file_level) and len(u) == 0, independent=True)
        return row
    count = count_items(text, fmt, wxr_post_types)
    placeholders = int(((u.kind == "post") & u.char_start.isna() & (u.text == "")).sum()) if fmt in ("csv", "jsonl") else 0
    row.update(independent=count.independent, placeholders=placeholders, out_of_scope=count.out_of_scope)
    if fmt == "thread_text":
        spans = [(int(a), int(b)) for a, b in zip(u.char_start, u.char_end, strict=True) if pd.notna(a)]
        spans += [(int(a), int(b)) for a, b in zip(skipped[skipped.source_file == source].char_start,
                                                  skipped[skipped.source_file == source].char_end, strict=True)]
        missing, double = uncovered_lines(text, spans)
        row.update(items=None, uncovered_lines=missing[:20], doubly_covered_lines=double[:20],
                   balanced=not missing and not double)
        return row
    if not count.independent:
        comments = int((u.kind != "post").sum())
        row.update(items=len(u) + item_problems, wp_comment_ids=count.lower_bound,
                   balanced=count.lower_bound is None or comments + item_problems >= count.lower_bound
                   or "truncated-html" in reasons or "comments-suspected-missing" in reasons)
        return row
    items = count.posts + count.comments + count.stubs
    row.update(items=items, balanced=items == len(u) - placeholders + item_problems)
    return row


def check_clean(utterances: pd.DataFrame, clean: pd.DataFrame, removals: pd.DataFrame) -> dict[str, Any]:
    """Every utterance is in clean_utterances exactly once: included, or excluded with one REMOVALS row."""
    ids = Counter(clean.utterance_id)
    removed = Counter(removals[removals.scope == "utterance"].utterance_id)
    excluded = set(clean.utterance_id[~clean.included.astype(bool)])
    lost = sorted(set(utterances.utterance_id) - set(ids))
    return {"utterances": len(utterances), "included": int(clean.included.sum()),
            "removed_by_reason": dict(Counter(removals[removals.scope == "utterance"].reason)),
            "lost": lost[:20], "duplicated": sorted(i for i, n in ids.items() if n > 1)[:20],
            "excluded_without_removal": sorted(excluded - set(removed))[:20],
            "balanced": not lost and all(n == 1 for n in ids.values()) and excluded == set(removed)
            and all(n == 1 for n in removed.values()) and len(clean) == len(utterances)}


def summarize(files: list[dict[str, Any]], clean: dict[str, Any] | None = None) -> dict[str, Any]:
    """Corpus-level result: totals and the files that do not balance."""
    return {"files": len(files), "files_balanced": sum(f["balanced"] for f in files),
            "unbalanced": [f for f in files if not f["balanced"]],
            "items_counted": sum(f.get("items") or 0 for f in files),
            "utterances": sum(f["utterances"] for f in files),
            "item_problems": sum(f["item_problems"] for f in files),
            "file_problems": sum(f["file_problem"] is not None for f in files),
            "clean": clean, "balanced": all(f["balanced"] for f in files) and (clean is None or clean["balanced"])}


def imbalance_problems(corpus: str, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """A problems row per source file (and per cleaned corpus) whose items are not all accounted for."""
    rows = []
    for f in summary["unbalanced"]:
        if f.get("uncovered_lines") or f.get("doubly_covered_lines"):
            detail = (f"lines not covered by an utterance or a skipped span: {f.get('uncovered_lines')}; "
                      f"covered twice: {f.get('doubly_covered_lines')}")
        elif f.get("wp_comment_ids") is not None:
            detail = (f"the markup holds {f['wp_comment_ids']} comment ids but {f['utterances']} utterances and "
                      f"{f['item_problems']} item problems came out")
        else:
            detail = f"{f.get('items')} items counted, {f['utterances']} utterances and {f['item_problems']} item problems"
        rows.append({"corpus": corpus, "source": f["source"], "location": None, "stage": "conservation",
                     "reason": "items-unaccounted", "detail": f"{f['source']}: {detail}"})
    clean = summary.get("clean") or {}
    if clean and not clean.get("balanced", True):
        rows.append({"corpus": corpus, "source": "clean_utterances", "location": None, "stage": "conservation",
                     "reason": "items-unaccounted", "detail": f"cleaning lost {clean.get('lost')}, duplicated "
                     f"{clean.get('duplicated')}, excluded without a removal {clean.get('excluded_without_removal')}"})
    return rows
