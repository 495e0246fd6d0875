"""Choosing units to code next: exact picks of uncertainty (cap, round robin, k-center), cold start, random, stratified."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.coding.sheets import stratified_sample
from pipeline.coding.strategies import StrategyOptions, choose_units, uncertainty

# Six units in two documents; margins 0.05 (twice), 0.01, 0.85, 0.3, 0.5.
SIX = {
    "a/u1/s0": [0.40, 0.35, 0.25],
    "a/u1/s1": [0.50, 0.45, 0.05],
    "a/u1/s2": [0.34, 0.33, 0.33],
    "a/u2/s0": [0.90, 0.05, 0.05],
    "b/u1/s0": [0.60, 0.30, 0.10],
    "b/u1/s1": [0.20, 0.70, 0.10],
}


def pool_of(ids: list[str]) -> pd.DataFrame:
    """Pool rows (unit_id, doc_id, utterance_id, concepts) from '<doc>/<utt>/s<i>' ids."""
    return pd.DataFrame({"unit_id": ids, "doc_id": [i.split("/")[0] for i in ids],
                         "utterance_id": [i.rsplit("/", 1)[0] for i in ids], "concepts": [[] for _ in ids]})


@pytest.fixture()
def six() -> tuple[pd.DataFrame, np.ndarray]:
    """The six units (rows deliberately not in unit_id order) and their scores."""
    ids = ["b/u1/s1", "a/u1/s0", "a/u2/s0", "a/u1/s2", "b/u1/s0", "a/u1/s1"]
    return pool_of(ids), np.array([SIX[i] for i in ids])


def picks(pool: pd.DataFrame, n: int, strategy: str = "uncertainty", **kw: object) -> list[str]:
    """unit_ids chosen, in pick order."""
    opts = {k: kw.pop(k) for k in list(kw) if k in StrategyOptions.__dataclass_fields__}
    return choose_units(pool, n, strategy, 0, StrategyOptions(**opts), **kw)["unit_id"].tolist()  # type: ignore[arg-type]


def test_uncertainty_measures_exact() -> None:
    s = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.25, 0.25, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    assert np.allclose(uncertainty(s, "margin"), [1.0, 0.0, 0.75, 1.0])
    assert np.allclose(uncertainty(s, "entropy"), [np.log(2) / np.log(3), 0.0, 1.5 * np.log(2) / np.log(3), 1.0])
    with pytest.raises(ValueError, match="measure 'gini'"):
        uncertainty(s, "gini")
    with pytest.raises(ValueError, match="k>=2"):
        uncertainty(np.ones((3, 1)), "margin")


def test_uncertainty_per_utterance_cap_and_ties_by_unit_id(six: tuple[pd.DataFrame, np.ndarray]) -> None:
    pool, scores = six
    # most uncertain first: a/u1/s2 (.99), then the tie a/u1/s0 = a/u1/s1 (.95) broken by unit_id
    assert picks(pool, 4, scores=scores, diversity="none", max_per_utterance=0) == [
        "a/u1/s2", "a/u1/s0", "a/u1/s1", "b/u1/s0"]
    assert picks(pool, 4, scores=scores, diversity="none", max_per_utterance=2) == [
        "a/u1/s2", "a/u1/s0", "b/u1/s0", "b/u1/s1"]


def test_uncertainty_round_robin_over_documents(six: tuple[pd.DataFrame, np.ndarray]) -> None:
    pool, scores = six
    assert picks(pool, 4, scores=scores) == ["a/u1/s2", "b/u1/s0", "a/u1/s0", "b/u1/s1"]
    # cap 1: a third pass finds nothing under the cap, so the cap is relaxed in uncertainty order
    got = choose_units(pool, 5, "uncertainty", 0, StrategyOptions(max_per_utterance=1), scores=scores)
    assert got["unit_id"].tolist() == ["a/u1/s2", "b/u1/s0", "a/u2/s0", "a/u1/s0", "a/u1/s1"]
    assert got["pick"].tolist() == [0, 1, 2, 3, 4] and set(got["reason"]) == {"uncertainty"}
    assert np.allclose(got["uncertainty"], [0.99, 0.7, 0.15, 0.95, 0.95])


def test_kcenter_among_top_uncertain() -> None:
    pool = pool_of(["d/u1/s0", "d/u2/s0", "d/u3/s0", "d/u4/s0"])
    vectors = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [-1.0, 0.0]])
    scores = np.array([[0.55, 0.45], [0.525, 0.475], [0.75, 0.25], [0.85, 0.15]])  # u: .9, .95, .5, .3
    kc = {"scores": scores, "vectors": vectors, "diversity": "kcenter"}
    assert picks(pool, 2, **kc, coded_vectors=np.array([[1.0, 0.0]])) == ["d/u4/s0", "d/u3/s0"]
    assert picks(pool, 2, **kc) == ["d/u2/s0", "d/u4/s0"]  # no coded units: most uncertain, then farthest
    assert picks(pool, 2, **kc, kcenter_pool=1, coded_vectors=np.array([[1.0, 0.0]])) == ["d/u2/s0", "d/u1/s0"]


def test_cold_start_offers_uncoded_labels_first() -> None:
    pool = pool_of(["d/u1/s0", "d/u2/s0", "d/u3/s0", "d/u4/s0"])
    vectors = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0], [-1.0, 0.0]])
    scores = np.array([[0.55, 0.45], [0.525, 0.475], [0.75, 0.25], [0.85, 0.15]])
    cold = {"vectors": vectors, "label_ids": ["tools", "org", "other"], "coded_labels": ["tools", "tools"],
            "prototypes": np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 0.0]])}
    got = choose_units(pool, 3, "uncertainty", 0, StrategyOptions(cold_start_per_label=1), scores=scores, **cold)
    assert got["unit_id"].tolist() == ["d/u3/s0", "d/u4/s0", "d/u2/s0"]
    assert got["reason"].tolist() == ["cold-start:org", "cold-start:other", "uncertainty"]
    got = choose_units(pool, 4, "random", 5, StrategyOptions(cold_start_per_label=2), **cold)
    assert got["unit_id"].tolist() == ["d/u3/s0", "d/u4/s0", "d/u2/s0", "d/u1/s0"]
    assert got["reason"].tolist() == ["cold-start:org", "cold-start:other"] * 2
    assert picks(pool, 2, "random", **cold, cold_start_per_label=0) == picks(pool, 2, "random")  # off


def test_random_and_stratified_are_seeded(six: tuple[pd.DataFrame, np.ndarray]) -> None:
    pool, _ = six
    one = choose_units(pool, 3, "random", 7)
    assert one["unit_id"].tolist() == choose_units(pool.iloc[::-1], 3, "random", 7)["unit_id"].tolist()
    assert len({tuple(choose_units(pool, 3, "random", s)["unit_id"]) for s in range(6)}) > 1
    assert set(one["reason"]) == {"random"} and one["uncertainty"].isna().all()
    strat = choose_units(pool, 3, "stratified", 4)["unit_id"].tolist()
    assert strat == stratified_sample(pool.sort_values("unit_id"), 3, 4)["unit_id"].tolist()
    assert choose_units(pool, 10, "random", 1)["unit_id"].nunique() == 6  # n larger than the pool
    assert choose_units(pool, 0, "random", 1).empty


def test_choose_units_errors(six: tuple[pd.DataFrame, np.ndarray]) -> None:
    pool, scores = six
    with pytest.raises(ValueError, match="strategy 'smart'"):
        choose_units(pool, 2, "smart", 0)
    with pytest.raises(ValueError, match="needs model scores"):
        choose_units(pool, 2, "uncertainty", 0)
    with pytest.raises(ValueError, match="scores has 5 rows for 6 pool units"):
        choose_units(pool, 2, "uncertainty", 0, scores=scores[:5])
    with pytest.raises(ValueError, match="duplicate unit_ids"):
        choose_units(pd.concat([pool, pool.iloc[:1]]), 2, "random", 0)
    with pytest.raises(ValueError, match=r"labels \['org'\] have no coded unit"):
        choose_units(pool, 2, "random", 0, label_ids=["tools", "org"], coded_labels=["tools"])
    with pytest.raises(ValueError, match="'kcenter' needs unit vectors"):
        choose_units(pool, 2, "uncertainty", 0, StrategyOptions(diversity="kcenter"), scores=scores)
    with pytest.raises(ValueError, match="needs a `concepts` column"):
        choose_units(pool.drop(columns="concepts"), 2, "stratified", 0)
    with pytest.raises(ValueError, match="must be >= 0"):
        choose_units(pool, -1, "random", 0)
    with pytest.raises(ValueError, match="lacks columns"):
        choose_units(pool.drop(columns="doc_id"), 2, "random", 0)
