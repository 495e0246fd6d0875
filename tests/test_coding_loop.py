"""The coding loop on a tiny two-corpus project: `code sample` offers uncoded units of the new corpus, the coded sheet
comes back through `code import`, the frame stage trains and validates per corpus; a codebook frame nobody coded
is reported, served zero-shot and offered first."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.coding import code_cli
from pipeline.common.config import EmbedConfig
from pipeline.common.embedders import HashingEmbedder
from pipeline.common.schema import EMBEDDINGS, PROBLEMS, UNIT_FRAMES, UNITS
from pipeline.common.storage import read_json, read_table, write_table
from pipeline.embed.embedding import embeddings_frame
from pipeline.frames import frame_cli
from tests.test_frames import _tiny_project

NEW = {  # corpus "n": two documents nobody has coded
    "n/a": [["our twitter tool", "a channel for the tool"], ["culture and process", "the organisation changes"]],
    "n/b": [["thanks so much", "twitter channel"], ["organisation culture", "a new process"]],
}


@pytest.fixture()
def project(tmp_path: Path, fixtures: Path) -> dict[str, Path]:
    """The tiny seed-like corpus `t` (12 coded units) plus corpus `n` (8 uncoded units in 2 documents)."""
    p = _tiny_project(tmp_path)
    units = read_table(p["units.parquet"], UNITS)
    rows = [{"corpus": "n", "doc_id": doc, "utterance_id": f"{doc}/c{k}", "unit_id": f"{doc}/c{k}/s{i}", "index": i,
             "author": None, "text": t, "clean_start": 0, "clean_end": len(t), "raw_start": None, "raw_end": None,
             "concepts": []} for doc, utts in NEW.items() for k, texts in enumerate(utts) for i, t in enumerate(texts)]
    units = pd.concat([units, pd.DataFrame(rows)], ignore_index=True)
    write_table(units, UNITS, p["units.parquet"])
    vecs = HashingEmbedder(EmbedConfig(backend="hashing", hashing_dim=64)).embed(units["text"].tolist())
    write_table(embeddings_frame(units, vecs), EMBEDDINGS, p["emb.parquet"])
    params = yaml.safe_load((fixtures / "frames" / "params.yaml").read_text())
    params["coding"] = {"max_per_utterance": 1, "cold_start_per_label": 1, "curve": {"options": {}}}
    p["params"] = tmp_path / "params.yaml"
    p["params"].write_text(yaml.safe_dump(params))
    p["codebook"] = fixtures / "frames" / "codebook.yaml"
    p["imported"] = tmp_path / "imported"
    p["imported"].mkdir()
    return p


def inputs(p: dict[str, Path], codebook: Path | None = None) -> list[str]:
    """The frame inputs both `code sample` and the frame stage read."""
    return ["--units", str(p["units.parquet"]), "--embeddings", str(p["emb.parquet"]), "--codebook",
            str(codebook or p["codebook"]), "--params", str(p["params"]), "--unit-codes", str(p["c1.csv"]),
            "--utterance-codes", str(p["utt.csv"]), "--imported-codes", str(p["imported"])]


def run_frame(p: dict[str, Path], out: Path, codebook: Path | None = None) -> dict:
    """The frame stage on the project; its metrics."""
    out.mkdir(exist_ok=True)
    assert frame_cli.main([*inputs(p, codebook), "--unit-frames", str(out / "uf.parquet"), "--utterance-frames",
                           str(out / "utf.parquet"), "--frame-topics", str(out / "ft.parquet"), "--metrics",
                           str(out / "frames.json"), "--confusion-units", str(out / "cu.csv"),
                           "--confusion-utterances", str(out / "cutt.csv"), "--problems", str(out / "pr.parquet")]) == 0
    return read_json(out / "frames.json")


def test_sample_import_and_the_frame_stage_validates_the_new_corpus(project: dict[str, Path], tmp_path: Path) -> None:
    before = run_frame(project, tmp_path / "before")
    assert before["per_corpus"]["n"] == {"coded_units": 0, "coded_documents": 0, "units": 8, "validated": False}
    assert before["per_corpus"]["t"]["validated"] and before["per_corpus"]["t"]["coded_units"] == 12
    sheet = tmp_path / "sheet.csv"
    assert code_cli.main(["sample", *inputs(project), "--corpus", "n", "--n", "4", "--strategy", "uncertainty",
                          "--out", str(sheet)]) == 0
    got = pd.read_csv(sheet, dtype=str, keep_default_na=False)
    assert len(got) == 4 and got["unit_id"].str.startswith("n/").all()
    assert set(got["reason"]) == {"uncertainty"} and got["utterance_id"].is_unique  # one per utterance
    assert {u.split("/c")[0] for u in got["unit_id"]} == {"n/a", "n/b"}  # spread over both documents
    gold = {"twitter": "tools", "tool": "tools", "channel": "tools", "culture": "org", "process": "org",
            "organisation": "org", "thank": "other"}
    got["frame"] = [next(v for k, v in gold.items() if k in t) for t in got["text"]]
    got["coder"] = "coder4"
    got.to_csv(sheet, index=False)
    stored = project["imported"] / "n.csv"
    assert code_cli.main(["import", "--sheet", str(sheet), "--codebook", str(project["codebook"]), "--out",
                          str(stored), "--units", str(project["units.parquet"])]) == 0
    assert sorted(pd.read_csv(stored)["unit_id"]) == sorted(got["unit_id"])
    after = run_frame(project, tmp_path / "after")
    assert after["per_corpus"]["n"]["coded_units"] == 4 and after["per_corpus"]["n"]["validated"]
    assert after["coding"]["unit_codes"] == 16
    again = tmp_path / "again.csv"
    assert code_cli.main(["sample", *inputs(project), "--corpus", "n", "--n", "8", "--strategy", "random",
                          "--out", str(again)]) == 0
    assert set(pd.read_csv(again)["unit_id"]).isdisjoint(got["unit_id"])  # coded units are never offered again
    assert len(pd.read_csv(again)) == 4


def test_jsonl_sheets_come_with_their_label_set_up(project: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "tasks.jsonl"
    assert code_cli.main(["sample", *inputs(project), "--corpus", "n", "--n", "2", "--strategy", "random",
                          "--out", str(out)]) == 0
    tasks = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(tasks) == 2 and all(t["data"]["unit_id"].startswith("n/") for t in tasks)
    config = (tmp_path / "tasks.label_config.xml").read_text()
    assert '<Choices name="frame" toName="text"' in config and all(f'value="{f}"' in config for f in ("tools", "org", "other"))
    assert code_cli.main(["sample", *inputs(project), "--corpus", "n", "--n", "2", "--strategy", "random",
                          "--out", str(out), "--jsonl-format", "doccano"]) == 0
    labels = json.loads((tmp_path / "tasks.labels.json").read_text())
    assert [lab["text"] for lab in labels] == ["tools", "org", "other"]


def test_a_frame_without_codes_is_reported_served_zero_shot_and_offered_first(project: dict[str, Path],
                                                                              tmp_path: Path) -> None:
    book = yaml.safe_load(project["codebook"].read_text())
    book["frames"] = {**{k: v for k, v in book["frames"].items() if k != "other"},
                      "gratitude": {"label": "Gratitude", "definition": "thanks so much, thank you",
                                    "examples": ["thanks thanks", "thanks so much"]},
                      "other": book["frames"]["other"]}
    grown = tmp_path / "grown.yaml"
    grown.write_text(yaml.safe_dump(book, sort_keys=False))
    m = run_frame(project, tmp_path / "grown", grown)
    assert m["coding"]["frames_without_codes"] == ["gratitude"]
    problems = read_table(tmp_path / "grown" / "pr.parquet", PROBLEMS)
    row = problems[problems["reason"] == "frame-without-codes"]
    assert list(row["location"]) == ["frames.gratitude"] and "zero-shot" in row["detail"].iloc[0]
    uf = read_table(tmp_path / "grown" / "uf.parquet", UNIT_FRAMES)
    served = uf[uf["method"] == "zeroshot-uncoded"]
    assert len(served) and set(served["frame"]) == {"gratitude"}
    text = dict(zip(read_table(project["units.parquet"], UNITS)["unit_id"], read_table(project["units.parquet"],
                                                                                        UNITS)["text"], strict=True))
    assert all("thank" in text[u] for u in served["unit_id"])  # only thanks units take the new frame
    sheet = tmp_path / "sheet.csv"
    assert code_cli.main(["sample", *inputs(project, grown), "--corpus", "n", "--n", "3", "--strategy", "random",
                          "--out", str(sheet)]) == 0
    first = pd.read_csv(sheet, dtype=str, keep_default_na=False).iloc[0]
    assert first["reason"] == "cold-start:gratitude" and "thank" in first["text"]
