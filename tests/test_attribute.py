"""Attribution: every rule on a hand-built thread, and comments of the seed threads verified by reading."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.common.config import load_params
from pipeline.common.names import canonical_name, edit_distance, first_name_match, name_key
from pipeline.common.schema import CLEAN_UTTERANCES, DOCUMENTS, PARTICIPANTS, make_table
from pipeline.common.storage import read_json, read_table, write_table
from pipeline.prepare.attribute_cli import main
from pipeline.prepare.attribution import Rules, attribute, attribute_metrics, vocative
from tests.seed_stages import PARAMS, by_opening, seed_tables

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "attribute" / "thread.json"


def fixture_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(clean utterances, documents) of the hand-built threads 'a' (host Esteban Kolsky) and 'b'."""
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))
    rows = []
    for k, r in enumerate(raw["utterances"]):
        doc = f"x/{r['doc']}"
        rows.append({"corpus": "x", "doc_id": doc, "utterance_id": f"{doc}/{r['id']}",
                     "parent_id": f"{doc}/{r['parent']}" if r["parent"] else None, "position": k,
                     "depth": r["depth"], "kind": r["kind"], "author": r["author"],
                     "author_evidence": "manifest:post_author" if r["author"] else None, "date": None,
                     "text": r["clean_text"], "source_file": f"{r['doc']}.txt", "char_start": None,
                     "char_end": None, "clean_text": r["clean_text"], "commentluv": r["commentluv"],
                     "signature": r["signature"], "included": True, "exclusion_reason": None,
                     "author_confidence": None})
    docs = [{"corpus": "x", "doc_id": f"x/{d}", "title": None, "url": None, "post_author": a, "date": None,
             "platform": None, "format": "thread_text", "source_file": f"{d}.txt", "source_sha256": "0"}
            for d, a in raw["documents"].items()]
    return make_table(rows, CLEAN_UTTERANCES), make_table(docs, DOCUMENTS)


@pytest.fixture(scope="module")
def params():
    return load_params(PARAMS)


@pytest.fixture(scope="module")
def fixed(params):
    utt, docs = fixture_tables()
    return attribute(utt, docs, params.attribute, params.clean)


HOST = "Esteban Kolsky"
# local id -> (author, confidence): habit = 0.7 * 6/8 host-phrase replies = 0.525.
EXPECTED = {
    "a/post": (HOST, 1.0),
    "a/c1": ("Mike P", 0.99), "a/c1.1": (HOST, 0.929),          # phrase + habit + chain
    "a/c2": ("Mike Boysen", 0.99), "a/c2.1": (HOST, 0.929),     # the other Mike
    "a/c3": ("Allen", 0.8), "a/c3.1": (HOST, 0.929),
    "a/c3.1.1": ("Nate", 0.8),                                   # "Well said," names no one
    "a/c3.1.1.1": (HOST, 0.715),                                 # habit + chain, no phrase
    "a/c4": (None, None), "a/c4.1": (HOST, 0.881),               # hedged vocative stays unknown
    "a/c5": (None, None), "a/c5.1": (HOST, 0.525),               # habit alone, just above 0.5
    "a/c6": ("Prem Kumar", 0.999), "a/c6.1": ("Mitch", 0.8),
    "a/c6.1.1": (None, None),                                    # host habit vs chain back to Prem
    "a/c7": ("Lamar", 0.8), "a/c7.1": (HOST, 0.929),
    "a/c8": ("Al", 0.8), "a/c8.1": (HOST, 0.929),
    "b/c1": ("Mike Boysen", 0.95), "b/c2": ("Mike P", 0.95),
    "b/c3": ("Mike", 0.8), "b/c3.1": (None, None),               # no post author: no host evidence
}


def test_fixture_authors_and_confidences(fixed):
    out = fixed[0].set_index("utterance_id")
    got = {u[2:]: (out.author[u] if pd.notna(out.author[u]) else None,
                   out.author_confidence[u] if pd.notna(out.author_confidence[u]) else None) for u in out.index}
    assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in EXPECTED.items()}
    for k, (_, conf) in EXPECTED.items():
        assert got[k][1] == pytest.approx(conf, abs=1e-3) if conf is not None else got[k][1] is None, k


def test_fixture_evidence_texts(fixed):
    ev = fixed[0].set_index("utterance_id").author_evidence
    assert ev["x/a/c6.1"] == "vocative of reply a/c6.1.1: 'Mitch,'"
    assert ev["x/a/post"] == ("manifest:post_author: 'Esteban Kolsky'; vocative of reply a/c1: 'Estaban,' "
                              "(= Esteban Kolsky, its own name evidence, spelling variant)")
    assert ev["x/a/c1"] == "commentluv: 'Mike P´s last blog'; vocative of reply a/c1.1: 'Thanks Mike,' (= Mike P, its own name evidence)"
    assert ev["x/a/c4"] == ("unknown (0.30 < 0.50), best guess Richard: "
                            "vocative of reply a/c4.1: 'Richard (or someone else?),' (hedged)")
    assert ev["x/a/c6.1.1"].startswith("unknown (0.33 < 0.50), best guess Esteban Kolsky: host habit")
    assert "against: Prem Kumar (0.40): reply chain: a/c6 (Prem Kumar) -> a/c6.1 (Mitch) -> this" in ev["x/a/c6.1.1"]
    assert ev["x/b/c3"] == "vocative of reply b/c3.1: 'Mike,' (ambiguous: Mike Boysen, Mike P)"
    assert pd.isna(ev["x/a/c5"])


def test_fixture_participants(fixed):
    people = fixed[1].set_index("name")
    assert list(people.index) == ["Al", "Allen", "Esteban Kolsky", "Lamar", "Mike", "Mike Boysen", "Mike P",
                                  "Mitch", "Nate", "Prem Kumar"]
    assert people.aliases["Esteban Kolsky"] == ["Estaban", "Esteban Kolsky"]
    assert people.aliases["Prem Kumar"] == ["Prem", "Prem Kumar"]
    assert people.n_utterances["Esteban Kolsky"] == 9
    assert people.documents["Mike Boysen"] == ["x/a", "x/b"] and people.n_utterances["Mike P"] == 2
    assert people.participant_id["Mike Boysen"] == "x/mike-boysen"


def test_fixture_inputs_not_modified(params):
    utt, docs = fixture_tables()
    before = utt.copy()
    attribute(utt, docs, params.attribute, params.clean)
    pd.testing.assert_frame_equal(utt, before)


@pytest.mark.parametrize(("opening", "expected"), [
    ("Mitch,\n\nVery", ("Mitch", "Mitch,", False)),
    ("Hi Ludo, (and Esteban of course)", ("Ludo", "Hi Ludo,", False)),
    ("Prem (et al),", ("Prem", "Prem (et al),", False)),
    ("Richard (or someone else from Mindshare?),", ("Richard", "Richard (or someone else from Mindshare?),", True)),
    ("Agree completely Ludo..", ("Ludo", "Agree completely Ludo..", False)),
    ("Great points, Geoff. I think", ("Geoff", "Great points, Geoff.", False)),
    ("Esteban\n\nGreat post.", ("Esteban", "Esteban", False)),
    ("Well said,", None), ("Yes!", None), ("LOL, I guess", None), ("Yeah, I think", None),
    ("Thanks for the kind words, this is", None), ("Nice zinger to start the New Year (Happy)!", None),
])
def test_vocative(params, opening, expected):
    assert vocative(opening, Rules.from_config(params.attribute, params.clean)) == expected


def test_names():
    assert edit_distance("Estaban", "Esteban") == 1 and name_key(" michael  nurse") == "michael nurse"
    assert first_name_match("Estaban", "Esteban Kolsky", 1, 5) == 1
    assert first_name_match("Mark", "Mary Kurek", 1, 5) is None  # short names merge only when identical
    assert canonical_name("Phil", [], ["Phil Soffer", "Al Brocious"], 1, 5) == ("Phil Soffer", " (= Phil Soffer, the only such name in the thread)")
    assert canonical_name("Mike", [], ["Mike Boysen", "Mike P"], 1, 5) == ("Mike", " (ambiguous: Mike Boysen, Mike P)")
    assert canonical_name("michael nurse", [], [], 1, 5) == ("Michael Nurse", "")


def test_cli_roundtrip(tmp_path):
    utt, docs = fixture_tables()
    write_table(utt, CLEAN_UTTERANCES, tmp_path / "u.parquet")
    write_table(docs, DOCUMENTS, tmp_path / "d.parquet")
    assert main(["--params", str(PARAMS), "--utterances", str(tmp_path / "u.parquet"), "--documents",
                 str(tmp_path / "d.parquet"), "--out", str(tmp_path / "a.parquet"),
                 "--participants", str(tmp_path / "p.parquet"), "--metrics", str(tmp_path / "m.json")]) == 0
    assert len(read_table(tmp_path / "p.parquet", PARTICIPANTS)) == 10
    m = read_json(tmp_path / "m.json")["x"]
    assert (m["utterances"], m["attributed"], m["unknown_weak_evidence"], m["unknown_no_evidence"]) == (24, 20, 2, 2)
    assert m["attributed_using"]["host_phrase"] == 6 and m["participants"] == 10


# --- the seed threads: authors verified by reading the files --------------------------------

SEEDS = [  # (doc, opening, author or None, a piece of the evidence)
    ("kolsky-spade", "Esteban,\n\nIf this is merely", "Prem Kumar", "signature: '– Prem' (= Prem Kumar"),
    ("kolsky-spade", "Prem (et al),", "Mitch", "vocative of reply kolsky-spade/c2.1.1: 'Mitch,'"),
    ("kolsky-spade", "Mitch,\n\nVery well said", None, "against: Prem Kumar (0.40): reply chain"),
    ("kolsky-spade", "Prem,\n\nThanks for the kind", HOST, "host phrase: 'Thanks for the read'"),
    ("kolsky-spade", "Great to hear you talking", "Melissa", "vocative of reply kolsky-spade/c2.2.1.1: 'Melissa,'"),
    ("kolsky-spade", "I think the problem is more", "Mark Tamis", "commentluv: 'Mark Tamis´s last blog'"),
    ("kolsky-spade", "Nice zinger", "Allen", "vocative of reply kolsky-spade/c4.1: 'Allen,'"),
    ("kolsky-spade", "Esteban,\n\nBusinesses that", "Mike Boysen", "'Mike,' (= Mike Boysen, its own name evidence)"),
    ("kolsky-spade", "Estaban,", "Mike P", "'Thanks Mike,' (= Mike P, its own name evidence)"),
    ("kolsky-spade", "I agree with you wholeheartedly", None, "'Richard (or someone else from Mindshare?),' (hedged)"),
    ("kolsky-spade", "Well said,\n\nIt will be", "Nate", "vocative of reply kolsky-spade/c7.1.1.1: 'Nate,'"),
    ("kolsky-spade", "Nate,\n\nThanks for this", HOST, "reply chain: kolsky-spade/c7.1 (Esteban Kolsky)"),
    ("kolsky-spade", "Esteban,\n\nI am with Wim", None, None),
    ("kolsky-spade", "This is a really interesting", "Michael Nurse", "commentluv: 'michael nurse´s last blog'"),
    ("kolsky-spade", "Esteban,\n\nGreat post. Definitely", "Phil Soffer", "(= Phil Soffer, the only such name in the thread)"),
    ("kolsky-spade", "Esteban\n\nGreat post. I suspect", None, None),
    ("kolsky-spade", "Hello Esteban,", "Andrew Mueller", "signature: 'Andrew Mueller'"),
    ("kolsky-spade", "Your focus on definitions", "Lamar", "'Lamar,'"),
    ("kolsky-spade", "I completely agree!", None, None),
    ("kolsky-spade", "Hi Ludo,", "Wim Rampen", "commentluv: 'Wim Rampen´s last blog'; vocative of reply kolsky-spade/c16.1.1: 'Hi Wim,'"),
    ("kolsky-spade", "Agree completely Ludo..", "Wim Rampen", "commentluv"),
    ("kolsky-spade", "Ludo,\n\nYou absolutely", HOST, "against: Wim Rampen (0.40)"),
    ("kolsky-spade", "Excellent post.", "MariAn", "'MariAn,'"),
    ("kolsky-spade", "Bravo.", None, None),
    ("kolsky-spade", "Yes!\n\nNo one owns", HOST, "host habit: 14/17 replies to top-level comments carry a host phrase"),
    ("livingston-multichannel", "Great questions and issues", "Jon Ferrara", "signature: 'Jon Ferrara CEO | Nimble"),
    # the post is missing; the manifest names Geoff Livingston; c1 and c5 address him, c1.1 and c5.1 answer them
    ("livingston-multichannel", "Interesting point!", "Geoff Livingston",
     "host addressed: livingston-multichannel/c1 opens 'Great points, Geoff.'"),
    ("livingston-multichannel", "It seems like a lot of it is salesmanship", "Geoff Livingston",
     "host addressed: livingston-multichannel/c5 opens 'Really provoking Geoff,'"),
    ("livingston-multichannel", "LOL, I guess everyone", None, None),  # c2 names no one: no guess
    ("livingston-multichannel", "Great points, Geoff.", None, None),
    ("smm-not-enough", "Our company, C7group", None, None),
]


@pytest.mark.parametrize(("doc", "opening", "author", "evidence"), SEEDS)
def test_seed_attribution(doc, opening, author, evidence):
    row = by_opening(seed_tables()["attributed"], doc, opening)
    assert (row.author if pd.notna(row.author) else None) == author
    if evidence is None:
        assert pd.isna(row.author_evidence)
    else:
        assert evidence in row.author_evidence
    if author is None:
        assert pd.isna(row.author_confidence)
    else:
        assert row.author_confidence >= 0.5


def test_seed_participants():
    t = seed_tables()
    people = t["participants"].set_index("name")
    assert len(people) == 21 and "Richard" not in people.index and "Mike" not in people.index
    assert set(people.aliases["Esteban Kolsky"]) == {"Esteban", "Estaban", "Esteban Kolsky"}
    assert {"Mike Boysen", "Mike P"} <= set(people.index)  # same first name, two people
    assert people.n_utterances["Esteban Kolsky"] == 19 and people.n_utterances["Phil Soffer"] == 2
    assert people.n_utterances["Geoff Livingston"] == 2
    attributed = t["attributed"]
    m = attribute_metrics(attributed, t["participants"])["seeds"]
    assert (m["utterances"], m["attributed"], m["unknown_weak_evidence"], m["unknown_no_evidence"]) == (61, 43, 2, 16)
    assert m["attributed_using"]["host_addressed"] == 2
    assert attributed.author.notna().sum() == 43 and (attributed.author_confidence.dropna() >= 0.5).all()


def test_host_addressed_only_where_the_post_is_missing_and_a_comment_names_the_host(params) -> None:
    def utt(uid: str, parent: str | None, depth: int, text: str, kind: str = "comment") -> dict:
        return {"corpus": "x", "doc_id": "x/m", "utterance_id": f"x/m/{uid}", "parent_id": parent and f"x/m/{parent}",
                "position": 0, "depth": depth, "kind": kind, "author": None, "author_evidence": None, "date": None,
                "text": text, "source_file": "m.txt", "char_start": None, "char_end": None, "clean_text": text,
                "commentluv": None, "signature": None, "included": True, "exclusion_reason": None,
                "author_confidence": None}

    rows = [utt("c1", None, 1, "Great points, Geoff. Silos are the problem."), utt("c1.1", "c1", 2, "Agreed."),
            utt("c2", None, 1, "Nice post, thanks."), utt("c2.1", "c2", 2, "Thank you."),
            utt("c3", None, 1, "Geoff (or is it Jeff?), nice."), utt("c3.1", "c3", 2, "Jeff it is not.")]
    rows = [{**r, "position": k} for k, r in enumerate(rows)]
    docs = make_table([{"corpus": "x", "doc_id": "x/m", "title": None, "url": None, "post_author": "Geoff Livingston",
                        "date": None, "platform": None, "format": "thread_text", "source_file": "m.txt",
                        "source_sha256": "0"}], DOCUMENTS)
    out, _ = attribute(make_table(rows, CLEAN_UTTERANCES), docs, params.attribute, params.clean)
    got = dict(zip(out.utterance_id, zip(out.author, out.author_confidence, strict=True), strict=True))
    assert got["x/m/c1.1"] == ("Geoff Livingston", 0.7)
    assert pd.isna(got["x/m/c2.1"][0]) and pd.isna(got["x/m/c3.1"][0])  # names no one; a hedged vocative
    with_post = [utt("post", None, 0, "The post.", "post"), *[{**r, "parent_id": r["parent_id"] or "x/m/post"}
                                                              for r in rows]]
    with_post = [{**r, "position": k} for k, r in enumerate(with_post)]
    out, _ = attribute(make_table(with_post, CLEAN_UTTERANCES), docs, params.attribute, params.clean)
    evidence = dict(zip(out.utterance_id, out.author_evidence, strict=True))
    assert "host addressed" not in str(evidence["x/m/c1.1"])
