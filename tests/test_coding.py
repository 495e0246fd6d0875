"""Hand-coding tools: stratified sampling, sheet validation, re-alignment, export/import CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.coding import code_cli as coding
from pipeline.coding.sheets import quotas, stratified_sample, validate_codes, with_context
from pipeline.common.codes import align_unit_codes, align_utterance_codes, text_key
from pipeline.common.schema import PROBLEMS, UNITS
from pipeline.common.stage import EXIT_USAGE
from pipeline.common.storage import read_table, write_table

FRAMES = ["tools", "org", "other"]


def make_units(rows: list[tuple[str, str, int, str, list[str]]]) -> pd.DataFrame:
    """UNITS rows from (doc, utterance, index, text, concepts)."""
    return pd.DataFrame([{
        "corpus": "t", "doc_id": f"t/{d}", "utterance_id": f"t/{d}/{u}", "unit_id": f"t/{d}/{u}/s{i}", "index": i,
        "author": None, "text": text, "clean_start": 0, "clean_end": len(text), "raw_start": None, "raw_end": None,
        "concepts": concepts} for d, u, i, text, concepts in rows], columns=UNITS.names)


@pytest.fixture()
def units() -> pd.DataFrame:
    """Ten units: document a has six (four tagged crm), document b four (no concepts)."""
    a = [("a", "u1", i, f"a unit {i}", ["crm"] if i < 4 else []) for i in range(6)]
    b = [("b", "u1", i, f"b unit {i}", []) for i in range(4)]
    return make_units(a + b)


def test_text_key_ignores_case_spacing_quotes_and_bullets() -> None:
    assert text_key("• Social  Media’s “ROI”!") == text_key("social media's ROI") == "socialmediasroi"


def test_quotas_largest_remainder_exact() -> None:
    assert quotas({"a|crm": 4, "a|none": 2, "b|none": 4}, 5) == {"a|crm": 2, "a|none": 1, "b|none": 2}
    assert quotas({"x": 3, "y": 1}, 10) == {"x": 3, "y": 1}
    assert quotas({"x": 5, "y": 3, "z": 2}, 4) == {"x": 2, "y": 1, "z": 1}  # 2.0, 1.2, 0.8 -> z gets the spare
    assert quotas({"x": 3}, 0) == {"x": 0}


def test_stratified_sample_counts_and_determinism(units: pd.DataFrame) -> None:
    s1 = stratified_sample(units, 5, seed=11)
    s2 = stratified_sample(units, 5, seed=11)
    assert s1["unit_id"].tolist() == s2["unit_id"].tolist()
    strata = s1["doc_id"] + "|" + s1["concepts"].map(lambda c: c[0] if len(c) else "none")
    assert strata.value_counts().to_dict() == {"t/a|crm": 2, "t/b|none": 2, "t/a|none": 1}
    others = {tuple(stratified_sample(units, 5, seed=s)["unit_id"]) for s in range(8)}
    assert len(others) > 1  # the seed matters
    assert s1["unit_id"].is_monotonic_increasing


def test_with_context_neighbours_in_same_utterance(units: pd.DataFrame) -> None:
    s = with_context(units[units["unit_id"].isin(["t/a/u1/s0", "t/a/u1/s3"])], units, window=1)
    assert s["context_before"].tolist() == ["", "a unit 2"]
    assert s["context_after"].tolist() == ["a unit 1", "a unit 4"]


def test_validate_codes_errors_name_file_and_row(fixtures: Path) -> None:
    sheet = pd.read_csv(fixtures / "frames" / "sheet_errors.csv", dtype=str, keep_default_na=False)
    ok, errors = validate_codes(sheet, FRAMES, "unit_id", "sheet_errors.csv")
    assert ok["unit_id"].tolist() == ["t/d/u1/s0", "t/d/u1/s1"]
    assert [(e.row, e.reason) for e in errors] == [(3, "unknown-frame"), (5, "missing-coder"), (6, "duplicate")]
    assert errors[0].detail.startswith("sheet_errors.csv row 3: frame 'marketing' is not a codebook frame")
    assert "already coded by 'coder1' in row 1" in errors[2].detail


def test_align_by_id_text_merge_and_partial_coverage() -> None:
    units = make_units([
        ("d", "u1", 0, "Mike, you do not have to call yourself social.", []),  # merged from two coded pieces
        ("d", "u1", 1, "Culture matters more than tools here.", []),
        ("d", "u2", 0, "Thanks for the read!", []),
        ("d", "u2", 1, "Phil, the channel is the tactic and strategy comes first.", []),
    ])
    codes = pd.DataFrame([
        {"unit_id": "t/d/u1/s7", "text": "Mike,", "frame": "other", "coder": "c1", "note": ""},
        {"unit_id": "t/d/u1/s8", "text": "you do not have to call yourself social.", "frame": "org", "coder": "c1", "note": ""},
        {"unit_id": "t/d/u1/s1", "text": "Culture matters more than tools here.", "frame": "org", "coder": "c1", "note": ""},
        {"unit_id": "t/d/u2/s9", "text": "Thanks for the read!", "frame": "other", "coder": "c1", "note": ""},
        {"unit_id": "t/d/u2/s5", "text": "Phil,", "frame": "other", "coder": "c1", "note": ""},
        {"unit_id": "t/x/gone/s0", "text": "A sentence that no longer exists.", "frame": "tools", "coder": "c1", "note": ""},
    ])
    aligned, lost = align_unit_codes(codes, units)
    got = {r.unit_id: (r.frame, r.how) for r in aligned.itertuples()}
    assert got == {"t/d/u1/s0": ("org", "merged"), "t/d/u1/s1": ("org", "id"), "t/d/u2/s0": ("other", "text")}
    assert aligned.set_index("unit_id").loc["t/d/u1/s0", "note"] == "merged codes ['org', 'other']; kept org"
    assert sorted(lost["text"]) == ["A sentence that no longer exists.", "Phil,"]  # 'Phil,' covers too little


def test_align_utterance_codes_by_words() -> None:
    texts = {"t/d/c1": "social media is a tactic not a strategy", "t/d/c2": "thanks for the read"}
    codes = pd.DataFrame([
        {"utterance_id": "old/1", "text": "Social media is a tactic, not a strategy!", "frame": "tools", "coder": "c1", "note": ""},
        {"utterance_id": "t/d/c2", "text": "whatever", "frame": "other", "coder": "c1", "note": ""},
        {"utterance_id": "old/3", "text": "completely unrelated words here", "frame": "org", "coder": "c1", "note": ""},
    ])
    aligned, lost = align_utterance_codes(codes, texts)
    assert list(zip(aligned["utterance_id"], aligned["how"], strict=True)) == [("t/d/c1", "text"), ("t/d/c2", "id")]
    assert lost["utterance_id"].tolist() == ["old/3"]


def test_cli_export_csv_and_jsonl(tmp_path: Path, units: pd.DataFrame, fixtures: Path) -> None:
    write_table(units, UNITS, tmp_path / "units.parquet")
    cb = fixtures / "frames" / "codebook.yaml"
    base = ["export", "--units", str(tmp_path / "units.parquet"), "--codebook", str(cb), "--n", "4", "--seed", "3"]
    assert coding.main([*base, "--out", str(tmp_path / "s.csv")]) == 0
    sheet = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False)
    assert list(sheet.columns) == coding.SHEET_COLUMNS and len(sheet) == 4 and (sheet["frame"] == "").all()
    assert coding.main([*base, "--out", str(tmp_path / "s.jsonl")]) == 0
    ls = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert [t["data"]["unit_id"] for t in ls] == sheet["unit_id"].tolist()
    assert ls[0]["meta"]["choices"] == FRAMES
    assert coding.main([*base, "--out", str(tmp_path / "d.jsonl"), "--jsonl-format", "doccano"]) == 0
    dc = [json.loads(x) for x in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert dc[0]["label"] == [] and dc[0]["unit_id"] == sheet["unit_id"][0]


def test_cli_import_writes_valid_rows_and_problems(tmp_path: Path, fixtures: Path) -> None:
    cb = fixtures / "frames" / "codebook.yaml"
    out, probs = tmp_path / "codes.csv", tmp_path / "problems.parquet"
    rc = coding.main(["import", "--sheet", str(fixtures / "frames" / "sheet_errors.csv"), "--codebook", str(cb),
                      "--out", str(out), "--problems", str(probs), "--corpus", "t"])
    assert rc == 0
    codes = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(codes.columns) == ["unit_id", "text", "frame", "coder", "note"]
    assert codes["frame"].tolist() == ["tools", "org"]
    p = read_table(probs, PROBLEMS)
    assert p["location"].tolist() == ["row 3", "row 5", "row 6"]
    assert p["reason"].tolist() == ["unknown-frame", "missing-coder", "duplicate"]


def test_cli_import_label_studio_and_doccano(tmp_path: Path, fixtures: Path) -> None:
    cb = fixtures / "frames" / "codebook.yaml"
    assert coding.main(["import", "--sheet", str(fixtures / "frames" / "labelstudio_export.json"), "--codebook",
                        str(cb), "--out", str(tmp_path / "ls.csv")]) == 0
    ls = pd.read_csv(tmp_path / "ls.csv", dtype=str)
    assert ls[["unit_id", "frame", "coder"]].values.tolist() == [["t/d/u1/s0", "tools", "3"], ["t/d/u1/s1", "org", "3"]]
    probs = tmp_path / "p.parquet"
    assert coding.main(["import", "--sheet", str(fixtures / "frames" / "doccano_export.jsonl"), "--codebook", str(cb),
                        "--out", str(tmp_path / "dc.csv"), "--coder", "coder2", "--problems", str(probs)]) == 0
    dc = pd.read_csv(tmp_path / "dc.csv", dtype=str)
    assert dc[["unit_id", "frame", "coder"]].values.tolist() == [["t/d/u1/s0", "tools", "coder2"]]
    assert "frame 'nonsense' is not a codebook frame" in read_table(probs, PROBLEMS)["detail"][0]


def test_cli_import_bad_codebook_fails_cleanly(tmp_path: Path, fixtures: Path) -> None:
    rc = coding.main(["import", "--sheet", str(fixtures / "frames" / "sheet_errors.csv"), "--codebook",
                      str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "x.csv")])
    assert rc == EXIT_USAGE and not (tmp_path / "x.csv").exists()
