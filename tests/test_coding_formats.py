"""Label Studio config and doccano labels from the codebook (exact output); sheet round trip for every strategy."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.coding import sheets
from pipeline.coding.formats import coding_sheet, doccano_labels, label_studio_config
from pipeline.coding.strategies import STRATEGIES, StrategyOptions, choose_units
from pipeline.common.codebook import Frame, load_codebook
from pipeline.common.codes import align_unit_codes
from pipeline.common.schema import UNITS

LS_CONFIG = """<View>
  <Header value="Frames (codebook)" size="5"/>
  <Header value="tools = Tools first: about channels and tools" size="6"/>
  <Header value="org = Organisation first: about how the organisation works" size="6"/>
  <Header value="other = Other: thanks and greetings" size="6"/>
  <Text name="context_before" value="$context_before"/>
  <Header value="Unit to code" size="5"/>
  <Text name="text" value="$text"/>
  <Text name="context_after" value="$context_after"/>
  <Choices name="frame" toName="text" choice="single" required="true">
    <Choice value="tools" hint="Tools first: about channels and tools"/>
    <Choice value="org" hint="Organisation first: about how the organisation works"/>
    <Choice value="other" hint="Other: thanks and greetings"/>
  </Choices>
</View>
"""


@pytest.fixture()
def frames(fixtures: Path) -> tuple[Frame, ...]:
    """The tiny codebook's frames: tools, org, other."""
    return load_codebook(fixtures / "frames" / "codebook.yaml").frames


def test_label_studio_config_exact(frames: tuple[Frame, ...]) -> None:
    assert label_studio_config(frames) == LS_CONFIG
    bare = label_studio_config(frames, context_fields=())
    assert "context_before" not in bare and '<Text name="text" value="$text"/>' in bare


def test_label_studio_config_escapes_and_parses(frames: tuple[Frame, ...]) -> None:
    odd = Frame("a&b", 'Say "hi" <now>', "line one\n  line two & more", (), (), (), False)
    xml = label_studio_config([odd, *frames])
    assert '<Choice value="a&amp;b" hint="Say &quot;hi&quot; &lt;now&gt;: line one line two &amp; more"/>' in xml
    root = ET.fromstring(xml)
    assert [c.get("value") for c in root.iter("Choice")] == ["a&b", "tools", "org", "other"]
    with pytest.raises(ValueError, match="no frames"):
        label_studio_config([])


def test_doccano_labels_exact(frames: tuple[Frame, ...]) -> None:
    assert doccano_labels(frames) == [
        {"text": "tools", "suffix_key": "1", "background_color": "#E69F00", "text_color": "#000000",
         "description": "Tools first: about channels and tools"},
        {"text": "org", "suffix_key": "2", "background_color": "#56B4E9", "text_color": "#000000",
         "description": "Organisation first: about how the organisation works"},
        {"text": "other", "suffix_key": "3", "background_color": "#009E73", "text_color": "#ffffff",
         "description": "Other: thanks and greetings"},
    ]
    long = Frame("x", "X", "word " * 100, (), (), (), False)
    assert len(doccano_labels([long])[0]["description"] or "") == 200


def round_trip_units() -> tuple[pd.DataFrame, dict[str, str]]:
    """22 units in three documents (a: 3 x 4, b: 2 x 4, c: 1 x 2; unique texts, some tagged crm), a gold frame each."""
    rows, gold = [], {}
    places = [(doc, u, i) for doc, k, m in (("a", 3, 4), ("b", 2, 4), ("c", 1, 2)) for u in range(k) for i in range(m)]
    for n, (d, u, i) in enumerate(places):
        uid = f"t/{d}/u{u}/s{i}"
        rows.append({"corpus": "t", "doc_id": f"t/{d}", "utterance_id": f"t/{d}/u{u}", "unit_id": uid, "index": i,
                     "author": None, "text": f"Sentence {n} of {d}, about “{['tools', 'org', 'other'][n % 3]}”.",
                     "clean_start": 0, "clean_end": 10, "raw_start": None, "raw_end": None,
                     "concepts": ["crm"] if n % 4 == 0 else []})
        gold[uid] = ["tools", "org", "other"][n % 3]
    return pd.DataFrame(rows, columns=UNITS.names), gold


def ls_export(tasks: list[dict], codes: dict[str, str], control: str, to_name: str) -> list[dict]:
    """What Label Studio's JSON export looks like after a coder picked `codes` (annotator id 9)."""
    return [{"id": k, "data": t["data"], "annotations": [{"completed_by": 9, "result": [
        {"from_name": control, "to_name": to_name, "type": "choices", "value": {"choices": [codes[t["data"]["unit_id"]]]}}]}]}
        for k, t in enumerate(tasks)]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_round_trip_every_strategy(strategy: str, tmp_path: Path, frames: tuple[Frame, ...]) -> None:
    units, gold = round_trip_units()
    frame_ids = [f.id for f in frames]
    rng = np.random.default_rng(0)
    scores, vectors = rng.dirichlet(np.ones(3), len(units)), rng.normal(size=(len(units), 4))
    chosen = choose_units(units, 8, strategy, 3, StrategyOptions(), scores=scores, vectors=vectors,
                          label_ids=frame_ids, coded_labels=["tools"], prototypes=rng.normal(size=(3, 4)))
    assert len(chosen) == 8 and chosen["reason"].str.startswith("cold-start:").sum() == 4  # org, other x 2
    sheet = coding_sheet(chosen, units, window=1)
    assert sheet["unit_id"].tolist() == chosen["unit_id"].tolist() and (sheet["frame"] == "").all()
    want = {u: gold[u] for u in sheet["unit_id"]}
    filled = sheet.assign(frame=sheet["unit_id"].map(want), coder="c9")
    filled.to_csv(tmp_path / "sheet.csv", index=False)
    config = ET.fromstring(label_studio_config(frames))
    choices = next(config.iter("Choices"))
    tasks = sheets.export_records(sheet, "labelstudio", frame_ids)
    assert {t.get("value", "")[1:] for t in config.iter("Text")} <= set(tasks[0]["data"])  # config reads the task keys
    (tmp_path / "ls.json").write_text(json.dumps(ls_export(tasks, want, choices.get("name"), choices.get("toName"))))
    dc = [{**r, "label": [want[r["unit_id"]]], "coder": "c9"} for r in sheets.export_records(sheet, "doccano", frame_ids)]
    (tmp_path / "dc.jsonl").write_text("".join(json.dumps(r) + "\n" for r in dc))
    for name in ("sheet.csv", "ls.json", "dc.jsonl"):
        read = sheets.read_sheet(tmp_path / name)
        codes, errors = sheets.validate_codes(read, frame_ids, "unit_id", name)
        aligned, lost = align_unit_codes(codes, units)
        assert errors == [] and lost.empty, name
        assert dict(zip(aligned["unit_id"], aligned["frame"], strict=True)) == want, name
        assert set(aligned["how"]) == {"id"}, name


def test_coding_sheet_rejects_unknown_units() -> None:
    units, _ = round_trip_units()
    with pytest.raises(ValueError, match="1 chosen units are not in the units table"):
        coding_sheet(pd.DataFrame({"unit_id": ["t/a/u0/s0", "t/z/u9/s9"]}), units, 1)
