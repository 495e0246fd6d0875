"""Data files for `dvc plots`: the main distributions, one small CSV each (pure)."""

from __future__ import annotations

import pandas as pd


def distributions(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """{file name: table} for the distributions whose inputs exist: frames, topics, roles."""
    out: dict[str, pd.DataFrame] = {}
    if "unit_frames" in tables:
        frames = tables["unit_frames"].groupby("frame").size().rename("units").reset_index()
        out["frames.csv"] = frames.sort_values("frame", kind="stable")
    if "topics" in tables:
        topics = tables["topics"].sort_values("topic")
        out["topics.csv"] = pd.DataFrame({"topic": topics["name"], "units": topics["size"]})
    if "unit_roles" in tables:
        roles = tables["unit_roles"].groupby(["concept", "role"]).size().rename("units").reset_index()
        roles.insert(0, "concept_role", roles.concept + ": " + roles.role)
        out["roles.csv"] = roles[["concept_role", "units"]]
    return out
