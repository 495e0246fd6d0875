"""Clean stage: normalise text, move boilerplate/CommentLuv/signature lines out, exclude utterances.

Nothing leaves the analysis silently: every line moved out of a text and every excluded utterance
has a REMOVALS row, and metrics/clean.json checks per corpus that
utterances in = utterances kept + utterances removed (by reason).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from tqdm import tqdm

from pipeline.common.config import CleanConfig
from pipeline.common.patterns import any_of, search_any
from pipeline.common.schema import CLEAN_UTTERANCES, REMOVALS, conform, make_table
from pipeline.common.storage import rows as table_rows
from pipeline.common.textnorm import normalize_text


@dataclass(frozen=True)
class Patterns:
    """The compiled line patterns of `CleanConfig`."""

    boilerplate: tuple[re.Pattern[str], ...]
    commentluv: re.Pattern[str] | None
    signatures: tuple[re.Pattern[str], ...]
    signature_max_lines: int
    boilerplate_any: re.Pattern[str] | None = None  # one alternation that matches where any of `boilerplate` does

    @classmethod
    def from_config(cls, cfg: CleanConfig) -> Patterns:
        """Compile the patterns once."""
        return cls(
            boilerplate=tuple(re.compile(p) for p in cfg.boilerplate_patterns),
            commentluv=re.compile(cfg.commentluv_pattern) if cfg.commentluv_pattern else None,
            signatures=tuple(re.compile(p) for p in cfg.signature_patterns),
            signature_max_lines=cfg.signature_max_lines,
            boilerplate_any=any_of(tuple(cfg.boilerplate_patterns)),
        )


@dataclass(frozen=True)
class CleanedText:
    """One text after cleaning, with what was moved out of it (reason, line) in text order."""

    clean_text: str
    moved: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def lines(self, reason: str) -> list[str]:
        """The moved lines with this reason."""
        return [line for r, line in self.moved if r == reason]


def nonspace(text: str) -> int:
    """Number of non-whitespace characters (what the char invariant counts; str.split uses str.isspace)."""
    return len("".join(text.split()))


def clean_text(text: str, pats: Patterns) -> CleanedText:
    """Normalise `text`; move out CommentLuv, boilerplate and trailing signature lines."""
    normal = normalize_text(text)
    lines = normal.split("\n")
    reasons: list[str | None] = [None] * len(lines)
    for i, line in enumerate(lines):
        if pats.commentluv is not None and pats.commentluv.search(line):
            reasons[i] = "commentluv"
        elif search_any(line, pats.boilerplate_any, pats.boilerplate):
            reasons[i] = "boilerplate"
    kept = [i for i, line in enumerate(lines) if reasons[i] is None and line]
    for i in reversed(kept[-pats.signature_max_lines:] if pats.signature_max_lines else []):
        body_left = sum(1 for j in kept if reasons[j] is None) > 1
        if body_left and any(p.search(lines[i]) for p in pats.signatures):
            reasons[i] = "signature"
        else:
            break
    moved = tuple((r, lines[i]) for i, r in enumerate(reasons) if r is not None)
    if not moved and normal is text:  # already normal and nothing moved: normalising again would return it as is
        return CleanedText(normal, moved)
    clean = normalize_text("\n".join(line for i, line in enumerate(lines) if reasons[i] is None))
    return CleanedText(clean, moved)


def signature_names(lines: list[str], patterns: tuple[re.Pattern[str], ...]) -> list[str]:
    """The `name` group of the first pattern matching each line (attribution evidence)."""
    names = []
    for line in lines:
        for p in patterns:
            m = p.search(line)
            if m and m.groupdict().get("name"):
                names.append(m.group("name").strip())
                break
    return names


@dataclass(frozen=True)
class CleanResult:
    """Output of the clean stage."""

    utterances: pd.DataFrame
    removals: pd.DataFrame
    metrics: dict[str, Any]


def _removal(row: Any, scope: str, reason: str, text: str) -> dict[str, Any]:
    return {"corpus": row.corpus, "doc_id": row.doc_id, "utterance_id": row.utterance_id,
            "scope": scope, "reason": reason, "text": text}


def clean_utterances(utterances: pd.DataFrame, cfg: CleanConfig, progress: bool = True, check: bool = True) -> CleanResult:
    """Clean every utterance (thread order kept); exclusions and moved lines become REMOVALS rows (check=False: unchecked)."""
    pats = Patterns.from_config(cfg)
    records = table_rows(utterances)
    new: dict[str, list[Any]] = {k: [] for k in ("clean_text", "commentluv", "signature", "included", "exclusion_reason")}
    removals: list[dict[str, Any]] = []
    seen: set[tuple[str, ...]] = set()
    for row in tqdm(records, desc="clean", unit="utt", disable=not progress or bool(os.environ.get("CI"))):
        cleaned = clean_text(row.text, pats)
        if cleaned.moved:
            removals += [_removal(row, "span", reason, line) for reason, line in cleaned.moved]
        reason = None
        if row.kind in cfg.exclude_kinds:
            reason = row.kind
        elif not cleaned.clean_text:
            reason = "empty"
        elif cfg.drop_exact_duplicates:
            key = (row.corpus, row.doc_id if cfg.duplicate_scope == "document" else "", cleaned.clean_text)
            reason = "duplicate" if key in seen else None
            seen.add(key)
        if reason is not None:
            removals.append(_removal(row, "utterance", reason, row.text))
        new["clean_text"].append(cleaned.clean_text)
        new["commentluv"].append("\n".join(cleaned.lines("commentluv")) or None if cleaned.moved else None)
        new["signature"].append("\n".join(cleaned.lines("signature")) or None if cleaned.moved else None)
        new["included"].append(reason is None)
        new["exclusion_reason"].append(reason)
    # column-wise: the same values, so the same frame, as `frame` of one dict per row {**row._asdict(), **new}
    cols = {**{c: utterances[c].tolist() for c in utterances.columns}, **new, "author_confidence": [None] * len(records)}
    out = pd.DataFrame({k: v for k, v in cols.items() if k in CLEAN_UTTERANCES.names}, columns=CLEAN_UTTERANCES.names)
    out = (conform(out, CLEAN_UTTERANCES) if check else out) if records else make_table([], CLEAN_UTTERANCES)
    rem = make_table(removals, REMOVALS) if check or not removals else pd.DataFrame.from_records(removals, columns=REMOVALS.names)
    return CleanResult(out, rem, clean_metrics(utterances, out, rem))


def clean_metrics(before: pd.DataFrame, after: pd.DataFrame, removals: pd.DataFrame) -> dict[str, Any]:
    """Per-corpus accounting: utterances and non-space characters in, kept and removed by reason."""
    metrics: dict[str, Any] = {}
    for corpus in sorted(set(before["corpus"]) | set(after["corpus"])):
        b, a = before[before.corpus == corpus], after[after.corpus == corpus]
        r = removals[removals.corpus == corpus]
        whole, spans = r[r.scope == "utterance"], r[r.scope == "span"]
        by_reason = dict(Counter(whole.reason))
        kept = int(a.included.sum())
        chars_in = int(b.text.map(nonspace).sum())
        chars_kept = int(a.clean_text.map(nonspace).sum())
        chars_moved = {k: int(v) for k, v in spans.groupby("reason").text.apply(lambda s: s.map(nonspace).sum()).items()}
        metrics[corpus] = {
            "utterances_in": len(b),
            "utterances_kept": kept,
            "utterances_removed": by_reason,
            "utterance_invariant_holds": len(b) == kept + sum(by_reason.values())
            and set(whole.utterance_id) == set(a.utterance_id[~a.included]),
            "spans_moved": dict(Counter(spans.reason)),
            "nonspace_chars_in": chars_in,
            "nonspace_chars_kept": chars_kept,
            "nonspace_chars_moved": chars_moved,
            "char_invariant_holds": chars_in == chars_kept + sum(chars_moved.values()),
        }
    return metrics
