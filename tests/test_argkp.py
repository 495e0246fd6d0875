"""ArgKP (KPA-2021) evaluation: exact scoring on hand-built fixtures, then floors on the real dev split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.common.config import ArgkpFinetuneConfig, load_params
from pipeline.evaluation.argkp.benchmark import (
    DataError,
    load_split,
    run_benchmark,
    score_partition,
)
from pipeline.evaluation.argkp.finetune import (
    adapt,
    batches,
    finetune_key,
    split_sha,
    topic_folds,
    train_adapter,
    training_examples,
)
from pipeline.evaluation.argkp.scoring import (
    KpaSplit,
    cosine,
    gold_partition,
    kpa_map,
    partition_scores,
    singletons_for_outliers,
)
from pipeline.evaluation.argkp.tune import fusion_vectors
from pipeline.evaluation.argkp_cli import main, parser

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


def oracle_embed(texts: dict[str, str], params: Path, cache: Path | None,
                 model: str | None = None) -> tuple[dict[str, np.ndarray], str]:
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
                      "    tfidf: {method: agglomerative, distance_threshold: 0.9}\n    fusion: {method: agglomerative, distance_threshold: 0.9}\n", encoding="utf-8")
    result = run_benchmark(parser().parse_args(["--data", str(FIX), "--params", str(params)]), load_params(params),
                           embed=oracle_embed)
    assert result["counts"] == {"arguments": 10, "groups": 2, "single_matched": 8, "multi_matched": 1, "unmatched": 1}
    emb = result["clustering"]["embedding"]
    assert (emb["ari"], emb["nmi"], emb["clusters_per_group"], emb["outlier_share"]) == (1.0, 1.0, 2.0, 0.0)
    assert result["matching"]["embedding"] == {"map_strict": 1.0, "map_relaxed": 1.0}
    assert set(result["clustering"]) == {"embedding", "embedding_untuned", "tfidf", "tfidf_untuned", "fusion"}
    assert result["finetune"] is None and result["embedding_model"] == "oracle"
    assert 0.0 <= result["matching"]["tfidf"]["map_strict"] <= result["matching"]["tfidf"]["map_relaxed"] <= 1.0



def test_clustering_is_averaged_over_seeds(tmp_path):
    """With `argkp.seeds`, every group is clustered once per seed; ARI is the mean, per-seed values listed."""
    params = tmp_path / "params.yaml"
    params.write_text("corpora: []\ncluster:\n  method: agglomerative\n  argkp:\n    seeds: [1, 2, 3]\n"
                      "    embedding: {method: agglomerative, distance_threshold: 0.3}\n"
                      "    tfidf: {method: agglomerative, distance_threshold: 0.9}\n"
                      "    fusion: {method: agglomerative, distance_threshold: 0.9}\n", encoding="utf-8")
    result = run_benchmark(parser().parse_args(["--data", str(FIX), "--params", str(params)]), load_params(params),
                           embed=oracle_embed)
    emb, tfidf = result["clustering"]["embedding"], result["clustering"]["tfidf"]
    assert emb["ari_per_seed"] == [1.0, 1.0, 1.0] and emb["ari"] == 1.0
    assert len(tfidf["ari_per_seed"]) == 3 and tfidf["ari"] == pytest.approx(float(np.mean(tfidf["ari_per_seed"])), abs=1e-3)


def test_lr_factor_warms_up_then_decays():
    from pipeline.evaluation.argkp.encoder import lr_factor

    assert [lr_factor(s, 10, 2) for s in range(10)] == [0.5, 1.0, 1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125]


@pytest.mark.slow
def test_full_encoder_finetune_saves_a_reusable_model(tmp_path):
    """Mode full: a few seeded steps change the encoder, save an embed model folder, and a matching key reuses it."""
    from pipeline.common.config import EmbedConfig
    from pipeline.common.embedders import make_embedder, resolve_model_path
    from pipeline.evaluation.argkp.finetune import ensure_finetuned

    split = load_split(FIX, "dev")
    texts = dict(zip(split.arguments["arg_id"], split.arguments["argument"], strict=True))
    texts |= dict(zip(split.key_points["key_point_id"], split.key_points["key_point"], strict=True))
    cfg = ArgkpFinetuneConfig(mode="full", loss="mnrl", epochs=2, batch_size=4, lr=1e-4)
    base_path = resolve_model_path(EmbedConfig().model)
    rec = ensure_finetuned(split, {}, cfg, base_path, "base", tmp_path / "ft", texts)
    assert (rec["reused"], rec["train"]["examples"], rec["train"]["steps"]) == (False, 10, 6)
    again = ensure_finetuned(split, {}, cfg, base_path, "base", tmp_path / "ft", texts)
    assert again["reused"] and again["key"] == rec["key"]
    base = make_embedder(EmbedConfig())
    tuned = make_embedder(EmbedConfig(model=str(tmp_path / "ft")))
    sample = [texts["a1"], texts["kp_a"]]
    assert tuned.identity != base.identity and not np.allclose(tuned.embed(sample), base.embed(sample), atol=1e-4)
    assert np.allclose(np.linalg.norm(tuned.embed(sample), axis=1), 1.0, atol=1e-5)


POSITIVES = [("a1", "kp_a"), ("a2", "kp_a"), ("a3", "kp_b"), ("a4", "kp_b"), ("a6", "kp_a"), ("a6", "kp_b"),
             ("b1", "kp_c"), ("b2", "kp_c"), ("b3", "kp_d"), ("b4", "kp_d")]


def test_training_examples_per_loss():
    split = load_split(FIX, "dev")
    assert training_examples(split, ArgkpFinetuneConfig(loss="mnrl")) == POSITIVES
    # one labelled non-match per pair; a6 matches every key point of its group (no negative);
    # b4 has no labelled non-match, so the group's other key point kp_c stands in.
    hard = training_examples(split, ArgkpFinetuneConfig(loss="mnrl_hard"))
    assert hard == [("a1", "kp_a", "kp_b"), ("a2", "kp_a", "kp_b"), ("a3", "kp_b", "kp_a"), ("a4", "kp_b", "kp_a"),
                    ("a6", "kp_a"), ("a6", "kp_b"), ("b1", "kp_c", "kp_d"), ("b2", "kp_c", "kp_d"),
                    ("b3", "kp_d", "kp_c"), ("b4", "kp_d", "kp_c")]
    cosent = training_examples(split, ArgkpFinetuneConfig(loss="cosent"))
    assert len(cosent) == 18 and cosent[:2] == [("a1", "kp_a", "1"), ("a1", "kp_b", "0")]


def test_batches_never_repeat_a_key_point():
    got = batches(POSITIVES, 4, seed=0)
    assert sorted(i for b in got for i in b) == list(range(10))  # every example exactly once
    for b in got:
        kps = [POSITIVES[i][1] for i in b]
        assert len(b) <= 4 and len(kps) == len(set(kps))
    assert got == batches(POSITIVES, 4, seed=0) and got != batches(POSITIVES, 4, seed=1)
    assert [len(b) for b in got] == [4, 4, 2]  # four distinct key points: never more than 4 per batch


def toy_vectors() -> tuple[dict[str, np.ndarray], list[tuple[str, str]]]:
    """Key points on the axes; each argument near its key point but all pushed along a shared nuisance axis."""
    rng = np.random.default_rng(0)
    vec, pairs = {}, []
    for j in range(6):
        vec[f"k{j}"] = np.eye(8)[j]
        for i in range(10):
            v = 0.5 * np.eye(8)[j] + 2.0 * np.eye(8)[7] + 0.2 * rng.normal(size=8)
            vec[f"a{j}_{i}"] = v / np.linalg.norm(v)
            pairs.append((f"a{j}_{i}", f"k{j}"))
    return vec, pairs


def test_train_adapter_learns_and_is_deterministic():
    vec, pairs = toy_vectors()
    cfg = ArgkpFinetuneConfig(loss="mnrl", epochs=30, batch_size=6, lr=0.01)
    w, stats = train_adapter(vec, pairs, cfg)
    assert stats["steps"] == 30 * 10 and stats["examples"] == 60
    w2, _ = train_adapter(vec, pairs, cfg)
    assert np.array_equal(w, w2)  # same seed, same W
    kps = np.stack([vec[f"k{j}"] for j in range(6)])
    args = np.stack([vec[a] for a, _ in pairs])
    gold = np.array([int(k[1:]) for _, k in pairs])
    before = (cosine(args, kps).argmax(1) == gold).mean()
    ad = adapt(vec, w)
    after = (cosine(np.stack([ad[a] for a, _ in pairs]), np.stack([ad[f"k{j}"] for j in range(6)])).argmax(1) == gold).mean()
    assert (before, after) == (pytest.approx(52 / 60), pytest.approx(59 / 60))
    assert all(abs(np.linalg.norm(v) - 1) < 1e-5 for v in ad.values())
    with pytest.raises(ValueError, match="no \\(argument, key point\\) pairs"):
        train_adapter(vec, [], cfg)


def test_fusion_cosine_is_the_weighted_sum():
    rng = np.random.default_rng(1)
    emb = {k: rng.normal(size=5) for k in "xyz"}
    tf = {k: np.abs(rng.normal(size=7)) for k in "xyz"}
    f = fusion_vectors(emb, tf, 0.3)
    got = cosine(np.stack([f["x"]]), np.stack([f["y"]]))[0, 0]
    want = 0.3 * cosine(emb["x"][None], emb["y"][None])[0, 0] + 0.7 * cosine(tf["x"][None], tf["y"][None])[0, 0]
    assert got == pytest.approx(want, abs=1e-6)


def test_topic_folds_and_finetune_key():
    split = load_split(FIX, "dev")
    two = KpaSplit(pd.concat([split.arguments, split.arguments.assign(topic="T2", arg_id=lambda d: "t" + d["arg_id"])]),
                   split.key_points, split.labels)
    fit, held = topic_folds(two, 1, seed=0)
    assert set(fit.arguments["topic"]) | set(held.arguments["topic"]) == {"T2", GROUP_NEG[0]}
    assert not set(fit.arguments["topic"]) & set(held.arguments["topic"])
    with pytest.raises(ValueError, match="holdout_topics=1: need between 1 and 0 of 1 topics"):
        topic_folds(split, 1, seed=0)
    cfg = ArgkpFinetuneConfig()
    key = finetune_key(split_sha(split), cfg, "base")
    assert key == finetune_key(split_sha(split), cfg.model_copy(update={"enabled": True}), "base")
    assert key != finetune_key(split_sha(split), cfg.model_copy(update={"epochs": 3}), "base")
    assert key != finetune_key(split_sha(held), cfg, "base") and key != finetune_key(split_sha(split), cfg, "other")


@pytest.mark.slow
def test_saved_adapter_is_an_embed_model(tmp_path):
    """The saved model (encoder + Dense(W) + Normalize) computes normalize(base @ W) and gets its own identity."""
    from pipeline.common.config import EmbedConfig
    from pipeline.common.embedders import make_embedder, resolve_model_path
    from pipeline.evaluation.argkp.finetune import save_adapted

    cfg = EmbedConfig()
    base = make_embedder(cfg)
    w = np.eye(base.dim, dtype=np.float32) + np.random.default_rng(0).normal(0, 0.05, (base.dim, base.dim)).astype(np.float32)
    save_adapted(resolve_model_path(cfg.model), w, tmp_path / "adapted")
    tuned = make_embedder(cfg.model_copy(update={"model": str(tmp_path / "adapted")}))
    texts = ["School uniforms reduce bullying", "uniforms are itchy"]
    want = adapt(dict(enumerate(base.embed(texts))), w)
    assert np.allclose(tuned.embed(texts), np.stack([want[0], want[1]]), atol=1e-5)
    assert tuned.identity != base.identity and tuned.identity.startswith("adapted-")


def test_main_bad_data(tmp_path, capsys):
    assert main(["--data", str(tmp_path)]) == 1
    assert "arguments_dev.csv: file not found" in capsys.readouterr().err


# Measured on dev once for the final configuration (2026-11-22; every choice made on 6 train topics held out from
# fine-tuning, see docs/clustering.md): pipeline = MiniLM fully fine-tuned on train (`embedding`); `fusion` = 0.9 *
# its cosine + 0.1 * TF-IDF cosine. ARI/NMI are means over UMAP seeds 1-5.
#                 ARI (per-seed range)   NMI    strict raw/softmax   relaxed raw/softmax
# embedding      0.263 (0.240-0.295)   0.369  0.788 / 0.836        0.910 / 0.930
# fusion         0.259 (0.228-0.280)   0.336  0.793 / 0.838        0.906 / 0.938
# embedding_base 0.124 (0.110-0.131)   0.199  0.724 / 0.775        0.873 / 0.901   (MiniLM as shipped)
# tfidf          0.164 (0.148-0.176)   0.240  0.780 / 0.776        0.846 / 0.880   (baseline)
# Floors leave room for numeric drift across machines (another CPU trains slightly different weights and UMAP
# amplifies float differences). Lowering a floor is an explicit, reviewed change.
FLOORS = {"embedding": {"ari": 0.21, "nmi": 0.30, "map_strict": 0.75, "map_relaxed": 0.88,
                        "softmax_map_strict": 0.80, "softmax_map_relaxed": 0.90},
          "fusion": {"ari": 0.20, "nmi": 0.27, "map_strict": 0.75, "map_relaxed": 0.88,
                     "softmax_map_strict": 0.80, "softmax_map_relaxed": 0.90},
          "embedding_base": {"ari": 0.09, "nmi": 0.15, "map_strict": 0.70, "map_relaxed": 0.85,
                             "softmax_map_strict": 0.75, "softmax_map_relaxed": 0.88}}


@pytest.mark.real
@pytest.mark.slow
@pytest.mark.timeout(3000)  # fine-tunes the encoder from scratch (about 3-15 min on 2 cores, by load)
def test_argkp_dev_floors(real_dir, tmp_path, capsys):
    """The final configuration from scratch: encoder fine-tuned on train (cold cache), dev scored once."""
    data = real_dir / "args" / "argkp2021"
    root = Path(__file__).resolve().parents[1]
    assert main(["--data", str(data), "--split", "dev", "--params", str(root / "params.yaml"),
                 "--cache-dir", str(tmp_path / "cache"), "--finetune-dir", str(tmp_path / "minilm-argkp")]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["counts"] == {"arguments": 932, "groups": 8, "single_matched": 604, "multi_matched": 67, "unmatched": 261}
    ft = r["finetune"]
    assert (ft["reused"], ft["fit_topics"], ft["train"]["examples"]) == (False, 24, 4260)
    assert r["embedding_model"].startswith("minilm-argkp-") and ft["base_identity"] != r["embedding_model"]
    for name, floors in FLOORS.items():
        c, raw, soft = r["clustering"][name], r["matching"][name], r["matching"][f"{name}_softmax"]
        assert c["ari"] >= floors["ari"] and c["nmi"] >= floors["nmi"], name
        assert raw["map_strict"] >= floors["map_strict"] and raw["map_relaxed"] >= floors["map_relaxed"], name
        assert soft["map_strict"] >= floors["softmax_map_strict"], name
        assert soft["map_relaxed"] >= floors["softmax_map_relaxed"], name
    tf, tf_soft = r["matching"]["tfidf"], r["matching"]["tfidf_softmax"]
    best_tf = max(tf["map_strict"], tf_soft["map_strict"])
    # The pipeline (fine-tuned embeddings, one representation for both tasks) beats TF-IDF on ARI and on strict
    # and relaxed mAP (the KPA-2021 headline), each side with its own clusterer and temperature tuned on train.
    emb, emb_soft = r["clustering"]["embedding"], r["matching"]["embedding_softmax"]
    assert emb["ari"] > r["clustering"]["tfidf"]["ari"] + 0.04
    assert len(emb["ari_per_seed"]) == 5 and min(emb["ari_per_seed"]) > max(r["clustering"]["tfidf"]["ari_per_seed"])
    assert emb_soft["map_strict"] > best_tf + 0.02
    assert emb_soft["map_relaxed"] > max(tf["map_relaxed"], tf_soft["map_relaxed"]) + 0.02
