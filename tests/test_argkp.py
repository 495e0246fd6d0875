"""ArgKP (KPA-2021) evaluation: exact scoring on hand-built fixtures, then floors on the real dev split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.argkp_core import gold_partition, kpa_map, partition_scores, singletons_for_outliers
from pipeline.eval_argkp import DataError, load_split, main, parse_args, run, score_partition

FIX = Path(__file__).resolve().parent / "fixtures" / "argkp"
GROUP_NEG = ("We should ban school uniforms", -1)


def test_load_split_and_gold_partition():
    split = load_split(FIX, "dev")
    assert (len(split.arguments), len(split.key_points), len(split.labels)) == (10, 4, 18)
    ids = split.arguments.loc[split.arguments["stance"] == -1, "arg_id"].tolist()
    gold = gold_partition(ids, split.labels)
    assert gold.arg_ids == ["a1", "a2", "a3", "a4"] and gold.key_points == ["kp_a", "kp_a", "kp_b", "kp_b"]
    assert (gold.n_unmatched, gold.n_multi) == (1, 1)  # a5 has no match, a6 matches both key points


def test_load_split_errors(tmp_path):
    with pytest.raises(DataError, match=r"arguments_dev\.csv: file not found"):
        load_split(tmp_path, "dev")
    (tmp_path / "kpm_data").mkdir()
    for kind, header in (("arguments", "arg_id,text,topic,stance"), ("key_points", "key_point_id,key_point,topic,stance"),
                         ("labels", "arg_id,key_point_id,label")):
        (tmp_path / "kpm_data" / f"{kind}_dev.csv").write_text(header + "\n")
    with pytest.raises(DataError, match=r"arguments_dev\.csv: missing columns \['argument'\]"):
        load_split(tmp_path, "dev")
    with pytest.raises(DataError, match=r"test_data/arguments_test\.csv"):
        load_split(tmp_path, "test")


def test_outliers_are_singletons():
    assert singletons_for_outliers(np.array([0, -1, 1, -1])).tolist() == [0, 2, 1, 3]
    assert singletons_for_outliers(np.array([-1, -1])).tolist() == [0, 1]
    ari, nmi = partition_scores(["a", "a", "b", "b"], np.array([0, 0, 1, 1]))
    assert (ari, nmi) == (1.0, 1.0)
    # Two outliers do not form a group: ARI drops although both were "unclustered" together.
    ari, _ = partition_scores(["a", "a", "b", "b"], np.array([-1, -1, 1, 1]))
    assert ari == pytest.approx(0.5714285714)


def test_score_partition_skips_single_key_point_groups():
    labels = pd.DataFrame({"arg_id": ["x", "y"], "key_point_id": ["k", "k"], "label": [1, 1]})
    assert score_partition(("t", 1), ["x", "y"], np.array([0, 1]), labels) is None


def test_kpa_map_exact():
    """Hand-computed: AP over the top half of each group's best matches, undecided strict 0 / relaxed 1."""
    labels = load_split(FIX, "dev").labels
    t = GROUP_NEG[0]
    preds = pd.DataFrame([
        ("a1", -1, "kp_a", 0.9), ("a2", -1, "kp_b", 0.8), ("a3", -1, "kp_b", 0.7),
        ("a4", -1, "kp_a", 0.6), ("a5", -1, "kp_b", 0.5), ("a6", -1, "kp_a", 0.4),
        ("b1", 1, "kp_d", 0.1), ("b2", 1, "kp_c", 0.8), ("b3", 1, "kp_c", 0.2), ("b4", 1, "kp_c", 0.9),
    ], columns=["arg_id", "stance", "key_point_id", "score"]).assign(topic=t)
    # stance -1, top 3: a1 (1), a2 (0), a3 (1) -> AP = (1/1 + 2/3) / 2; stance 1, top 2: b4 (undecided), b2 (1)
    # -> strict AP = 1/2, relaxed AP = 1.
    m = kpa_map(preds, labels)
    assert m["map_strict"] == pytest.approx(((1 + 2 / 3) / 2 + 0.5) / 2)
    assert m["map_relaxed"] == pytest.approx(((1 + 2 / 3) / 2 + 1.0) / 2)


def oracle_embed(texts: dict[str, str], params: Path, cache: Path | None) -> tuple[dict[str, np.ndarray], str]:
    """Fake embedder: each argument near its first gold key point (a5 between the two, a6 near kp_a)."""
    base = {"kp_a": [1, 0, 0, 0], "kp_b": [0, 1, 0, 0], "kp_c": [0, 0, 1, 0], "kp_d": [0, 0, 0, 1]}
    near = {"a1": ("kp_a", 0.05), "a2": ("kp_a", 0.1), "a3": ("kp_b", 0.05), "a4": ("kp_b", 0.1), "a6": ("kp_a", 0.3),
            "b1": ("kp_c", 0.05), "b2": ("kp_c", 0.1), "b3": ("kp_d", 0.05), "b4": ("kp_d", 0.1)}
    vec = {k: np.array(v, dtype=float) for k, v in base.items()}
    for a, (kp, eps) in near.items():
        vec[a] = vec[kp] + eps * np.ones(4)
    vec["a5"] = np.array([0.5, 0.6, 0, 0])
    assert set(texts) == set(vec)
    return vec, "oracle"


def test_run_on_fixture(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("corpora: []\ncluster:\n  argkp:\n    embedding: {method: agglomerative, distance_threshold: 0.3}\n"
                      "    tfidf: {method: agglomerative, distance_threshold: 0.9}\n", encoding="utf-8")
    result = run(parse_args(["--data", str(FIX), "--params", str(params)]), embed=oracle_embed)
    assert result["counts"] == {"arguments": 10, "groups": 2, "single_matched": 8, "multi_matched": 1, "unmatched": 1}
    emb = result["clustering"]["embedding"]
    assert (emb["ari"], emb["nmi"], emb["clusters_per_group"], emb["outlier_share"]) == (1.0, 1.0, 2.0, 0.0)
    assert result["matching"]["embedding"] == {"map_strict": 1.0, "map_relaxed": 1.0}
    assert set(result["clustering"]) == {"embedding", "embedding_untuned", "tfidf", "tfidf_untuned"}
    assert 0.0 <= result["matching"]["tfidf"]["map_strict"] <= result["matching"]["tfidf"]["map_relaxed"] <= 1.0


def test_main_bad_data(tmp_path, capsys):
    assert main(["--data", str(tmp_path)]) == 1
    assert "arguments_dev.csv: file not found" in capsys.readouterr().err


# Measured on dev (2026-11-22, all-MiniLM-L6-v2, params.yaml as tuned on train; docs/clustering.md):
# clustering ARI 0.164 / NMI 0.284 (TF-IDF 0.134 / 0.296); matching mAP strict/relaxed 0.724 / 0.873 raw cosine,
# 0.775 / 0.902 softmax-calibrated (TF-IDF 0.780 / 0.846 and 0.781 / 0.879). Floors leave room for numeric
# drift (UMAP seeds 1-5 gave ARI 0.148-0.176). Lowering a floor is an explicit, reviewed change.
FLOORS = {"ari": 0.14, "nmi": 0.25, "map_strict": 0.70, "map_relaxed": 0.85,
          "softmax_map_strict": 0.75, "softmax_map_relaxed": 0.88}


@pytest.mark.real
@pytest.mark.slow
def test_argkp_dev_floors(real_dir, tmp_path, capsys):
    data = real_dir / "args" / "argkp2021"
    root = Path(__file__).resolve().parents[1]
    assert main(["--data", str(data), "--split", "dev", "--params", str(root / "params.yaml"),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["counts"] == {"arguments": 932, "groups": 8, "single_matched": 604, "multi_matched": 67, "unmatched": 261}
    pipe, base = r["clustering"]["embedding"], r["clustering"]["tfidf"]
    raw, soft = r["matching"]["embedding"], r["matching"]["embedding_softmax"]
    assert pipe["ari"] >= FLOORS["ari"] and pipe["nmi"] >= FLOORS["nmi"]
    assert raw["map_strict"] >= FLOORS["map_strict"] and raw["map_relaxed"] >= FLOORS["map_relaxed"]
    assert soft["map_strict"] >= FLOORS["softmax_map_strict"] and soft["map_relaxed"] >= FLOORS["softmax_map_relaxed"]
    # The pipeline beats TF-IDF (same clusterer family, each tuned on train) on ARI and on relaxed mAP.
    # It does NOT beat it on strict mAP (0.724 vs 0.780 raw, 0.775 vs 0.781 calibrated): not asserted.
    assert pipe["ari"] > base["ari"] + 0.01
    assert raw["map_relaxed"] > r["matching"]["tfidf"]["map_relaxed"]
    assert soft["map_relaxed"] > r["matching"]["tfidf_softmax"]["map_relaxed"]
