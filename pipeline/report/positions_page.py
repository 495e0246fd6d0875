"""Positions page: participant x concept roles, relation statements, participant map, reply network (pure)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pandas as pd

from pipeline.common.codebook import UNCLEAR
from pipeline.report.drill import colour, esc, ids_attr, point, unit_lookup, utterance_lookup
from pipeline.report.scale import OTHERS, Limits, finish, top

STANCES = ("agree", "partly_agree", "rebut", "neutral")  # REPLY_PAIRS columns n_<stance>, in schema order
MAX_EDGE_MARKER = 30  # px: an edge of thousands of replies (the lumped "others") must not cover the plot


def role_order(*lists: pd.Series) -> list[str]:
    """Roles in codebook order, recovered from lists that each follow it (topological merge, first seen first)."""
    seen: list[str] = []
    after: dict[str, set[str]] = {}
    for series in lists:
        for roles in series:
            roles = [str(r) for r in roles]
            for r in roles:
                if r not in seen:
                    seen.append(r)
                    after.setdefault(r, set())
            for a, b in zip(roles, roles[1:], strict=False):
                after[b].add(a)
    out: list[str] = []
    while len(out) < len(seen):
        ready = [r for r in seen if r not in out and after[r] <= set(out)]
        out.append(ready[0] if ready else next(r for r in seen if r not in out))  # a cycle: first seen wins
    return out


def names_of(*frames: pd.DataFrame | None) -> dict[str, str]:
    """participant_id -> display name from any table with participant_id and name."""
    out: dict[str, str] = {}
    for df in frames:
        if df is not None and {"participant_id", "name"} <= set(df.columns):
            out.update({k: v for k, v in zip(df["participant_id"], df["name"], strict=True) if k not in out})
    return out


def mixed_cell(group: pd.DataFrame, roles: list[str], title: str) -> dict[str, Any]:
    """One cell for several participants' positions on a concept: their role shares weighted by units, the
    dominant role (unclear only when no other role occurs), all their units."""
    weight: Counter[str] = Counter()
    for rs, shares, n in zip(group["roles"], group["role_shares"], group["n_units"], strict=True):
        for r, share in zip(rs, shares, strict=True):
            weight[str(r)] += float(share) * int(n)
    total = sum(weight.values()) or 1.0
    informative = [r for r in roles if r != UNCLEAR and weight.get(r)]
    dominant = max(informative, key=lambda r: (weight[r], -roles.index(r))) if informative else UNCLEAR
    mix = ", ".join(f"{r} {weight[r] / total:.0%}" for r in roles if weight.get(r))
    return {"role": dominant, "index": roles.index(dominant) if dominant in roles else 0,
            "n": int(group["n_units"].sum()), "units": ids_attr(sorted(u for ids in group["unit_ids"] for u in ids)),
            "mix": mix, "title": f"{title}: {dominant}"}


def position_matrix(positions: pd.DataFrame, roles: list[str], m: int | None = None) -> dict[str, Any]:
    """Participant x concept cells: dominant role (with its colour index), units behind it, role mix; at most m
    participants (most units first), the others' positions mixed in one row."""
    part_n = positions.groupby("participant_id")["n_units"].sum()
    conc_n = positions.groupby("concept")["n_units"].sum()
    names = names_of(positions)
    people, n_out = top(sorted(part_n.index, key=lambda p: (-int(part_n[p]), names[p])), m)
    concepts = sorted(conc_n.index, key=lambda c: (-int(conc_n[c]), c))
    by = {(r["participant_id"], r["concept"]): r for r in positions.to_dict("records")}
    rows = []
    for p in people:
        cells = []
        for c in concepts:
            r = by.get((p, c))
            if r is None:
                cells.append(None)
                continue
            mix = ", ".join(f"{role} {share:.0%}" for role, share in zip(r["roles"], r["role_shares"], strict=True))
            cells.append({"role": r["dominant_role"], "index": roles.index(r["dominant_role"]),
                          "n": int(r["n_units"]), "units": ids_attr(r["unit_ids"]), "mix": mix,
                          "title": f"{names[p]} · {c}: {r['dominant_role']}"})
        rows.append({"participant_id": p, "name": names[p], "n": int(part_n[p]), "cells": cells, "others": False})
    if n_out:
        rest = positions[~positions["participant_id"].isin(set(people))]
        label = f"{n_out} other participants"
        cells = [mixed_cell(g, roles, f"{label} · {c}") if len(g := rest[rest["concept"] == c]) else None
                 for c in concepts]
        rows.append({"participant_id": OTHERS, "name": label, "n": int(rest["n_units"].sum()), "cells": cells,
                     "others": True})
    return {"concepts": concepts, "rows": rows, "left_out": n_out}


def relation_groups(relations: pd.DataFrame, m: int | None = None) -> list[dict[str, Any]]:
    """Relation statements grouped by relation (largest group first), each with its quote; at most m statements
    listed per group (by source concept, then unit), its count opening the quotes of all of them."""
    groups = []
    for rel, g in relations.groupby("relation"):
        listed, n_out = top(g.sort_values(["source", "unit_id"]).to_dict("records"), m)
        items = [{"source": r["source"], "targets": list(r["targets"]), "negated": bool(r["negated"]),
                  "cue": r["cue"], "text": r["text"], "unit_id": r["unit_id"], "utterance_id": r["utterance_id"],
                  "speaker": r["author"] if isinstance(r["author"], str) else None} for r in listed]
        groups.append({"relation": str(rel), "n": len(g), "statements": items, "left_out": n_out,
                       "units": ids_attr(sorted(set(g["unit_id"])))})
    return sorted(groups, key=lambda x: (-x["n"], x["relation"]))


def participant_units(units: pd.DataFrame, participants: pd.DataFrame | None,
                      names: dict[str, str]) -> dict[str, list[str]]:
    """participant_id -> unit ids spoken by them (name and aliases matched case-insensitively)."""
    alias: dict[str, str] = {}
    if participants is not None:
        for r in participants.to_dict("records"):
            for a in [r["name"], *list(r["aliases"])]:
                alias.setdefault(str(a).casefold(), r["participant_id"])
    for pid, name in names.items():
        alias.setdefault(name.casefold(), pid)
    out: dict[str, list[str]] = {}
    for uid, author in zip(units["unit_id"], units["author"], strict=True):
        pid = alias.get(author.casefold()) if isinstance(author, str) else None
        if pid:
            out.setdefault(pid, []).append(uid)
    return {k: sorted(v) for k, v in out.items()}


def map_figure(pmap: pd.DataFrame, roles: list[str], by_part: dict[str, list[str]]) -> dict[str, Any]:
    """Participant map scatter, one trace per dominant role; click a participant -> their units."""
    data = []
    key = pmap["dominant_role"].fillna("none")
    for role in [*[r for r in roles if r in set(key)], *sorted(set(key) - set(roles))]:
        g = pmap[key == role]
        data.append({"type": "scatter", "mode": "markers+text", "name": esc(role), "x": g["x"].tolist(),
                     "y": g["y"].tolist(), "text": [esc(n) for n in g["name"]], "textposition": "top center",
                     "marker": {"size": [8 + 2 * math.sqrt(n) for n in g["n_units"]],
                                "color": colour(roles.index(role)) if role in roles else "#999"},
                     "customdata": [point(by_part.get(p, []), n) for p, n in zip(g["participant_id"], g["name"],
                                                                                  strict=True)],
                     "hovertemplate": "%{text}<extra>" + esc(role) + "</extra>"})
    return {"data": data, "layout": {"title": {"text": "Participant map (colour: dominant role)"}, "height": 560,
                                     "xaxis": {"zeroline": False, "title": {"text": "PC 1"}},
                                     "yaxis": {"zeroline": False, "title": {"text": "PC 2"}}}}


def dominant_stance(counts: Sequence[int]) -> str:
    """Most frequent stance of per-stance counts in STANCES order (ties: the earlier stance)."""
    return STANCES[max(range(len(STANCES)), key=lambda i: (counts[i], -i))]


def lump_pairs(pairs: pd.DataFrame, m: int | None) -> tuple[pd.DataFrame, int]:
    """Reply pairs among the m participants with the most replies (written + received, ties by id); every other
    participant becomes OTHERS, their pairs summed (dominant stance recounted). Returns how many were lumped."""
    activity: Counter[str] = Counter()
    for a, b, n in zip(pairs["replier_id"], pairs["addressee_id"], pairs["n_replies"], strict=True):
        activity[a] += int(n)
        activity[b] += int(n)
    if m is None or len(activity) <= m:
        return pairs, 0
    keep = set(sorted(activity, key=lambda p: (-activity[p], p))[:m])
    cols = [f"n_{s}" for s in STANCES]
    sums: dict[tuple[str, str], list[int]] = {}
    ids: dict[tuple[str, str], list[str]] = {}
    for r in pairs.to_dict("records"):
        key = (r["replier_id"] if r["replier_id"] in keep else OTHERS,
               r["addressee_id"] if r["addressee_id"] in keep else OTHERS)
        acc = sums.setdefault(key, [0] * (len(cols) + 1))
        for i, c in enumerate(["n_replies", *cols]):
            acc[i] += int(r[c])
        ids.setdefault(key, []).extend(r["utterance_ids"])
    rows = [{"replier_id": a, "addressee_id": b, "n_replies": v[0], **dict(zip(cols, v[1:], strict=True)),
             "dominant_stance": dominant_stance(v[1:]), "utterance_ids": sorted(ids[(a, b)])}
            for (a, b), v in sums.items()]
    return pd.DataFrame(rows), len(activity) - m


def reply_network(pairs: pd.DataFrame, names: dict[str, str]) -> dict[str, Any]:
    """Participants on a circle, one arrow-less edge per (replier, addressee) coloured by dominant stance;
    click an edge's midpoint -> its replies, a participant -> the replies they wrote."""
    nodes = sorted(set(pairs["replier_id"]) | set(pairs["addressee_id"]),
                   key=lambda p: (-int(pairs.loc[(pairs.replier_id == p) | (pairs.addressee_id == p),
                                                 "n_replies"].sum()), p))
    pos = {p: (math.cos(2 * math.pi * i / max(len(nodes), 1)), math.sin(2 * math.pi * i / max(len(nodes), 1)))
           for i, p in enumerate(nodes)}
    data: list[dict[str, Any]] = []
    for i, stance in enumerate(STANCES):
        g = pairs[pairs["dominant_stance"] == stance]
        if not len(g):
            continue
        xs: list[float | None] = []
        ys: list[float | None] = []
        for r in g.itertuples(index=False):
            (x0, y0), (x1, y1) = pos[r.replier_id], pos[r.addressee_id]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
        data.append({"type": "scatter", "mode": "lines", "name": stance, "x": xs, "y": ys, "hoverinfo": "skip",
                     "line": {"color": colour(i), "width": 1.5}, "legendgroup": stance})
        data.append({"type": "scatter", "mode": "markers", "name": stance, "showlegend": False, "legendgroup": stance,
                     "x": [(pos[a][0] * 0.4 + pos[b][0] * 0.6) for a, b in zip(g.replier_id, g.addressee_id, strict=True)],
                     "y": [(pos[a][1] * 0.4 + pos[b][1] * 0.6) for a, b in zip(g.replier_id, g.addressee_id, strict=True)],
                     "marker": {"size": [min(6 + 2 * n, MAX_EDGE_MARKER) for n in g["n_replies"]], "color": colour(i),
                                "symbol": "diamond"},
                     "customdata": [point(list(u), f"{names.get(a, a)} → {names.get(b, b)}: {stance}")
                                    for u, a, b in zip(g.utterance_ids, g.replier_id, g.addressee_id, strict=True)],
                     "hovertemplate": "%{customdata.label}<extra></extra>"})
    wrote = {p: sorted(u for lst in pairs.loc[pairs.replier_id == p, "utterance_ids"] for u in lst) for p in nodes}
    data.append({"type": "scatter", "mode": "markers+text", "name": "participants", "showlegend": False,
                 "x": [pos[p][0] for p in nodes], "y": [pos[p][1] for p in nodes],
                 "text": [esc(names.get(p, p)) for p in nodes], "textposition": "top center",
                 "marker": {"size": 12, "color": "#1d2330"},
                 "customdata": [point(wrote[p], f"replies by {names.get(p, p)}") for p in nodes],
                 "hovertemplate": "%{customdata.label}<extra></extra>"})
    hidden = {"visible": False, "range": [-1.35, 1.35]}
    return {"data": data, "layout": {"title": {"text": "Who replies to whom (edge colour: dominant stance; "
                                                        "diamond nearer the addressee)"},
                                     "xaxis": hidden, "yaxis": {**hidden, "scaleanchor": "x"}, "height": 620,
                                     "legend": {"orientation": "h", "y": -0.05}}}


def pair_matrix(pairs: pd.DataFrame, names: dict[str, str]) -> dict[str, Any]:
    """Replier x addressee table cells: replies, stance counts, dominant stance colour, reply ids."""
    repliers = sorted(set(pairs["replier_id"]), key=lambda p: names.get(p, p).casefold())
    addressees = sorted(set(pairs["addressee_id"]), key=lambda p: names.get(p, p).casefold())
    by = {(r["replier_id"], r["addressee_id"]): r for r in pairs.to_dict("records")}
    rows = []
    for a in repliers:
        cells = []
        for b in addressees:
            r = by.get((a, b))
            cells.append(None if r is None else {
                "n": int(r["n_replies"]), "stance": r["dominant_stance"], "index": STANCES.index(r["dominant_stance"]),
                "units": ids_attr(r["utterance_ids"]), "title": f"{names.get(a, a)} → {names.get(b, b)}",
                "mix": ", ".join(f"{s} {int(r['n_' + s])}" for s in STANCES if r["n_" + s])})
        rows.append({"name": names.get(a, a), "cells": cells})
    return {"addressees": [names.get(b, b) for b in addressees], "rows": rows}


def positions_context(positions: pd.DataFrame, units: pd.DataFrame, relations: pd.DataFrame | None = None,
                      participant_map: pd.DataFrame | None = None, replies: pd.DataFrame | None = None,
                      reply_pairs: pd.DataFrame | None = None, participants: pd.DataFrame | None = None,
                      limits: Limits | None = None) -> dict[str, Any]:
    """Everything the positions page shows; with `limits`, the most active participants (the rest in one row or
    node), at most max_rows statements per relation and sampled drill-downs."""
    limits = limits or Limits()
    m = limits.max_rows
    roles = role_order(positions["roles"], *([] if participant_map is None else [participant_map["roles"]]))
    names = names_of(participants, participant_map, positions)
    figures = []
    ctx: dict[str, Any] = {"roles": [{"role": r, "index": i} for i, r in enumerate(roles)],
                           "matrix": position_matrix(positions, roles, m), "relations": [], "map_rows": [],
                           "map_left_out": 0, "pairs": None, "pairs_left_out": 0, "stances": [],
                           "stance_names": list(STANCES)}
    if relations is not None:
        ctx["relations"] = relation_groups(relations, m)
    if participant_map is not None and len(participant_map):
        pmap, ctx["map_left_out"] = top(participant_map.sort_values(["n_units", "name"], ascending=[False, True])
                                        .to_dict("records"), m)
        pmap_df = pd.DataFrame(pmap, columns=participant_map.columns)
        by_part = participant_units(units, participants, names)
        figures.append({"id": "fig-participant-map", "figure": map_figure(pmap_df, roles, by_part)})
        ctx["map_rows"] = [{"name": r["name"], "n": int(r["n_units"]), "x": r["x"], "y": r["y"],
                            "role": r["dominant_role"], "frame": r["dominant_frame"],
                            "units": ids_attr(by_part.get(r["participant_id"], []))}
                           for r in pmap_df.sort_values("name").to_dict("records")]
    if reply_pairs is not None and len(reply_pairs):
        pairs, ctx["pairs_left_out"] = lump_pairs(reply_pairs, m)
        shown = {**names, OTHERS: f"{ctx['pairs_left_out']} other participants"}
        figures.append({"id": "fig-reply-network", "figure": reply_network(pairs, shown)})
        ctx["pairs"] = pair_matrix(pairs, shown)
    if replies is not None:
        ctx["stances"] = [{"stance": s, "index": i, "n": int((replies["stance"] == s).sum()),
                           "units": ids_attr(sorted(replies.loc[replies["stance"] == s, "utterance_id"]))}
                          for i, s in enumerate(STANCES)]

    def lookup(ids: list[str]) -> dict[str, Any]:
        out = unit_lookup(units, ids)
        rest = [i for i in ids if i not in out]
        if rest and replies is not None:
            out.update(utterance_lookup(replies, rest, author="replier"))
        return out

    return finish({**ctx, "figures": figures}, limits, lookup)
