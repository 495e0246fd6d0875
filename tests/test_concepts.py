"""Concept mentions: codebook validation, case and overlap rules, and real sentences of the seeds."""

from __future__ import annotations

import pytest

from pipeline.common.concepts import load_forms, mentions, tag
from pipeline.common.config import ConfigError, load_yaml
from tests.seed_stages import CODEBOOK, seed_tables


@pytest.fixture(scope="module")
def forms():
    return load_forms(load_yaml(CODEBOOK)["concepts"], str(CODEBOOK))


def test_codebook_concepts():
    concepts = load_yaml(CODEBOOK)["concepts"]
    assert set(concepts) == {"social_media", "social_crm", "crm", "social_business", "feedback_management",
                             "customer_service", "customer_experience", "co_creation", "multichannel", "roi"}
    assert all(entry.get("label") and entry.get("definition") for entry in concepts.values())


def test_case_rules(forms):
    assert tag("SM and SMM", forms) == ["social_media"]
    assert tag("sm and smm, an fm radio", forms) == []
    assert tag("sCRM or SCRM", forms) == ["social_crm"] and tag("scrm", forms) == []
    assert tag("SOCIAL MEDIA and Social Business", forms) == ["social_business", "social_media"]


def test_longest_mention_wins(forms):
    found = mentions("Social CRM vs CRM and social media marketing", forms)
    assert [(m.concept, m.surface) for m in found] == [
        ("social_crm", "Social CRM"), ("crm", "CRM"), ("social_media", "social media marketing")]


def test_whole_words_only(forms):
    assert tag("SearchCRM, SMART, ROIs", forms) == []
    assert tag("the E2.0 crowd", forms) == ["social_business"]


@pytest.mark.parametrize(("entry", "message"), [
    ({}, "must be a non-empty mapping"),
    ({"sm": {"forms": []}}, r"concepts\.sm: needs a non-empty 'forms' list"),
    ({"sm": {"forms": [{"pattern": "(bad"}]}}, r"concepts\.sm\.forms\[0\]: bad pattern"),
    ({"sm": {"forms": [{"pattern": "SM", "case": "upper"}]}}, r"concepts\.sm\.forms\[0\]: case must be"),
])
def test_bad_codebook_names_file_and_key(entry, message):
    with pytest.raises(ConfigError, match=message) as err:
        load_forms(entry, "codebooks/x.yaml")
    assert "codebooks/x.yaml" in str(err.value)


# Real sentences of the seed threads (checked to occur in the cleaned texts) and their concepts.
SENTENCES = [
    ("Social Business = Social CRM + Enterprise 2.0", ["social_business", "social_crm"]),
    ("I think it’s possible for SM to have a lasting, effect with a positive ROI", ["roi", "social_media"]),
    ("To me Social Media (and I wrote about it back in the Brief History of SCRM post) is about making EFM (or FM by now) the fourth-pillar of CRM.",
     ["crm", "feedback_management", "social_crm", "social_media"]),
    ("Successful Social Media Marketing (SMM) is important.", ["social_media"]),
    ("so we should be opening up sCRM, creating feeds for a social operational structure", ["social_crm"]),
    ("No one owns social because it is not an initiative or a project, it is a new way of working.", []),
    ("This is where I believe a term like SocBiz has value.", ["social_business"]),
    ("the dichotomy present in the enterprise between SCRM and E2.0 is too deep", ["social_business", "social_crm"]),
    ("See my recent piece in SearchCRM http://bit.ly/80StrX for how a Persona approach can help drive this.", []),
    ("If you have customers and you interact with them (via callcenters, e-mail, shops etc) you should have a (CRM) strategy.",
     ["crm", "customer_service"]),
    ("There are two differentiating elements for Social CRM compared to traditional CRM: Feedbackmanagement (all the way to actionable insights and closing the loop) and Co-creation.",
     ["co_creation", "crm", "feedback_management", "social_crm"]),
    ("Being a multi channel kind of girl, I think multi channel integration of SM will lead to social business, at least in some industries.",
     ["multichannel", "social_business", "social_media"]),
    ("Convincing the executive why integration of social networks is important", ["social_media"]),
    ("I suspect we will see a lot of businesses shift their resources to social media to the detriment of their core customer service channels, with the net effect that the overall customer experience will be impacted.",
     ["customer_experience", "customer_service", "social_media"]),
    ("“networked business” or “networked nonprofit” implies a social business.", ["social_business"]),
    ("it would have been “Web 2.0 CRM”", ["social_crm"]),
    ("Small businesses and NPOs will spend as much as 50% on social.", []),
    ("Slowly you begin to listen to the streams; you engage and interact with customers.", []),
]


@pytest.mark.parametrize(("sentence", "concepts"), SENTENCES)
def test_seed_sentences(forms, sentence, concepts):
    texts = seed_tables()["attributed"].clean_text
    assert texts.str.contains(sentence, regex=False).any(), "sentence not in the seeds"
    assert tag(sentence, forms) == concepts


def test_seed_units_carry_concepts():
    t = seed_tables()
    units = t["units"].set_index("unit_id")
    assert units.concepts["seeds/kolsky-spade/c8/s1"] == ["social_business", "social_crm"]
    m = t["segment_metrics"]
    # Floors pinned on the seeds (pysbd 0.3.4, codebook as committed): social media dominates.
    assert m["concept_units"]["social_media"] >= 100 and m["concept_units"]["social_crm"] >= 30
    assert m["units_with_concept"] >= 180
