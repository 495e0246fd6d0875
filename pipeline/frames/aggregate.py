"""From unit frames to utterance frames, and frames x topics (pure)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def aggregate_utterances(
    unit_frames: pd.DataFrame, frame_ids: Sequence[str], residual: str, ignore_residual: bool,
    how: str = "vote", scores: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per utterance: share of each frame among its units, and its frame.

    how='vote': the most frequent frame (ties: larger summed unit score, then codebook order).
    how='mean': the frame with the highest mean unit probability (`scores`, rows aligned with
    `unit_frames`, columns `frame_ids`). With `ignore_residual` the residual frame wins only when
    every unit is residual. Score = the share of units with the chosen frame.
    Needs columns utterance_id, frame, score; returns utterance_id, frame, score, n_units, shares.
    """
    if how not in ("vote", "mean"):
        raise ValueError(f"utterance aggregation {how!r}: choose vote or mean")
    if how == "mean" and (scores is None or len(scores) != len(unit_frames)):
        raise ValueError("utterance aggregation 'mean' needs one score row per unit")
    rows = []
    order = {f: i for i, f in enumerate(frame_ids)}
    positions = pd.Series(np.arange(len(unit_frames)), index=unit_frames.index)
    for utt, grp in unit_frames.groupby("utterance_id", sort=True):
        counts = grp["frame"].value_counts()
        sums = grp.groupby("frame")["score"].sum()
        shares = [float(counts.get(f, 0)) / len(grp) for f in frame_ids]
        candidates = [f for f in frame_ids if counts.get(f, 0) > 0]
        if ignore_residual and any(f != residual for f in candidates):
            candidates = [f for f in candidates if f != residual]
            pool = [f for f in frame_ids if f != residual]
        else:
            pool = list(frame_ids) if not ignore_residual else candidates
        if how == "mean":
            mean = np.asarray(scores)[positions[grp.index].to_numpy()].mean(axis=0)
            best = max(pool, key=lambda f: (round(float(mean[order[f]]), 12), -order[f]))
        else:
            best = min(candidates, key=lambda f: (-counts[f], -round(float(sums[f]), 12), order[f]))
        rows.append({"utterance_id": utt, "frame": best, "score": shares[order[best]],
                     "n_units": len(grp), "shares": shares})
    return pd.DataFrame(rows, columns=["utterance_id", "frame", "score", "n_units", "shares"])


def frame_topic_crosstab(unit_frames: pd.DataFrame, unit_topics: pd.DataFrame) -> pd.DataFrame:
    """Frames x topics: units per cell, share within the frame and within the topic (long format)."""
    merged = unit_frames[["unit_id", "frame"]].merge(unit_topics[["unit_id", "topic"]], on="unit_id", how="inner")
    if merged.empty:
        return pd.DataFrame(columns=["frame", "topic", "n_units", "share_of_frame", "share_of_topic"])
    cells = merged.groupby(["frame", "topic"], sort=True).size().rename("n_units").reset_index()
    cells["share_of_frame"] = cells["n_units"] / cells.groupby("frame")["n_units"].transform("sum")
    cells["share_of_topic"] = cells["n_units"] / cells.groupby("topic")["n_units"].transform("sum")
    cells["topic"] = cells["topic"].astype("int64")
    cells["n_units"] = cells["n_units"].astype("int64")
    return cells.reset_index(drop=True)
