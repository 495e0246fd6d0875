"""Relation statements: the project codebook's cue patterns on tiny hand-written units, exact results."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.common.config import ConfigError, PositionsConfig, load_yaml
from pipeline.positions.relations import (
    compile_pattern,
    extract_relations,
    load_rules,
    template,
    unit_relations,
)
from pipeline.positions.roles import find_mentions, load_concepts

CFG = PositionsConfig()


@pytest.fixture(scope="module")
def setup(root, fixtures):
    """Project codebook relations + fixture concepts."""
    codebook = load_yaml(root / "codebooks" / "social_business.yaml")
    concepts = load_concepts(load_yaml(fixtures / "positions" / "concepts.yaml"))
    rules = load_rules(codebook, CFG.max_gap_chars, CFG.short_gap_chars, CFG.negation_window)
    return concepts, rules


def rels(text, setup):
    concepts, rules = setup
    out = unit_relations(text, find_mentions(text, concepts), rules)
    return sorted((r["source"], r["relation"], tuple(r["targets"]), r["negated"]) for r in out)


def test_template_and_compile():
    concepts = load_concepts({"concepts": {"a": {"forms": ["Social Media"]}, "b": {"forms": ["CRM"]}}})
    text = "Social Media is part of CRM"
    assert template(text, find_mentions(text, concepts)) == "⟦0⟧ is part of ⟦1⟧"
    assert compile_pattern("{A}~x…{B}", 9, 3) == "⟦(?P<a>\\d+)⟧(?P<S0>[^⟦⟧]{0,3}?)x(?P<L1>[^⟦⟧]{0,9}?)⟦(?P<b>\\d+)⟧"


def test_equation_with_sum(setup):
    assert rels("I also agree with Mark – Social Business = Social CRM + Enterprise 2.0 (he did not say that exactly", setup) == [
        ("social_business", "equals", ("social_crm", "enterprise_2_0"), False)]


def test_leverages_but_does_not_depend(setup):
    text = "Social CRM is a long-term strategy that while it leverages Social Media does not depend on it."
    assert rels(text, setup) == [("social_crm", "depends_on", ("social_media",), True),
                                 ("social_crm", "uses", ("social_media",), False)]


def test_inclusion_not_fooled_by_earlier_negation(setup):
    text = ("I am not saying that Social Marketing does not belong in this conversation, I probably did not go deep "
            "enough into that, and I do place it within Social CRM.")
    assert rels(text, setup) == [("social_marketing", "part_of", ("social_crm",), False)]


def test_confusion_is_opposition(setup):
    assert rels("You confused Social Media (channels) with Social CRM (business strategy).", setup) == [
        ("social_media", "opposed", ("social_crm",), False)]


def test_arrow_chain(setup):
    text = "on the path to full-blown Social CRM (Social Media -> Social Marketing -> CRM strategy)."
    assert ("social_media", "leads_to", ("social_marketing",), False) in rels(text, setup)
    assert ("social_marketing", "leads_to", ("crm",), False) in rels(text, setup)


def test_no_relation_with_one_concept_or_far_apart(setup):
    assert rels("Social Media is about tools and tactics.", setup) == []
    far = "Social Media " + "x" * 300 + " within Social CRM"
    assert rels(far, setup) == []


def test_extract_relations_rows(setup):
    concepts, rules = setup
    units = pd.DataFrame([
        {"corpus": "c", "doc_id": "c/d", "utterance_id": "c/d/u", "unit_id": "c/d/u/s0", "author": "A",
         "text": "Social Business = Social CRM + Enterprise 2.0",
         "concepts": ["social_business", "social_crm", "enterprise_2_0"]},
        {"corpus": "c", "doc_id": "c/d", "utterance_id": "c/d/u", "unit_id": "c/d/u/s1", "author": "A",
         "text": "Social Media is part of CRM", "concepts": ["social_media"]},  # crm not tagged: ignored
    ])
    out = extract_relations(units, concepts, rules)
    assert out[["unit_id", "source", "relation", "cue"]].values.tolist() == [
        ["c/d/u/s0", "social_business", "equals", "Social Business = Social CRM + Enterprise 2.0"]]
    assert out["targets"].tolist() == [["social_crm", "enterprise_2_0"]]


def test_bad_pattern_names_the_key():
    with pytest.raises(ConfigError, match=r"cb.yaml: relations.types.x.patterns\[0\] needs both"):
        load_rules({"relations": {"types": {"x": {"patterns": ["{A} is"]}}}}, 10, 5, 5, "cb.yaml")
    with pytest.raises(ConfigError, match="relations.types is empty"):
        load_rules({"relations": {}}, 10, 5, 5, "cb.yaml")
