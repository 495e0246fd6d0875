"""dvc.yaml wiring: a change to a frame parameter re-runs framing and the stages after it, never earlier ones."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _paths(entries: list) -> set[str]:
    """The paths of a deps/outs/metrics/plots list (entries are strings or one-key dicts)."""
    return {next(iter(e)) if isinstance(e, dict) else str(e) for e in entries or []}


def _stages() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def _edges(stages: dict[str, dict]) -> dict[str, set[str]]:
    """stage -> the stages that read one of its outputs (a dep equal to an output, or inside an output folder)."""
    outs = {name: _paths(s.get("outs")) | _paths(s.get("metrics")) | _paths(s.get("plots")) for name, s in stages.items()}
    return {a: {b for b, s in stages.items() if b != a and any(d == o or d.startswith(o.rstrip("/") + "/")
                                                               for d in _paths(s.get("deps")) for o in outs[a])}
            for a in stages}


def _downstream(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def _declares(stage: dict, section: str) -> bool:
    return any(str(p) == section or str(p).startswith(section + ".") for p in stage.get("params") or [])


def test_downstream_helper_on_a_hand_built_graph() -> None:
    stages = {"a": {"outs": ["x.parquet"]}, "b": {"deps": ["x.parquet"], "outs": [{"m/": {"cache": False}}]},
              "c": {"deps": ["m/one.csv"]}, "d": {"deps": ["y"]}}
    edges = _edges(stages)
    assert edges == {"a": {"b"}, "b": {"c"}, "c": set(), "d": set()}
    assert _downstream(edges, "a") == {"b", "c"} and _downstream(edges, "d") == set()


def test_frame_params_rerun_framing_and_later_stages_only() -> None:
    stages = _stages()
    edges = _edges(stages)
    assert _declares(stages["frame"], "frame")
    assert {name for name, s in stages.items() if _declares(s, "frame")} == {"frame"}
    later = _downstream(edges, "frame")
    assert {"positions", "report"} <= later  # the report shows the frames; positions read the unit frames
    upstream = {name for name in stages if "frame" in _downstream(edges, name)}
    assert {"ingest", "clean", "attribute", "segment", "embed", "cluster"} <= upstream
    assert not upstream & later  # no cycle: what framing reads is never rebuilt by a frame change
