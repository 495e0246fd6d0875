"""Participant positions (participant x concept -> roles) and the 2-D participant map."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from pipeline.positions.replies import participant_of
from pipeline.positions.roles import UNCLEAR

POSITION_COLUMNS = ["corpus", "participant_id", "name", "concept", "dominant_role", "roles", "role_shares",
                    "n_units", "unit_ids", "frames", "frame_shares"]
MAP_COLUMNS = ["corpus", "participant_id", "name", "n_units", "x", "y", "dominant_role", "dominant_frame",
               "roles", "role_shares", "frames", "frame_shares"]


def _shares(counts: Counter[str], order: Sequence[str]) -> tuple[list[str], list[float]]:
    total = sum(counts.values())
    labels = [o for o in order if counts.get(o)]
    return labels, [counts[o] / total for o in labels]


def _dominant(counts: Counter[str], order: Sequence[str], fallback_only: str | None = None) -> str | None:
    """Most frequent label (ties: `order`); `fallback_only` (e.g. unclear) wins only when nothing else occurs."""
    informative = [o for o in order if o != fallback_only and counts.get(o)]
    if informative:
        return max(informative, key=lambda o: (counts[o], -list(order).index(o)))
    return fallback_only if fallback_only and counts.get(fallback_only) else None


def frame_mix(unit_frames: pd.DataFrame | None, units: pd.DataFrame, index: Mapping[tuple[str, str], str]) -> dict[str, Counter[str]]:
    """participant_id -> Counter of frames over the participant's units (empty when no frames)."""
    if unit_frames is None or unit_frames.empty:
        return {}
    who = {u.unit_id: participant_of(u.corpus, u.author, index) for u in units.itertuples(index=False)}
    out: dict[str, Counter[str]] = {}
    col = "frames" if "frames" in unit_frames.columns else "frame"
    for r in unit_frames.itertuples(index=False):
        pid = who.get(r.unit_id)
        if pid is None:
            continue
        labels = getattr(r, col)
        for lab in ([labels] if isinstance(labels, str) else list(labels if labels is not None else [])):
            out.setdefault(pid, Counter())[str(lab)] += 1
    return out


def participant_positions(unit_roles: pd.DataFrame, names: Mapping[str, str], role_order: Sequence[str],
                          frames: Mapping[str, Counter[str]], frame_order: Sequence[str]) -> pd.DataFrame:
    """One row per participant x concept: dominant role, role shares, units, plus the frame mix."""
    rows = []
    known = unit_roles.dropna(subset=["participant_id"])
    for (corpus, pid, concept), g in known.groupby(["corpus", "participant_id", "concept"], sort=True):
        counts = Counter(g["role"])
        roles, shares = _shares(counts, role_order)
        f_labels, f_shares = _shares(frames.get(pid, Counter()), frame_order)
        rows.append({"corpus": corpus, "participant_id": pid, "name": names.get(pid, pid.split("/", 1)[-1]),
                     "concept": concept, "dominant_role": _dominant(counts, role_order, UNCLEAR), "roles": roles,
                     "role_shares": shares, "n_units": int(g["unit_id"].nunique()),
                     "unit_ids": sorted(g["unit_id"].unique().tolist()), "frames": f_labels, "frame_shares": f_shares})
    return pd.DataFrame(rows, columns=POSITION_COLUMNS)


def map_features(unit_ids_by_pid: Mapping[str, Sequence[int]], embeddings: np.ndarray, roles: Mapping[str, Counter[str]],
                 role_order: Sequence[str], frames: Mapping[str, Counter[str]], frame_order: Sequence[str],
                 mix_weight: float) -> tuple[list[str], np.ndarray]:
    """Per participant: mean unit embedding, then role shares and frame shares scaled by mix_weight."""
    pids = sorted(unit_ids_by_pid)
    rows = []
    for pid in pids:
        emb = embeddings[list(unit_ids_by_pid[pid])].mean(axis=0)
        r_tot, f_tot = sum(roles.get(pid, Counter()).values()) or 1, sum(frames.get(pid, Counter()).values()) or 1
        r = [roles.get(pid, Counter()).get(o, 0) / r_tot for o in role_order]
        f = [frames.get(pid, Counter()).get(o, 0) / f_tot for o in frame_order]
        rows.append(np.concatenate([emb, mix_weight * np.asarray(r + f, dtype=float)]))
    dim = embeddings.shape[1] + len(role_order) + len(frame_order)
    return pids, np.vstack(rows) if rows else np.zeros((0, dim))


def layout(features: np.ndarray, seed: int) -> np.ndarray:
    """2-D PCA coordinates (deterministic: full SVD, fixed seed); zeros when fewer than 3 participants."""
    if len(features) < 3:
        return np.zeros((len(features), 2))
    return PCA(n_components=2, svd_solver="full", random_state=seed).fit_transform(features)


def participant_map(units: pd.DataFrame, embeddings: np.ndarray, unit_roles: pd.DataFrame, index: Mapping[tuple[str, str], str],
                    names: Mapping[str, str], role_order: Sequence[str], frames: Mapping[str, Counter[str]],
                    frame_order: Sequence[str], mix_weight: float, seed: int) -> pd.DataFrame:
    """The participant map: one row per participant with units, 2-D coordinates and its mixes."""
    rows_by: dict[str, list[int]] = {}
    corpus_of: dict[str, str] = {}
    for i, u in enumerate(units.itertuples(index=False)):
        pid = participant_of(u.corpus, u.author, index)
        if pid is not None:
            rows_by.setdefault(pid, []).append(i)
            corpus_of[pid] = u.corpus
    roles = {pid: Counter(g["role"]) for pid, g in unit_roles.dropna(subset=["participant_id"]).groupby("participant_id")}
    pids, feats = map_features(rows_by, embeddings, roles, role_order, frames, frame_order, mix_weight)
    xy = layout(feats, seed)
    out = []
    for pid, (x, y) in zip(pids, xy, strict=True):
        r_labels, r_shares = _shares(roles.get(pid, Counter()), role_order)
        f_labels, f_shares = _shares(frames.get(pid, Counter()), frame_order)
        out.append({"corpus": corpus_of[pid], "participant_id": pid, "name": names.get(pid, pid.split("/", 1)[-1]),
                    "n_units": len(rows_by[pid]), "x": float(x), "y": float(y),
                    "dominant_role": _dominant(roles.get(pid, Counter()), role_order, UNCLEAR),
                    "dominant_frame": _dominant(frames.get(pid, Counter()), frame_order),
                    "roles": r_labels, "role_shares": r_shares, "frames": f_labels, "frame_shares": f_shares})
    return pd.DataFrame(out, columns=MAP_COLUMNS)


def map_figure(pmap: pd.DataFrame, title: str) -> str:
    """Plotly figure JSON of the participant map, points sized by units, coloured by dominant role."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for role, g in pmap.groupby(pmap["dominant_role"].fillna("none"), sort=True):
        hover = [f"{r.name}<br>units: {r.n_units}<br>roles: " + ", ".join(f"{a} {s:.0%}" for a, s in zip(r.roles, r.role_shares, strict=True))
                 + "<br>frames: " + ", ".join(f"{a} {s:.0%}" for a, s in zip(r.frames, r.frame_shares, strict=True))
                 for r in g.itertuples(index=False)]
        fig.add_trace(go.Scatter(x=g["x"], y=g["y"], mode="markers+text", name=str(role), text=g["name"],
                                 textposition="top center", hovertext=hover, hoverinfo="text",
                                 marker={"size": [8 + 2 * n ** 0.5 for n in g["n_units"]]}))
    fig.update_layout(title=title, xaxis_title="PC1", yaxis_title="PC2", template="plotly_white")
    return fig.to_json()
