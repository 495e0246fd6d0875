"""Partition-wise drivers of the clean, attribute and segment stages (issue 9).

Each driver reads its input table row group by row group, regroups the rows into partitions of
whole documents (`engine.partitions_by_key`, cut in Arrow; whole corpora for corpus-wide duplicate detection),
runs the stage's pure core on each partition through the engine, and appends the results to the
output tables in chunks. Per-partition metrics are merged here. Memory holds a few partitions, not
the corpus; the tables are identical to those of the in-memory cores.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.common.concepts import Form
from pipeline.common.config import AttributeConfig, CleanConfig, SegmentConfig
from pipeline.common.engine import Engine, partitions_by_key
from pipeline.common.names import name_key
from pipeline.common.schema import (
    CLEAN_UTTERANCES,
    DOCUMENTS,
    PARTICIPANTS,
    PROBLEMS,
    REMOVALS,
    UNITS,
    UTTERANCES,
    make_table,
)
from pipeline.common.storage import (
    TableWriter,
    as_frame,
    count_rows,
    iter_arrow_row_groups,
    read_table,
    to_arrow,
)
from pipeline.common.textnorm import DecodeError, decode
from pipeline.prepare.attribution import EVIDENCE_LABELS, attribute_rows
from pipeline.prepare.cleaning import CleanResult, clean_utterances
from pipeline.prepare.segmentation import segment


def arrow_partitions(path: Path, table: Any, key: str, size: int) -> Iterator[Any]:
    """Partitions of about `size` rows of a Parquet table, never splitting a `key` group, as compact Arrow
    tables (DataFrames for a file without the table's schema): what a pool worker gets, and turns into the
    partition's DataFrame with `io.as_frame`."""
    return partitions_by_key(iter_arrow_row_groups(path, table), key, size)


def _n_parts(path: Path, size: int) -> int:
    return max(1, -(-count_rows(path) // max(1, size)))


def read_source_bytes(paths: set[str], root: Path) -> dict[str, bytes | None]:
    """The bytes of each project-relative source file (None when missing or unreadable)."""
    out: dict[str, bytes | None] = {}
    for p in sorted(paths):
        try:
            out[p] = (root / p).read_bytes()
        except OSError:
            out[p] = None
    return out


def decode_sources(raw: dict[str, bytes | None]) -> dict[str, str | None]:
    """Decode source bytes (None when missing or not text)."""
    out: dict[str, str | None] = {}
    for p, data in raw.items():
        try:
            out[p] = None if data is None else decode(data)[0]
        except DecodeError:
            out[p] = None
    return out


# --- clean ---


def merge_clean_metrics(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge per-partition clean metrics (partitions hold whole documents) into per-corpus metrics."""
    sums: dict[str, dict[str, Any]] = {}
    for m in parts:
        for corpus, c in m.items():
            s = sums.setdefault(corpus, {"utterances_in": 0, "utterances_kept": 0, "utterances_removed": Counter(),
                                         "ids_ok": True, "spans_moved": Counter(), "nonspace_chars_in": 0,
                                         "nonspace_chars_kept": 0, "nonspace_chars_moved": Counter()})
            for k in ("utterances_in", "utterances_kept", "nonspace_chars_in", "nonspace_chars_kept"):
                s[k] += c[k]
            for k in ("utterances_removed", "spans_moved", "nonspace_chars_moved"):
                s[k].update(c[k])
            s["ids_ok"] &= c["utterance_invariant_holds"] or c["utterances_in"] != c["utterances_kept"] + sum(
                c["utterances_removed"].values())
    out: dict[str, Any] = {}
    for corpus in sorted(sums):
        s = sums[corpus]
        removed = {k: int(v) for k, v in s["utterances_removed"].items()}
        moved = {k: int(v) for k, v in s["nonspace_chars_moved"].items()}
        out[corpus] = {
            "utterances_in": s["utterances_in"], "utterances_kept": s["utterances_kept"], "utterances_removed": removed,
            "utterance_invariant_holds": s["utterances_in"] == s["utterances_kept"] + sum(removed.values()) and s["ids_ok"],
            "spans_moved": dict(s["spans_moved"]), "nonspace_chars_in": s["nonspace_chars_in"],
            "nonspace_chars_kept": s["nonspace_chars_kept"], "nonspace_chars_moved": moved,
            "char_invariant_holds": s["nonspace_chars_in"] == s["nonspace_chars_kept"] + sum(moved.values()),
        }
    return out


def _clean_part(part: Any, cfg: CleanConfig) -> tuple[Any, Any, dict[str, Any]]:
    res: CleanResult = clean_utterances(as_frame(part), cfg, progress=False, check=False)
    return to_arrow(res.utterances, CLEAN_UTTERANCES), to_arrow(res.removals, REMOVALS), res.metrics


def clean_to(utterances: Path, out: Path, removals: Path, cfg: CleanConfig, engine: Engine, size: int) -> dict[str, Any]:
    """Clean partition by partition (by document; by corpus when duplicates are corpus-wide); returns metrics."""
    key = "doc_id" if cfg.duplicate_scope == "document" or not cfg.drop_exact_duplicates else "corpus"
    metrics = []
    with TableWriter(CLEAN_UTTERANCES, out, size) as w_out, TableWriter(REMOVALS, removals, size) as w_rem:
        for kept, removed, m in engine.imap(partial(_clean_part, cfg=cfg), arrow_partitions(utterances, UTTERANCES, key, size),
                                            total=_n_parts(utterances, size), desc="clean"):
            w_out.write(kept)
            w_rem.write(removed)
            metrics.append(m)
    return merge_clean_metrics(metrics)


# --- attribute ---


@dataclass
class ParticipantTally:
    """Running per-(corpus, name key) counts that give the participants table without holding every row."""

    names: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    docs: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    aliases: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def add(self, attributed: pd.DataFrame, aliases: dict[tuple[str, str], set[str]]) -> None:
        """Count one partition's attributed utterances and the spellings seen in it."""
        known = attributed.dropna(subset=["author"])
        for corpus, author, doc in zip(known["corpus"], known["author"], known["doc_id"], strict=True):
            k = (corpus, name_key(author))
            self.names.setdefault(k, set()).add(author)
            self.counts[k] += 1
            self.docs.setdefault(k, set()).add(doc)
        for k, v in aliases.items():
            self.aliases.setdefault(k, set()).update(v)

    def merge(self, other: ParticipantTally) -> None:
        """Add another partition's tally (the same as adding its rows here)."""
        for mine, theirs in ((self.names, other.names), (self.docs, other.docs), (self.aliases, other.aliases)):
            for k, v in theirs.items():
                mine.setdefault(k, set()).update(v)
        self.counts.update(other.counts)

    def table(self) -> pd.DataFrame:
        """The participants table (same rows as pipeline.prepare.attribute_cli.participants)."""
        rows = []
        for corpus, key in sorted(self.names):
            names = sorted(self.names[(corpus, key)])
            rows.append({"corpus": corpus, "participant_id": f"{corpus}/{key.replace(' ', '-')}", "name": names[0],
                         "aliases": sorted(self.aliases.get((corpus, key), set()) | set(names)),
                         "n_utterances": self.counts[(corpus, key)], "documents": sorted(self.docs[(corpus, key)])})
        return make_table(rows, PARTICIPANTS)


def _distinct(part: Any, column: str) -> list[Any]:
    """The distinct values of a column of a partition (Arrow table or DataFrame), in first-seen order."""
    return pc.unique(part.column(column)).to_pylist() if isinstance(part, pa.Table) else list(part[column].unique())


def _attribute_part(job: tuple[Any, dict[str, str]], cfg: AttributeConfig,
                    clean: CleanConfig) -> tuple[Any, ParticipantTally, AttributionCounts]:
    part, authors = as_frame(job[0]), job[1]
    attributed, aliases = attribute_rows(part, authors, cfg, clean, progress=False, check=False)
    tally, counts = ParticipantTally(), AttributionCounts()
    tally.add(attributed, aliases)
    counts.add(attributed)
    return to_arrow(attributed, CLEAN_UTTERANCES), tally, counts


@dataclass
class AttributionCounts:
    """Running per-corpus counts that give attribute_metrics without holding every row."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    confidences: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, attributed: pd.DataFrame) -> None:
        """Count one partition's included utterances."""
        for corpus, grp in attributed[attributed["included"]].groupby("corpus"):
            known = grp[grp["author"].notna()]
            c = self.counts.setdefault(str(corpus), Counter())
            c["utterances"] += len(grp)
            c["attributed"] += len(known)
            c["unknown_weak_evidence"] += int((grp["author"].isna() & grp["author_evidence"].notna()).sum())
            c["unknown_no_evidence"] += int(grp["author_evidence"].isna().sum())
            for k, v in EVIDENCE_LABELS.items():
                c[f"using:{k}"] += int(known["author_evidence"].str.contains(v, regex=False).sum())
            self.confidences.setdefault(str(corpus), []).append(known["author_confidence"].to_numpy(dtype=float))

    def merge(self, other: AttributionCounts) -> None:
        """Add a later partition's counts (the same as adding its rows here)."""
        for corpus, c in other.counts.items():
            self.counts.setdefault(corpus, Counter()).update(c)
        for corpus, conf in other.confidences.items():
            self.confidences.setdefault(corpus, []).extend(conf)

    def metrics(self, people: pd.DataFrame) -> dict[str, Any]:
        """The same dict as pipeline.prepare.attribute_cli.attribute_metrics over the whole table."""
        import numpy as np

        out: dict[str, Any] = {}
        for corpus in sorted(self.counts):
            c, conf = self.counts[corpus], pd.Series(np.concatenate(self.confidences[corpus]))
            out[corpus] = {k: c[k] for k in ("utterances", "attributed", "unknown_weak_evidence", "unknown_no_evidence")}
            out[corpus]["participants"] = int((people["corpus"] == corpus).sum())
            out[corpus]["attributed_using"] = {k: c[f"using:{k}"] for k in EVIDENCE_LABELS}
            out[corpus]["mean_confidence"] = round(float(conf.mean()), 3) if c["attributed"] else None
        return out


def attribute_to(utterances: Path, documents: Path, out: Path, cfg: AttributeConfig, clean: CleanConfig,
                 engine: Engine, size: int) -> tuple[dict[str, Any], pd.DataFrame]:
    """Attribute partition by partition (by document); returns (metrics, participants)."""
    docs = read_table(documents, DOCUMENTS)
    post_authors = {d: a for d, a in zip(docs["doc_id"], docs["post_author"], strict=True) if isinstance(a, str)}
    tally, counts = ParticipantTally(), AttributionCounts()
    fn = partial(_attribute_part, cfg=cfg, clean=clean)
    jobs = ((part, {d: post_authors[d] for d in _distinct(part, "doc_id") if d in post_authors})  # a partition's own authors
            for part in arrow_partitions(utterances, CLEAN_UTTERANCES, "doc_id", size))
    with TableWriter(CLEAN_UTTERANCES, out, size) as w:
        for attributed, part_tally, part_counts in engine.imap(
                fn, jobs, total=_n_parts(utterances, size), desc="attribute"):
            w.write(attributed)
            tally.merge(part_tally)
            counts.merge(part_counts)
    people = tally.table()
    return counts.metrics(people), people


# --- segment ---


def _segment_part(job: tuple[Any, dict[str, bytes | None]], forms: tuple[Form, ...],
                  cfg: SegmentConfig) -> tuple[Any, pd.DataFrame, dict[str, Any], int]:
    part, raw = job
    units, problems, metrics = segment(as_frame(part), decode_sources(raw), forms, cfg, progress=False, check=False)
    return to_arrow(units, UNITS), problems, metrics, int(units["text"].str.len().sum()) if len(units) else 0


def segment_to(utterances: Path, root: Path, out: Path, problems_out: Path, forms: tuple[Form, ...],
               cfg: SegmentConfig, engine: Engine, size: int) -> dict[str, Any]:
    """Segment partition by partition (by document), each with its decoded sources; returns metrics."""
    def jobs() -> Iterator[tuple[Any, dict[str, bytes | None]]]:
        for part in arrow_partitions(utterances, CLEAN_UTTERANCES, "doc_id", size):
            yield part, read_source_bytes(set(_distinct(part, "source_file")), root)  # decoded in the worker

    totals: Counter[str] = Counter()
    concepts: Counter[str] = Counter()
    chars = 0
    missing_seen: set[str] = set()
    with contextlib.ExitStack() as stack:
        w_units = stack.enter_context(TableWriter(UNITS, out, size))
        w_probs = stack.enter_context(TableWriter(PROBLEMS, problems_out, size))
        for units, probs, m, n_chars in engine.imap(partial(_segment_part, forms=forms, cfg=cfg), jobs(),
                                                    total=_n_parts(utterances, size), desc="segment"):
            missing = (probs["reason"] == "missing-source") & probs["source"].isin(missing_seen)
            missing_seen.update(probs.loc[probs["reason"] == "missing-source", "source"])
            w_units.write(units)
            w_probs.write(probs[~missing])
            for k in ("units", "utterances_segmented", "units_with_raw_span", "units_with_concept"):
                totals[k] += m[k]
            concepts.update(m["concept_units"])
            chars += n_chars
    return {**{k: int(totals[k]) for k in ("units", "utterances_segmented", "units_with_raw_span", "units_with_concept")},
            "concept_units": dict(sorted(concepts.items())),
            "mean_unit_chars": round(chars / totals["units"], 1) if totals["units"] else 0.0}
