"""Reply network: stance cues from the project codebook, edges from a tiny thread, per-pair summary."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.common.config import ConfigError, PositionsConfig, load_yaml
from pipeline.positions.replies import (
    classify_stance,
    load_stance_rules,
    participant_index,
    reply_edges,
    reply_pairs,
)


@pytest.fixture(scope="module")
def rules(root):
    """Stance rules of the project codebook."""
    return load_stance_rules(load_yaml(root / "codebooks" / "social_business.yaml"), PositionsConfig().contrast_window)


@pytest.mark.parametrize(("text", "stance", "cues"), [
    ("Great points, Geoff. I think in many ways it’s one of those chicken and egg things.", "agree", ["Great points"]),
    ("LOL, I guess everyone sees this differently. I see sales as one of the last places. But why does social "
     "have to be used for sales?", "rebut", ["everyone sees this differently"]),
    ("I see where this is going and definitely agree that social media = channels for the most part. But as a "
     "marketing guy, I have to push back on the idea", "partly_agree", ["definitely agree", "push back"]),
    ("Agree completely Ludo.. Although I do believe that co-creation is not an attitude", "partly_agree",
     ["Agree completely", "Although"]),
    ("Thanks for the read and the comment.", "neutral", []),
    ("I’m less sanguine about “Social Business” as a term of art.", "rebut", ["less sanguine"]),
])
def test_classify_stance(rules, text, stance, cues):
    assert classify_stance(text, rules) == (stance, cues)


def test_contrast_far_from_agreement_does_not_count(rules):
    text = "I agree with you. " + "x " * 200 + "but that is another story."
    assert classify_stance(text, rules) == ("agree", ["I agree"])


def _thread() -> pd.DataFrame:
    rows = [
        ("d/post", None, 0, "Ann", True, "Post text."),
        ("d/c1", "d/post", 1, "bob", True, "Great post, Ann."),
        ("d/c1.1", "d/c1", 2, "Ann", True, "I disagree, Bob."),
        ("d/c2", "d/post", 1, "Bob", True, "Well said. But one thing."),
        ("d/c3", "d/post", 1, "Cy", False, "Pingback"),  # excluded
        ("d/c4", "d/post", 1, None, True, "Hmm."),  # unknown author
        ("e/c1", None, 1, "Cy", True, "Interesting point!"),  # post missing: answers e's post author
    ]
    return pd.DataFrame([{"corpus": "k", "doc_id": u.split("/")[0], "utterance_id": u, "parent_id": p, "depth": d,
                          "author": a, "included": inc, "clean_text": t} for u, p, d, a, inc, t in rows])


def test_reply_edges_and_pairs(rules):
    participants = pd.DataFrame([
        {"corpus": "k", "participant_id": "k/ann", "name": "Ann", "aliases": ["Ann"], "n_utterances": 2, "documents": ["d"]},
        {"corpus": "k", "participant_id": "k/bob", "name": "Bob", "aliases": ["Bob", "bob"], "n_utterances": 2, "documents": ["d"]},
    ])
    edges = reply_edges(_thread(), participant_index(participants), rules, {"e": "Dee"})
    assert edges[["utterance_id", "replier_id", "addressee_id", "stance"]].astype(object).where(edges.notna(), None).values.tolist() == [
        ["d/c1", "k/bob", "k/ann", "agree"],
        ["d/c1.1", "k/ann", "k/bob", "rebut"],
        ["d/c2", "k/bob", "k/ann", "partly_agree"],
        ["d/c4", None, "k/ann", "neutral"],
        ["e/c1", "k/cy", "k/dee", "agree"],
    ]
    assert pd.isna(edges["parent_id"].iloc[-1]) and edges["parent_id"].iloc[0] == "d/post"
    pairs = reply_pairs(edges)
    assert pairs[["replier_id", "addressee_id", "n_replies", "n_agree", "n_partly_agree", "n_rebut", "dominant_stance"]
                 ].values.tolist() == [
        ["k/ann", "k/bob", 1, 0, 0, 1, "rebut"],
        ["k/bob", "k/ann", 2, 1, 1, 0, "agree"],
        ["k/cy", "k/dee", 1, 1, 0, 0, "agree"],
    ]
    assert pairs["utterance_ids"].tolist()[1] == ["d/c1", "d/c2"]


def test_missing_stance_section():
    with pytest.raises(ConfigError, match="cb.yaml: relations.reply_stances is missing"):
        load_stance_rules({"relations": {}}, 100, "cb.yaml")
