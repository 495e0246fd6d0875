"""Positions on the seed corpus: coded roles of real quotes, the explicit relation statements, reply stances.

Uses the seed tables in data/processed when the pipeline has run, else builds them from data/raw/seeds with
the ingest, clean, attribute and segment stages. Model-based floors are @slow.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.common.config import PositionsConfig, load_yaml
from pipeline.common.schema import UNITS
from pipeline.common.storage import read_table
from pipeline.positions.relations import extract_relations, load_rules
from pipeline.positions.replies import load_stance_rules, participant_index, reply_edges
from pipeline.positions.roles import load_concepts, load_roles, unit_concepts

CFG = PositionsConfig()

# (unit, quote in the unit, concept, role): read in thread context and coded by coder1.
PINNED_ROLES = [
    ("kolsky-spade/post/s8", "Social Media is about tools and tactics", "social_media", "tool"),
    ("kolsky-spade/post/s9", "Social CRM is about strategically setting long-term goals", "social_crm", "strategy"),
    ("kolsky-spade/post/s10", "Social Business is the long-term, strategic process of reinventing your organization",
     "social_business", "transformation"),
    ("kolsky-spade/post/s26", "You confused Social Media (channels) with Social CRM (business strategy)", "social_media", "tool"),
    ("kolsky-spade/post/s26", "You confused Social Media (channels) with Social CRM (business strategy)", "social_crm", "strategy"),
    ("kolsky-spade/post/s40", "Social CRM is a long-term strategy that while it leverages Social Media", "social_crm", "strategy"),
    ("kolsky-spade/post/s50", "Social Media is nothing more than a band-aid", "social_media", "tool"),
    ("kolsky-spade/post/s52", "Social CRM is a strategy, but specific to a particular area", "social_crm", "strategy"),
    ("kolsky-spade/c2.1/s8", "Social CRM may at some point (soon ?) may simply be referred to as CRM", "social_crm", "evolution"),
    ("kolsky-spade/c4/s2", "push back on the idea that you can’t have a social media strategy", "social_media", "strategy"),
    ("kolsky-spade/c18/s0", "Social media is the tool", "social_media", "tool"),
    ("kolsky-spade/c21.1/s1", "the whole Social Business is nothing more than the natural evolution of business",
     "social_business", "evolution"),
    ("social-business-2013/post/s8", "A social media strategy lays out the channels, platforms, and tactics", "social_media", "tool"),
    ("social-business-2013/post/s16", "every business today is a social business", "social_business", "evolution"),
    ("sb-strategy-beats-sm/post/s12", "that is what a Social Business strategy does", "social_business", "strategy"),
]

# Every relation statement the codebook cues find in the seeds, each checked by reading the unit.
EXPECTED_RELATIONS = {
    ("livingston-multichannel/c2/s4", "social_media", "leads_to", ("social_business",), False),
    ("livingston-multichannel/c3/s0", "social_media", "leads_to", ("social_business",), False),
    ("livingston-multichannel/c5/s4", "social_media", "opposed", ("social_business",), False),
    ("livingston-multichannel/c5/s5", "social_media", "opposed", ("social_business",), False),
    ("kolsky-spade/post/s26", "social_media", "opposed", ("social_crm",), False),
    ("kolsky-spade/post/s40", "social_crm", "depends_on", ("social_media",), True),
    ("kolsky-spade/post/s40", "social_crm", "uses", ("social_media",), False),
    ("kolsky-spade/c2/s8", "social_media", "opposed", ("social_crm",), False),
    ("kolsky-spade/c2.1/s8", "social_crm", "equals", ("crm",), False),
    ("kolsky-spade/c3/s3", "social_crm", "equals", ("social_business",), False),
    ("kolsky-spade/c3.1/s0", "social_business", "equals", ("social_crm",), False),
    ("kolsky-spade/c4/s3", "social_media", "leads_to", ("social_crm",), False),
    ("kolsky-spade/c4.1/s1", "social_media", "part_of", ("social_crm",), False),
    ("kolsky-spade/c4.1/s8", "social_media", "part_of", ("social_crm",), False),
    ("kolsky-spade/c7.1/s3", "feedback_management", "part_of", ("crm",), False),
    ("kolsky-spade/c7.1/s4", "feedback_management", "uses", ("social_media",), False),
    ("kolsky-spade/c7.1.1.1/s1", "feedback_management", "part_of", ("crm",), False),
    ("kolsky-spade/c8/s1", "social_business", "equals", ("social_crm",), False),
    ("kolsky-spade/c10.1/s3", "social_crm", "opposed", ("social_business",), False),
    ("kolsky-spade/c15/s0", "social_media", "part_of", ("crm",), False),
    ("kolsky-spade/c16/s5", "social_media", "depends_on", ("social_crm",), False),
    ("kolsky-spade/c16.1.1.2/s1", "feedback_management", "part_of", ("crm",), False),
    ("kolsky-spade/c16.1.1.2/s4", "feedback_management", "part_of", ("crm",), False),
    ("social-business-2013/post/s1", "social_media", "leads_to", ("social_business",), False),
    ("social-business-2013/post/s7", "social_media", "opposed", ("social_business",), False),
    ("social-business-2013/post/s9", "social_media", "part_of", ("social_business",), False),
    ("sb-strategy-beats-sm/post/s0", "social_media", "opposed", ("social_business",), False),
    ("sb-strategy-beats-sm/post/s24", "social_business", "opposed", ("social_media",), False),
}


def build_seed_tables(root: Path, out: Path) -> None:
    """Run ingest -> clean -> attribute -> segment on the seeds into `out` (the stage CLIs, as in dvc.yaml)."""
    from pipeline.__main__ import main

    params = str(root / "params.yaml")
    steps = [
        ["ingest", "--params", params, "--root", str(root), "--documents", f"{out}/documents.parquet",
         "--utterances", f"{out}/utterances.parquet", "--problems", f"{out}/problems.parquet",
         "--skipped", f"{out}/skipped_spans.parquet"],
        ["clean", "--params", params, "--utterances", f"{out}/utterances.parquet", "--out", f"{out}/clean.parquet",
         "--removals", f"{out}/removals.parquet", "--metrics", f"{out}/clean.json"],
        ["attribute", "--params", params, "--utterances", f"{out}/clean.parquet", "--documents", f"{out}/documents.parquet",
         "--out", f"{out}/attributed_utterances.parquet", "--participants", f"{out}/participants.parquet",
         "--metrics", f"{out}/attribute.json"],
        ["segment", "--params", params, "--utterances", f"{out}/attributed_utterances.parquet", "--codebook",
         str(root / "codebooks" / "social_business.yaml"), "--root", str(root), "--out", f"{out}/units.parquet",
         "--problems", f"{out}/segment_problems.parquet", "--metrics", f"{out}/segment.json"],
    ]
    for argv in steps:
        assert main(argv) == 0, argv[0]


@pytest.fixture(scope="module")
def seeds(root, tmp_path_factory):
    """Seed units, attributed utterances, participants, documents and the project codebook.

    Uses data/processed when the DVC pipeline has been run, else builds the tables from data/raw/seeds.
    """
    d = root / "data" / "processed"
    names = ("units", "attributed_utterances", "participants", "documents")
    if not all((d / f"{n}.parquet").exists() for n in names):
        d = tmp_path_factory.mktemp("seeds")
        build_seed_tables(root, d)
    return {"units": read_table(d / "units.parquet", UNITS), "utts": read_table(d / "attributed_utterances.parquet"),
            "participants": read_table(d / "participants.parquet"), "docs": read_table(d / "documents.parquet"),
            "codebook": load_yaml(root / "codebooks" / "social_business.yaml")}


@pytest.fixture(scope="module")
def coded(root):
    """The coder1 role sheet."""
    return pd.read_csv(root / "data" / "annotations" / "roles_coder1.csv", dtype=str, keep_default_na=False)


def test_coding_covers_every_concept_mention(seeds, coded):
    uc = unit_concepts(seeds["units"], load_concepts(seeds["codebook"]), CFG.min_context_chars)
    assert set(zip(coded["unit_id"], coded["concept"], strict=True)) == set(zip(uc["unit_id"], uc["concept"], strict=True))
    text = dict(zip(seeds["units"]["unit_id"], seeds["units"]["text"], strict=True))
    assert all(text[u] == t for u, t in zip(coded["unit_id"], coded["text"], strict=True))
    assert set(coded["role"]) <= {r.id for r in load_roles(seeds["codebook"])} and set(coded["coder"]) == {"coder1"}


@pytest.mark.parametrize(("unit", "quote", "concept", "role"), PINNED_ROLES)
def test_pinned_roles_are_real_quotes(seeds, coded, unit, quote, concept, role):
    uid = f"seeds/{unit}"
    assert quote in seeds["units"].set_index("unit_id").loc[uid, "text"]
    row = coded[(coded["unit_id"] == uid) & (coded["concept"] == concept)]
    assert row["role"].tolist() == [role]


def test_seed_relations_exact(seeds):
    rules = load_rules(seeds["codebook"], CFG.max_gap_chars, CFG.short_gap_chars, CFG.negation_window)
    rel = extract_relations(seeds["units"], load_concepts(seeds["codebook"]), rules)
    got = {(u.split("/", 1)[1], s, r, tuple(t), bool(n))
           for u, s, r, t, n in zip(rel["unit_id"], rel["source"], rel["relation"], rel["targets"], rel["negated"], strict=True)}
    assert got == EXPECTED_RELATIONS
    eq = rel[rel["unit_id"] == "seeds/kolsky-spade/c8/s1"]
    assert eq["cue"].tolist() == ["Social Business = Social CRM + Enterprise 2.0"]


def test_seed_reply_stances(seeds, root):
    rules = load_stance_rules(seeds["codebook"], CFG.contrast_window)
    docs = seeds["docs"]
    post_authors = {d: a for d, a in zip(docs["doc_id"], docs["post_author"], strict=True) if isinstance(a, str)}
    rep = reply_edges(seeds["utts"], participant_index(seeds["participants"]), rules, post_authors).set_index("utterance_id")
    assert rep.loc["seeds/livingston-multichannel/c2.1", "stance"] == "rebut"  # "LOL, I guess everyone sees this differently"
    assert rep.loc["seeds/livingston-multichannel/c1", "stance"] == "agree"  # "Great points, Geoff."
    assert rep.loc["seeds/livingston-multichannel/c1", "addressee_id"] == "seeds/geoff-livingston"
    assert rep.loc["seeds/kolsky-spade/c4", "stance"] == "partly_agree"  # Allen: agree ... push back
    assert rep.loc["seeds/kolsky-spade/c4", "addressee_id"] == "seeds/esteban-kolsky"
    gold = pd.read_csv(root / "data" / "annotations" / "replies_coder1.csv", dtype=str)
    agree = (rep.loc[gold["utterance_id"], "stance"].to_numpy() == gold["stance"].to_numpy()).mean()
    assert agree >= 0.58  # measured 0.614 (57 coded replies)


def test_seed_role_model_floors(seed_project: Path) -> None:
    """The positions stage's role validation in the session's seed pipeline run (268 coded mentions)."""
    m = json.loads((seed_project / "metrics" / "positions.json").read_text())
    assert m["n_coded"] == 268 and m["method"] == "supervised"
    assert m["supervised_cv"]["macro_f1"] >= 0.54  # measured 0.573
    assert m["zeroshot"]["macro_f1"] >= 0.48  # measured 0.514 (threshold 0.5)
    roles = read_table(seed_project / "data" / "processed" / "unit_roles.parquet")
    zs = roles.set_index(["unit_id", "concept"])["zeroshot_role"]
    for unit, _, concept, role in [p for p in PINNED_ROLES if p[0] in (
            "kolsky-spade/post/s8", "kolsky-spade/post/s9", "kolsky-spade/post/s10", "kolsky-spade/c21.1/s1",
            "kolsky-spade/c2.1/s8", "social-business-2013/post/s8", "sb-strategy-beats-sm/post/s12")]:
        assert zs[(f"seeds/{unit}", concept)] == role, unit
