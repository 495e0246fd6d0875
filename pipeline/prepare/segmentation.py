"""Segment stage: included utterances -> argument units (sentences), with offsets and concepts.

Sentences come from the splitter named by `segment.splitter` (pipeline/prepare/splitters.py: pysbd, or the
much faster `rules`), run on each line of the clean text (the exports never wrap a sentence across
lines; bullets and paragraphs are lines). A sentence shorter than
`segment.min_unit_chars` is merged into the previous unit of its utterance (the first one into the
next), so "Mitch," and "Thanks for the read!" do not stand alone. Each unit keeps its offsets in the
clean text and, through pipeline.prepare.align, in the decoded raw source file.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pandas as pd
from tqdm import tqdm

from pipeline.common.concepts import Form, tag_spans
from pipeline.common.config import SegmentConfig
from pipeline.common.schema import PROBLEMS, UNITS, conform, empty_frame, make_table
from pipeline.common.storage import rows
from pipeline.prepare.align import span_ends
from pipeline.prepare.splitters import Splitter, get_splitter, pysbd_spans, pysbd_splitter

__all__ = ["Splitter", "pysbd_spans", "pysbd_splitter", "segment", "sentence_spans", "merge_short", "add_units"]


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str, split: Splitter) -> list[tuple[int, int]]:
    """Non-empty, stripped sentence spans of every line of `text`, in order."""
    spans, offset = [], 0
    for line in text.split("\n"):
        if line and not line.isspace():
            for s, e in split(line):
                piece = line[s:e]  # strip_span, by str methods (the same whitespace as str.isspace)
                s, e = offset + s + len(piece) - len(piece.lstrip()), offset + s + len(piece.rstrip())
                if e > s:
                    spans.append((s, e))
        offset += len(line) + 1
    return spans


def merge_short(spans: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    """Merge spans shorter than `min_chars` into the previous span (the leading ones into the next)."""
    out: list[tuple[int, int]] = []
    pending: int | None = None
    for s, e in spans:
        if pending is not None:
            s, pending = pending, None
        if e - s >= min_chars:
            out.append((s, e))
        elif out:
            out[-1] = (out[-1][0], e)
        else:
            pending = s
    if pending is not None:
        out.append((pending, spans[-1][1]))
    return out


def known(v: Any) -> bool:
    """`pd.notna` of a scalar offset (None, NaN and pd.NA are not known), without its dispatch."""
    return v is not None and v is not pd.NA and v == v


def add_units(cols: dict[str, list[Any]], row: Any, raw: str | None, split: Splitter, forms: tuple[Form, ...],
              min_chars: int) -> list[dict[str, Any]]:
    """Append the units of one included utterance to the UNITS columns `cols`; its problems.

    `raw` is the utterance's decoded source file or None.
    """
    text = row.clean_text
    spans = merge_short(sentence_spans(text, split), min_chars)
    n = len(spans)
    if not n:
        return []
    starts, ends = [s for s, _ in spans], [e for _, e in spans]
    raw_start: list[int | None] = [None] * n
    raw_end: list[int | None] = [None] * n
    problems = []
    if raw is not None and known(row.char_start) and known(row.char_end):
        first, last = span_ends(text, raw[int(row.char_start):int(row.char_end)], int(row.char_start), starts, ends)
        ok = [a >= 0 and b >= 0 for a, b in zip(first, last, strict=True)]
        raw_start = [a if k else None for a, k in zip(first, ok, strict=True)]
        raw_end = [b if k else None for b, k in zip(last, ok, strict=True)]
        problems = [{"corpus": row.corpus, "source": row.source_file, "location": f"{row.utterance_id} unit {k}",
                     "stage": "segment", "reason": "unaligned-unit",
                     "detail": f"{row.source_file}: unit {k} of {row.utterance_id} not found in the raw span"}
                    for k, good in enumerate(ok) if not good]
    uid = row.utterance_id
    for name, value in (("corpus", row.corpus), ("doc_id", row.doc_id), ("utterance_id", uid), ("author", row.author)):
        cols[name] += [value] * n
    cols["unit_id"] += [f"{uid}/s{k}" for k in range(n)]
    cols["index"] += range(n)
    cols["text"] += [text[s:e] for s, e in spans]
    cols["clean_start"] += starts
    cols["clean_end"] += ends
    cols["raw_start"] += raw_start
    cols["raw_end"] += raw_end
    cols["concepts"] += tag_spans(text, spans, forms)
    return problems


def segment(utterances: pd.DataFrame, sources: dict[str, str | None], forms: tuple[Form, ...],
            cfg: SegmentConfig, split: Splitter | None = None, progress: bool = True, check: bool = True
            ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Units, problems and metrics of the included utterances (`sources`: source_file -> text; check=False: units unchecked)."""
    split = split or get_splitter(cfg.splitter, cfg.language)
    cols: dict[str, list[Any]] = {name: [] for name in UNITS.names}
    problems: list[dict[str, Any]] = []
    for path in sorted({p for p in utterances.source_file if sources.get(p) is None}):
        corpus = utterances.corpus[utterances.source_file == path].iloc[0]
        problems.append({"corpus": corpus, "source": path, "location": None, "stage": "segment",
                         "reason": "missing-source", "detail": f"{path}: raw source unreadable; raw offsets left null"})
    included = utterances[utterances.included]
    for row in tqdm(rows(included), desc="segment", unit="utt",
                    disable=not progress or bool(os.environ.get("CI"))):
        problems += add_units(cols, row, sources.get(row.source_file), split, forms, cfg.min_unit_chars)
    table = pd.DataFrame(cols, columns=UNITS.names) if cols["unit_id"] else empty_frame(UNITS)
    table = conform(table, UNITS) if check else table
    counts = Counter(c for cs in table.concepts for c in cs)
    metrics = {"units": len(table), "utterances_segmented": int(included.shape[0]),
               "units_with_raw_span": int(table.raw_start.notna().sum()),
               "units_with_concept": int(sum(len(c) > 0 for c in table.concepts)),
               "concept_units": dict(sorted(counts.items())),
               "mean_unit_chars": round(float(table.text.str.len().mean()), 1) if len(table) else 0.0}
    return table, make_table(problems, PROBLEMS), metrics
