"""Segmentation: the raw-offset aligner, fragment merging, exact units of a fixture, and the seeds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.common.concepts import load_forms
from pipeline.common.config import SegmentConfig, load_params, load_yaml
from pipeline.common.schema import CLEAN_UTTERANCES, PROBLEMS, UNITS, make_table
from pipeline.common.storage import read_json, read_table, write_table
from pipeline.common.textnorm import decode, normalize_text
from pipeline.prepare.align import align
from pipeline.prepare.cleaning import Patterns, clean_text
from pipeline.prepare.segment_cli import main
from pipeline.prepare.segmentation import merge_short, segment, sentence_spans
from pipeline.prepare.splitters import pysbd_splitter
from tests.seed_stages import CODEBOOK, PARAMS, seed_tables

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "segment"
RAW = FIXTURES / "raw.txt"  # NBSP, indentation, a signature + CommentLuv, "e"+U+0301, a zero-width space


# --- the aligner ------------------------------------------------------------------------------

def test_align_whitespace_nfc_and_zero_width():
    raw = "  Cafe\u0301\u200b  is\u00a0\n   open.  "
    norm = normalize_text(raw)
    assert norm == "Café is\nopen."
    a = align(norm, raw, offset=100)
    assert a.span(0, len(norm)) == (102, 102 + len("Cafe\u0301\u200b  is\u00a0\n   open."))
    assert a.span(0, 4) == (102, 107)  # "Café" covers the e and its combining accent
    assert a.span(5, 7) == (110, 112)  # "is"


def test_align_with_a_deleted_line():
    raw = "Hi there.\n\n    Mike P\n\nThanks!"
    norm = "Hi there.\n\nThanks!"
    a = align(norm, raw)
    assert a.span(11, 18) == (raw.index("Thanks!"), len(raw))
    assert a.span(0, 9) == (0, 9)


def test_align_reports_text_that_is_not_in_the_raw_span():
    a = align("Hello world.", "Hello planet.")
    assert a.span(0, 5) == (0, 5)
    assert a.span(6, 12) is None


_WORD = st.text(alphabet="abcXYZ.,’é—", min_size=1, max_size=6)
_GAP = st.sampled_from([" ", "  ", "\u00a0", " \n   ", "\n\n", "\t", "\u200b "])


@given(st.lists(st.tuples(_WORD, _GAP), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_align_property_every_word_slices_back(parts):
    raw = "  " + "".join(w + g for w, g in parts)
    norm = normalize_text(raw)
    a = align(norm, raw)
    start = 0
    for word in norm.split():
        s = norm.index(word, start)
        span = a.span(s, s + len(word))
        assert span is not None and normalize_text(raw[span[0]:span[1]]) == word
        start = s + len(word)


# --- splitting and merging --------------------------------------------------------------------

def test_merge_short_exact():
    assert merge_short([(0, 6), (8, 40), (41, 60), (61, 100)], 25) == [(0, 60), (61, 100)]
    assert merge_short([(0, 30), (31, 40)], 25) == [(0, 40)]
    assert merge_short([(0, 5), (6, 10)], 25) == [(0, 10)]
    assert merge_short([], 25) == []


def test_sentence_spans_per_line_with_pysbd():
    text = "Mitch,\n\nVery well said. It is (e.g. Dr. Who) fine.\n• A bullet"
    spans = sentence_spans(text, pysbd_splitter("en"))
    assert [text[s:e] for s, e in spans] == ["Mitch,", "Very well said.", "It is (e.g. Dr. Who) fine.", "• A bullet"]


# --- the fixture utterances -------------------------------------------------------------------

def fixture_frame() -> pd.DataFrame:
    """Two utterances of tests/fixtures/segment/raw.txt, cleaned with the project's patterns."""
    raw = decode(RAW.read_bytes())[0]
    pats = Patterns.from_config(load_params(PARAMS).clean)
    rows = []
    for k, (lid, start, end) in enumerate([("c1", 17, 155), ("c1.1", 164, 205)]):
        text = normalize_text(raw[start:end])
        rows.append({"corpus": "x", "doc_id": "x/d", "utterance_id": f"x/d/{lid}", "parent_id": None,
                     "position": k, "depth": 1 + k, "kind": "comment", "author": "Mitch" if k else None,
                     "author_evidence": None, "date": None, "text": text, "source_file": "raw.txt",
                     "char_start": start, "char_end": end, "clean_text": clean_text(text, pats).clean_text,
                     "commentluv": None, "signature": None, "included": True, "exclusion_reason": None,
                     "author_confidence": 0.8 if k else None})
    return make_table(rows, CLEAN_UTTERANCES)


@pytest.fixture(scope="module")
def forms():
    return load_forms(load_yaml(CODEBOOK)["concepts"], str(CODEBOOK))


def test_fixture_units_exact(forms):
    raw = decode(RAW.read_bytes())[0]
    units, problems, metrics = segment(fixture_frame(), {"raw.txt": raw}, forms, SegmentConfig(min_unit_chars=25))
    got = [(r.unit_id, r.text, r.clean_start, r.clean_end, r.raw_start, r.raw_end, r.author if pd.notna(r.author) else None)
           for r in units.itertuples()]
    assert got == [
        ("x/d/c1/s0", "Mitch,\n\nVery well said — looking forward to it.", 0, 47, 17, 68, None),
        ("x/d/c1/s1", "I think that all of us realize it.", 48, 82, 69, 104, None),
        ("x/d/c1.1/s0", "Café culture wins. Thanks for the read!", 0, 39, 164, 205, "Mitch"),
    ]
    assert problems.empty and metrics["units"] == 3 and metrics["units_with_raw_span"] == 3
    for r in units.itertuples():  # raw slices normalise back to the unit text
        assert normalize_text(raw[r.raw_start:r.raw_end]) == r.text


def test_missing_source_is_a_problem_not_a_crash(forms):
    units, problems, _ = segment(fixture_frame(), {"raw.txt": None}, forms, SegmentConfig())
    assert units.raw_start.isna().all() and len(units) == 3
    assert list(problems.reason) == ["missing-source"] and "raw.txt" in problems.detail[0]


def test_excluded_utterances_are_not_segmented(forms):
    utt = fixture_frame()
    utt.loc[0, "included"] = False
    units, _, _ = segment(utt, {}, forms, SegmentConfig())
    assert list(units.utterance_id.unique()) == ["x/d/c1.1"]


def test_cli(tmp_path):
    write_table(fixture_frame(), CLEAN_UTTERANCES, tmp_path / "u.parquet")
    args = ["--params", str(PARAMS), "--utterances", str(tmp_path / "u.parquet"), "--codebook", str(CODEBOOK),
            "--root", str(FIXTURES), "--out", str(tmp_path / "units.parquet"), "--problems",
            str(tmp_path / "p.parquet"), "--metrics", str(tmp_path / "m.json")]
    assert main(args) == 0
    assert len(read_table(tmp_path / "units.parquet", UNITS)) == 3
    assert read_table(tmp_path / "p.parquet", PROBLEMS).empty and read_json(tmp_path / "m.json")["units"] == 3


# --- the seed threads -------------------------------------------------------------------------

def test_seed_unit_spans_slice_raw_back():
    t = seed_tables()
    units, utt = t["units"], t["attributed"].set_index("utterance_id")
    assert t["segment_problems"].empty and units.raw_start.notna().all()
    for r in units.itertuples():
        raw = t["sources"][utt.source_file[r.utterance_id]]
        # Normalisation is whitespace only (pipeline.common.textnorm), so the raw slice normalises to the unit.
        assert normalize_text(raw[r.raw_start:r.raw_end]) == r.text, r.unit_id
        assert utt.clean_text[r.utterance_id][r.clean_start:r.clean_end] == r.text


def test_seed_units_cover_included_text():
    t = seed_tables()
    units, utt = t["units"], t["attributed"]
    assert set(units.utterance_id) == set(utt.utterance_id[utt.included])
    assert (units.text.str.len() >= t["params"].segment.min_unit_chars).sum() >= len(units) - 1
    assert 450 <= len(units) <= 540  # 494 with pysbd 0.3.4
    # No unit crosses the end of another; units of an utterance are in order.
    for _, g in units.groupby("utterance_id"):
        assert (g.clean_start.values[1:] >= g.clean_end.values[:-1]).all()


def test_seed_vocative_merged_with_its_sentence():
    units = seed_tables()["units"]
    first = units[units.unit_id == "seeds/kolsky-spade/c2.1.1/s0"].iloc[0]
    assert first.text == "Mitch,\n\nVery well said — looking forward to dropping the fourth dimension and the extra moniker."
    assert first.author is None or pd.isna(first.author)
