"""`python -m pipeline evaluate frame-splits`: the frame stage's validation, once per split seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipeline.common.storage import read_json
from pipeline.evaluation import frame_splits_cli as eval_frames
from tests.test_frames import _run_stage, _tiny_project


def _args(p: dict[str, Path], params: Path, codebook: Path, *extra: str) -> list[str]:
    return ["--units", str(p["units.parquet"]), "--embeddings", str(p["emb.parquet"]), "--codebook", str(codebook),
            "--params", str(params), "--unit-codes", str(p["c1.csv"]), "--utterance-codes", str(p["utt.csv"]), *extra]


def _with_seed(params: Path, seed: int, out: Path) -> Path:
    doc = yaml.safe_load(params.read_text())
    doc["frame"]["seed"] = seed
    out.write_text(yaml.safe_dump(doc))
    return out


def test_each_seed_scores_as_the_stage_does_with_that_seed(tmp_path: Path, fixtures: Path, capsys) -> None:
    p = _tiny_project(tmp_path)
    params, cb = fixtures / "frames" / "params_stacked.yaml", fixtures / "frames" / "codebook.yaml"
    assert eval_frames.main(_args(p, params, cb, "--seeds", "7,8", "--out", str(tmp_path / "splits.json"))) == 0
    summary = read_json(tmp_path / "splits.json")
    assert summary["seeds"] == [7, 8] and [r["seed"] for r in summary["per_seed"]] == [7, 8]
    for row in summary["per_seed"]:
        run = tmp_path / f"stage{row['seed']}"
        assert _run_stage(p, _with_seed(params, row["seed"], tmp_path / f"p{row['seed']}.yaml"), cb, run) == 0
        m = read_json(run / "frames.json")
        assert (row["unit_macro_f1"], row["utterance_macro_f1"]) == (m["unit"]["macro_f1"], m["utterance"]["macro_f1"])
        assert (row["unit_n"], row["utterance_n"]) == (12, 6)
        assert row["chosen_per_outer_fold"] == m["cv"]["chosen_per_outer_fold"]
    for lvl in ("unit", "utterance"):
        values = [r[f"{lvl}_macro_f1"] for r in summary["per_seed"]]
        assert summary[f"{lvl}_macro_f1"] == {"mean": round(sum(values) / 2, 4), "min": min(values), "max": max(values)}
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "| frame.seed | unit macro-F1 | utterance macro-F1 |" and out[2].startswith("| 7 | ")
    assert out[4].startswith("| mean | ") and json.loads(out[-1])["seeds"] == [7, 8]


@pytest.mark.parametrize("seeds", ["7,x", "7,7", ","])
def test_bad_seed_lists_are_refused(seeds: str, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        eval_frames.parser().parse_args(["--units", "u", "--embeddings", "e", "--codebook", "c", "--unit-codes", "a",
                                "--utterance-codes", "b", "--seeds", seeds])
    assert e.value.code == 2 and f"--seeds {seeds!r}" in capsys.readouterr().err


def test_zeroshot_route_and_missing_file_fail_with_a_message(tmp_path: Path, fixtures: Path, capsys) -> None:
    p = _tiny_project(tmp_path)
    cb = fixtures / "frames" / "codebook.yaml"
    zeroshot = tmp_path / "zeroshot.yaml"
    zeroshot.write_text((fixtures / "frames" / "params.yaml").read_text().replace("method: supervised", "method: zeroshot"))
    assert eval_frames.main(_args(p, zeroshot, cb, "--seeds", "1")) == 1
    assert "zeroshot has no training split" in capsys.readouterr().err
    p["units.parquet"] = tmp_path / "absent.parquet"
    assert eval_frames.main(_args(p, fixtures / "frames" / "params_stacked.yaml", cb)) == 1
    assert "absent.parquet" in capsys.readouterr().err
