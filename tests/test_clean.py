"""Clean stage: exact results on a hand-built thread, and full accounting on the seed threads."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.common.config import CleanConfig, ConfigError, load_params, parse_params
from pipeline.common.schema import REMOVALS, UTTERANCES, make_table
from pipeline.common.stage import EXIT_INPUT
from pipeline.common.storage import read_json, read_table, write_table
from pipeline.prepare.clean_cli import main
from pipeline.prepare.cleaning import Patterns, clean_text, clean_utterances, nonspace
from tests.seed_stages import PARAMS, by_opening, seed_tables

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "clean" / "utterances.json"


def fixture_utterances() -> pd.DataFrame:
    """The hand-built thread as an UTTERANCES table."""
    rows = []
    for k, r in enumerate(json.loads(FIXTURE.read_text(encoding="utf-8"))):
        doc = f"x/{r['doc']}"
        rows.append({"corpus": "x", "doc_id": doc, "utterance_id": f"{doc}/{r['id']}",
                     "parent_id": f"{doc}/{r['parent']}" if r["parent"] else None, "position": k,
                     "depth": r["depth"], "kind": r["kind"], "author": None, "author_evidence": None,
                     "date": None, "text": r["text"], "source_file": f"{r['doc']}.txt",
                     "char_start": None, "char_end": None})
    return make_table(rows, UTTERANCES)


@pytest.fixture(scope="module")
def cfg() -> CleanConfig:
    return load_params(PARAMS).clean


@pytest.fixture(scope="module")
def fixed(cfg):
    return clean_utterances(fixture_utterances(), cfg)


def test_fixture_clean_texts_and_moved_fields(fixed):
    out = fixed.utterances.set_index("utterance_id")
    assert out.clean_text["x/t1/post"] == "Social media is a tactic."
    # NBSP becomes a space, curly quotes stay; signature and CommentLuv lines move to their fields.
    assert out.clean_text["x/t1/c1"] == "Esteban,\n\nGreat post, “really”."
    assert out.signature["x/t1/c1"] == "– Prem"
    assert out.commentluv["x/t1/c1"] == ".-= Prem Kumar´s last blog ..What I’ve Discovered =-."
    # A signature-like line that is the whole comment is the comment, not a signature.
    assert out.clean_text["x/t1/c5"] == "Jon Ferrara CEO | Nimble – Social Relationships |"
    assert pd.isna(out.signature["x/t1/c5"])
    assert (out.clean_text["x/t1/c6"], out.signature["x/t1/c6"]) == ("Thanks!", "Mike P")


def test_fixture_exclusions(fixed):
    out = fixed.utterances.set_index("utterance_id")
    reasons = {u: out.exclusion_reason[u] for u in out.index if not out.included[u]}
    # c4 held only a CommentLuv line (apostrophe variant); c3 repeats c1 after cleaning;
    # t2/c1 has the same text in another thread, which is not a duplicate (scope: document).
    assert reasons == {"x/t1/c2": "pingback", "x/t1/c3": "duplicate", "x/t1/c4": "empty"}
    assert out.included["x/t2/c1"]


def test_fixture_removal_rows(fixed):
    rows = [tuple(r) for r in fixed.removals[["utterance_id", "scope", "reason", "text"]].itertuples(index=False)]
    assert rows == [
        ("x/t1/post", "span", "boilerplate", "Please comment below."),
        ("x/t1/c1", "span", "signature", "– Prem"),
        ("x/t1/c1", "span", "commentluv", ".-= Prem Kumar´s last blog ..What I’ve Discovered =-."),
        ("x/t1/c2", "utterance", "pingback", "Pingback: Twitted by someone"),
        ("x/t1/c3", "utterance", "duplicate", "Esteban,\n\nGreat post, “really”."),
        ("x/t1/c4", "span", "commentluv", ".-= Wim Rampen's last blog ..Counting down… =-."),
        ("x/t1/c4", "utterance", "empty", ".-= Wim Rampen's last blog ..Counting down… =-."),
        ("x/t1/c6", "span", "signature", "Mike P"),
    ]


def test_fixture_metrics(fixed):
    m = fixed.metrics["x"]
    assert (m["utterances_in"], m["utterances_kept"]) == (8, 5)
    assert m["utterances_removed"] == {"pingback": 1, "duplicate": 1, "empty": 1}
    assert m["spans_moved"] == {"boilerplate": 1, "signature": 2, "commentluv": 2}
    assert m["utterance_invariant_holds"] and m["char_invariant_holds"]
    assert m["nonspace_chars_in"] == m["nonspace_chars_kept"] + sum(m["nonspace_chars_moved"].values())


def test_clean_text_keeps_body_when_only_signature_patterns_match():
    pats = Patterns.from_config(CleanConfig(signature_patterns=(r"^(?P<name>[A-Z][a-z]+ [A-Z])$",)))
    assert clean_text("Mike P", pats).clean_text == "Mike P"
    assert clean_text("Hello.\nMike P", pats).moved == (("signature", "Mike P"),)


def test_project_signature_patterns_skip_greetings(cfg):
    pats = Patterns.from_config(cfg)
    assert clean_text("I agree.\n\nHappy New Year", pats).moved == ()
    assert clean_text("I agree.\n\nAndrew Mueller", pats).moved == (("signature", "Andrew Mueller"),)


def test_bad_pattern_names_the_key():
    with pytest.raises(ConfigError, match=r"clean\.commentluv_pattern"):
        parse_params({"corpora": [{"name": "x", "path": "data/x"}], "clean": {"commentluv_pattern": "(unclosed"}})


def test_cli_writes_tables_and_metrics(tmp_path):
    src = tmp_path / "utterances.parquet"
    write_table(fixture_utterances(), UTTERANCES, src)
    out, rem, met = tmp_path / "clean.parquet", tmp_path / "removals.parquet", tmp_path / "clean.json"
    assert main(["--params", str(PARAMS), "--utterances", str(src), "--out", str(out),
                 "--removals", str(rem), "--metrics", str(met)]) == 0
    assert read_json(met)["x"]["utterances_kept"] == 5
    assert len(read_table(rem, REMOVALS)) == 8


def test_cli_missing_input_is_a_clear_error(tmp_path, capsys):
    code = main(["--params", str(PARAMS), "--utterances", str(tmp_path / "nope.parquet"), "--out", str(tmp_path / "o"),
                 "--removals", str(tmp_path / "r"), "--metrics", str(tmp_path / "m")])
    assert code == EXIT_INPUT and "nope.parquet" in capsys.readouterr().err


# --- the seed threads -------------------------------------------------------------------------

def test_seeds_every_utterance_accounted_for():
    t = seed_tables()
    out, rem = t["clean"].utterances, t["clean"].removals
    whole = rem[rem.scope == "utterance"]
    assert len(out) == len(t["utterances"]) == 66
    for doc, grp in out.groupby("doc_id"):
        excluded = set(grp.utterance_id[~grp.included])
        assert set(whole.utterance_id[whole.doc_id == doc]) == excluded, doc
        assert whole[whole.doc_id == doc].utterance_id.is_unique
    m = t["clean"].metrics["seeds"]
    assert m["utterance_invariant_holds"] and m["char_invariant_holds"]
    assert (m["utterances_in"], m["utterances_kept"], m["utterances_removed"]) == (66, 61, {"pingback": 5})
    assert m["spans_moved"] == {"commentluv": 13, "signature": 4, "boilerplate": 1}


def test_seeds_char_accounting_per_utterance():
    t = seed_tables()
    spans = t["clean"].removals[t["clean"].removals.scope == "span"]
    moved = spans.groupby("utterance_id").text.apply(lambda s: sum(map(nonspace, s)))
    for row in t["clean"].utterances.itertuples():
        assert nonspace(row.text) == nonspace(row.clean_text) + moved.get(row.utterance_id, 0), row.utterance_id


def test_seeds_signatures_and_commentluv_moved_out():
    out = seed_tables()["clean"].utterances
    jon = by_opening(out, "livingston-multichannel", "Great questions and issues")
    assert jon.signature == "Jon Ferrara CEO | Nimble – Social Relationships, Made Easy.twitter @jon_ferrara |"
    assert jon.clean_text.endswith("I’d love to connect and discuss more with you.")
    prem = by_opening(out, "kolsky-spade", "Esteban,\n\nIf this is merely")
    assert (prem.signature, prem.commentluv) == ("– Prem", ".-= Prem Kumar´s last blog ..What I’ve Discovered About Twitter =-.")
    assert "Prem" not in prem.clean_text.split("\n")[-1]
    assert by_opening(out, "kolsky-spade", "Estaban,").signature == "Mike P"
    assert by_opening(out, "kolsky-spade", "Hello Esteban,").signature == "Andrew Mueller"
    assert out.commentluv.notna().sum() == 13 and not out.clean_text.str.contains("last blog ..").any()
    post = out[out.utterance_id == "seeds/sb-strategy-beats-sm/post"].iloc[0]
    assert post.clean_text.endswith("What about you?")


def test_seeds_pingbacks_excluded_but_kept():
    out = seed_tables()["clean"].utterances
    ping = out[out.kind == "pingback"]
    assert len(ping) == 5 and not ping.included.any() and set(ping.exclusion_reason) == {"pingback"}
    assert out.included.sum() == 61
