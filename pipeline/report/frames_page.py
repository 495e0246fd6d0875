"""Frames page: frame distribution overall, per document, per participant and over time, with quotes (pure)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.report.drill import (
    colour,
    heatmap,
    ids_attr,
    ordered,
    speaker,
    stacked_bars,
    unit_lookup,
)
from pipeline.report.scale import OTHERS, Limits, cap_rows, finish


def frame_order(unit_frames: pd.DataFrame, utterance_frames: pd.DataFrame | None = None) -> list[str]:
    """Frames in codebook order (from utterance_frames.share_frames when given), then any others sorted."""
    preferred: list[str] = []
    if utterance_frames is not None and len(utterance_frames):
        preferred = list(utterance_frames["share_frames"].iloc[0])
    return ordered(unit_frames["frame"].tolist(), preferred)


def framed_units(unit_frames: pd.DataFrame, units: pd.DataFrame, documents: pd.DataFrame | None) -> pd.DataFrame:
    """One row per framed unit with its document, speaker, text, score and period (document date, else '')."""
    df = unit_frames[["unit_id", "frame", "score"]].merge(
        units[["unit_id", "doc_id", "utterance_id", "author", "text"]], on="unit_id", how="inner")
    df["speaker"] = [speaker(a) for a in df["author"]]
    dates = {} if documents is None else dict(zip(documents["doc_id"], documents["date"], strict=True))
    df["period"] = [period(dates.get(d)) for d in df["doc_id"]]
    return df.sort_values("unit_id", kind="stable").reset_index(drop=True)


def period(date: Any) -> str:
    """Year-month of an ISO date ('2011-03'), the year alone when that is all that is known, '' when none."""
    if date is None or (isinstance(date, float) and date != date) or not str(date).strip():
        return ""
    return str(date).strip()[:7]


def cells_by(df: pd.DataFrame, key: str) -> dict[tuple[str, str], list[str]]:
    """{(key value, frame): sorted unit ids}."""
    return {(str(k), str(f)): sorted(g["unit_id"]) for (k, f), g in df.groupby([key, "frame"], sort=True)}


def matrix_rows(keys: list[str], frames: list[str], cells: dict[tuple[str, str], list[str]],
                labels: dict[str, str]) -> list[dict[str, Any]]:
    """Table rows: per key, its count and unit ids per frame and in total."""
    rows = []
    for k in keys:
        per = [{"frame": f, "n": len(cells.get((k, f), [])), "units": ids_attr(cells.get((k, f), []))} for f in frames]
        all_ids = [u for f in frames for u in cells.get((k, f), [])]
        rows.append({"key": k, "label": labels.get(k, k), "cells": per, "n": len(all_ids), "units": ids_attr(all_ids),
                     "others": k == OTHERS})
    return rows


def examples(df: pd.DataFrame, frame: str, n: int) -> list[dict[str, Any]]:
    """The n units with the highest score for the frame (ties by unit id)."""
    top = df[df["frame"] == frame].sort_values(["score", "unit_id"], ascending=[False, True]).head(n)
    return [{"unit_id": r.unit_id, "text": r.text, "speaker": r.speaker, "utterance_id": r.utterance_id,
             "doc_id": r.doc_id, "score": float(r.score)} for r in top.itertuples(index=False)]


def overall(df: pd.DataFrame, frames: list[str], utterance_frames: pd.DataFrame | None,
            n_examples: int) -> list[dict[str, Any]]:
    """Per frame: units, share, utterances whose frame it is (with their units of the frame), example quotes."""
    total = len(df)
    out = []
    for i, f in enumerate(frames):
        ids = sorted(df.loc[df["frame"] == f, "unit_id"])
        row: dict[str, Any] = {"frame": f, "index": i, "colour": colour(i), "n": len(ids),
                               "share": len(ids) / total if total else 0.0, "units": ids_attr(ids),
                               "examples": examples(df, f, n_examples), "n_utterances": None, "utterance_units": ""}
        if utterance_frames is not None:
            utt_ids = set(utterance_frames.loc[utterance_frames["frame"] == f, "utterance_id"])
            row["n_utterances"] = len(utt_ids)
            row["utterance_units"] = ids_attr(sorted(df.loc[df["utterance_id"].isin(utt_ids), "unit_id"]))
        out.append(row)
    return out


def frames_context(unit_frames: pd.DataFrame, units: pd.DataFrame, documents: pd.DataFrame | None = None,
                   utterance_frames: pd.DataFrame | None = None, n_examples: int = 3,
                   limits: Limits | None = None) -> dict[str, Any]:
    """Everything the frames page shows: tables, plotly figures (click -> units) and the units they quote; with
    `limits`, the documents and participants with the most units, the rest in one row, and sampled drill-downs."""
    limits = limits or Limits()
    frames = frame_order(unit_frames, utterance_frames)
    df = framed_units(unit_frames, units, documents)
    titles = {} if documents is None else {d: (t if isinstance(t, str) and t else d)
                                           for d, t in zip(documents["doc_id"], documents["title"], strict=True)}
    doc_order = ordered(df["doc_id"].tolist(), [] if documents is None else documents["doc_id"].tolist())
    doc_order, by_doc, n_docs_out = cap_rows(doc_order, cells_by(df, "doc_id"), limits.max_rows)
    titles[OTHERS] = f"{n_docs_out} other documents"
    counts = df.groupby("speaker").size()
    people = sorted(counts.index, key=lambda s: (-int(counts[s]), s == "author unknown", s))
    people, by_person, n_people_out = cap_rows(people, cells_by(df, "speaker"), limits.max_rows)
    person_labels = {OTHERS: f"{n_people_out} other participants"}
    periods = sorted(p for p in set(df["period"]) if p)
    by_time = cells_by(df[df["period"] != ""], "period")
    overall_rows = overall(df, frames, utterance_frames, n_examples)
    figures = [
        {"id": "fig-frames-overall", "figure": stacked_bars(["all units"], frames, {("all units", f): sorted(
            df.loc[df["frame"] == f, "unit_id"]) for f in frames}, "Frames over all units", horizontal=True)},
        {"id": "fig-frames-documents", "figure": stacked_bars(doc_order, frames, by_doc, "Frames per document",
                                                               horizontal=True, labels=titles, share=True)},
        {"id": "fig-frames-participants", "figure": heatmap(people, frames, by_person,
                                                            "Units per participant and frame", labels=person_labels)},
    ]
    if periods:
        figures.append({"id": "fig-frames-time", "figure": stacked_bars(periods, frames, by_time,
                                                                        "Frames over time (document date)", share=True)})
    return finish({
        "frames": overall_rows,
        "frame_names": frames,
        "n_units": len(df),
        "by_document": matrix_rows(doc_order, frames, by_doc, titles),
        "by_participant": matrix_rows(people, frames, by_person, person_labels),
        "by_time": matrix_rows(periods, frames, by_time, {}),
        "undated": int((df["period"] == "").sum()),
        "figures": figures,
        "relevance": relevance_rows(unit_frames, units, titles, limits.max_rows),
        "rows_left_out": {"documents": n_docs_out, "participants": n_people_out},
    }, limits, lambda ids: unit_lookup(units, ids))


def relevance_rows(unit_frames: pd.DataFrame, units: pd.DataFrame, titles: dict[str, str],
                   max_rows: int | None = None) -> list[dict[str, Any]] | None:
    """Per corpus, then per document (the `max_rows` with most off-topic units when limited): units, off-topic
    units (openable) and their share; None when not checked."""
    if "on_topic" not in unit_frames or (unit_frames.get("relevance") == "not-checked").all():
        return None
    df = unit_frames[["unit_id", "on_topic"]].merge(units[["unit_id", "corpus", "doc_id"]], on="unit_id")
    rows = []
    for level, key in (("corpus", "corpus"), ("document", "doc_id")):
        level_rows = []
        for name, g in df.groupby(key, sort=True):
            off = sorted(g.loc[~g["on_topic"].astype(bool), "unit_id"])
            level_rows.append({"level": level, "name": str(name), "label": titles.get(str(name), str(name)),
                               "n": len(g), "off": len(off), "off_units": ids_attr(off),
                               "share": len(off) / len(g) if len(g) else 0.0})
        if level == "document" and max_rows is not None and len(level_rows) > max_rows:
            level_rows = sorted(sorted(level_rows, key=lambda r: -r["off"])[:max_rows], key=lambda r: r["name"])
        rows.extend(level_rows)
    return rows
