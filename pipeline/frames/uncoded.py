"""Frames the codebook defines but no coder has used yet: reported, and served by the zero-shot route.

A trained framer can never predict a class it was not trained on, so a frame added to the codebook would
silently never be assigned. Each such frame becomes a problems row; with `frame.uncoded_frames: zeroshot`
a unit whose nearest codebook prototype is an uncoded frame, at cosine `frame.other_threshold` or more,
takes that frame (method `zeroshot-uncoded`), until coded units of it exist (`code sample` offers them first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from pipeline.common.codebook import Frame


def uncoded_frames(frames: Sequence[Frame], gold: pd.DataFrame) -> list[str]:
    """Codebook frames with no coded unit, in codebook order."""
    used = set(gold["frame"])
    return [f.id for f in frames if f.id not in used]


def uncoded_problems(uncoded: list[str], corpus: str, source: str, served: bool) -> list[dict[str, Any]]:
    """One problems row per uncoded frame, saying how it is (or is not) assigned."""
    how = ("served by the zero-shot route from its definition and examples (frame.uncoded_frames: zeroshot) "
           "until coded units exist" if served else "never assigned (frame.uncoded_frames: none)")
    return [{"corpus": corpus, "source": source, "location": f"frames.{f}", "stage": "frame",
             "reason": "frame-without-codes",
             "detail": f"{source}: frame {f!r} has no coded unit, so no trained route can assign it; {how}; "
                       "`python -m pipeline code sample` offers its nearest units first"}
            for f in uncoded]


def serve_uncoded(unit_frames: pd.DataFrame, zeroshot: pd.DataFrame, uncoded: list[str], threshold: float
                  ) -> pd.DataFrame:
    """Units whose zero-shot frame is an uncoded frame at cosine >= threshold take it (rows aligned by unit_id)."""
    if not uncoded or unit_frames.empty:
        return unit_frames
    zs = zeroshot.set_index("unit_id").loc[unit_frames["unit_id"]]
    take = (zs["frame"].isin(uncoded) & (zs["score"] >= threshold)).to_numpy()
    out = unit_frames.copy()
    out.loc[take, "frame"] = zs["frame"].to_numpy()[take]
    out.loc[take, "score"] = zs["score"].to_numpy()[take]
    out.loc[take, "method"] = "zeroshot-uncoded"
    return out
