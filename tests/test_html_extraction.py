"""Learned comment extraction: gold matching, the block model artefact, depth marks, missing-comment rows,
post bylines; real-data floors (fit and leave-one-platform-out)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.common.config import IngestConfig
from pipeline.evaluation.extraction import match, rates, same_author, summary
from pipeline.ingest.adapters.base import Source
from pipeline.ingest.adapters.html import ADAPTER, byline_name
from pipeline.ingest.adapters.html_block_features import feature_names
from pipeline.ingest.adapters.html_block_parents import level_parents
from pipeline.ingest.adapters.html_blocks import norm_text
from pipeline.ingest.adapters.html_model import DEFAULT_MODEL, BlockModel, load_model

FIX = Path(__file__).resolve().parent / "fixtures" / "html_signs"
ROOT = Path(__file__).resolve().parents[1]


def parse(name: str):
    """Parse a fixture page of tests/fixtures/html_signs."""
    return ADAPTER.parse(Source("t", f"tests/fixtures/html_signs/{name}", (FIX / name).read_bytes()), IngestConfig())


def test_match_by_id_digits_then_text_then_author_between_neighbours():
    comments = [
        {"utterance_id": "d/x/comment-11", "text": "Hello there, this is the first one", "author": "A"},
        {"utterance_id": "d/x/2", "text": "Second comment, no id at all", "author": "B"},
        {"utterance_id": "d/x/3", "text": "", "author": "C"},
        {"utterance_id": "d/x/4", "text": "Fourth text", "author": "D"},
    ]
    items = [
        {"id": "div-comment-11", "text": "something else entirely", "author": "A"},
        {"id": None, "text": "second  COMMENT, no id", "author": "B"},
        {"id": None, "text": "", "author": "C"},
        {"id": None, "text": "Fourth text", "author": "D"},
        {"id": None, "text": "never extracted", "author": "E"},
    ]
    assert match(comments, items) == [0, 1, 2, 3, None]
    assert norm_text(" A b\u00a0C ") == "abc"


def test_text_keys_match_like_the_text_they_hide():
    from pipeline.evaluation.textkey import Windows, item_keys, parse_key, text_key

    key = text_key("Second  COMMENT, no id at all and more words")
    assert key == "30:" + __import__("hashlib").sha256(b"secondcomment,noidatallandmore").hexdigest()[:16]
    assert text_key("  ") is None and text_key("Hi there") == "7:" + text_key("hithere").split(":")[1]
    comments = [{"utterance_id": "d/x/1", "text": "> quoted\nSecond comment, no id at all and more words", "author": "B"}]
    assert match(comments, [{"id": None, "text_key": key, "author": "B"}]) == [0]
    assert item_keys({"text": "", "text_own_key": key}) == [parse_key(key)]
    w = Windows("xxsecondcomment,noidatallandmorexx")
    assert w.offsets(parse_key(key)) == [2] and not w.holds((5, "0" * 16))
    with pytest.raises(ValueError, match="16 hex"):
        parse_key("30:abc")


def test_gold_builder_keys_texts_like_the_evaluation():
    """evaluation/build_expected.py is standalone (no pipeline import); its key must equal textkey.text_key."""
    import importlib.util

    from pipeline.evaluation.textkey import text_key

    spec = importlib.util.spec_from_file_location("build_expected", ROOT / "evaluation" / "build_expected.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for s in ["Huhu Sanne :) Interessanter Post!", "ＦＵＬＬ width\u00a0text", "Straße " * 9, "", "ǅ"]:
        assert mod.text_key(s) == text_key(s)
    assert mod.hide_texts({"pos": 1, "text": "", "text_own": "Hi"}) == {"pos": 1, "text_key": None,
                                                                         "text_own_key": text_key("Hi")}


def test_gold_files_hold_keys_not_page_text():
    for path in GOLD:
        body = path.read_text(encoding="utf-8")
        assert not re.search(r"[{,] text(_own)?: ", body), path


def test_same_author_alternatives_and_deleted():
    assert same_author("earthliŋ", {"author": "Earthliŋ"})
    assert same_author("Tommy Trussell (tommy-trussell)", {"author": "Tommy Trussell",
                                                         "author_alt": "Tommy Trussell (tommy-trussell)"})
    assert same_author(None, {"author": None}) and same_author("[deleted]", {"author": None})
    assert not same_author("Bob", {"author": None})


def test_rates_and_summary_micro_macro():
    pages = [{"expected": 10, "found": 10, "matched": 9, "author_ok": 9, "parent_ok": 8, "false_comments": 0,
              "text_checked": 6, "text_ok": 5,
              "empty_page": False, "warned": False, "should_warn": False, "platform": "a"},
             {"expected": 0, "found": 1, "matched": 0, "author_ok": 0, "parent_ok": 0, "false_comments": 1,
              "text_checked": 0, "text_ok": 0,
              "empty_page": True, "warned": False, "should_warn": False, "platform": "b"}]
    r = {"a": rates(pages[:1]), "b": rates(pages[1:])}
    assert r["a"]["recall"] == 0.9 and r["a"]["parent_accuracy"] == round(8 / 9, 4)
    assert r["a"]["text_accuracy"] == round(5 / 6, 4) and r["b"]["text_accuracy"] is None
    s = summary(r)
    assert s["micro"]["false_comments_on_empty_pages"] == 1 and s["macro"]["recall"] == 0.9
    assert s["micro"]["text_accuracy"] == round(5 / 6, 4) and s["macro"]["text_accuracy"] == round(5 / 6, 4)
    assert s["below_target"] == ["a"]


def test_shipped_model_loads_and_round_trips():
    model = load_model()
    assert list(model.names) == feature_names(model.vocab)
    assert 0 < model.threshold < 1 and model.meta["C"] > 0
    again = BlockModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model
    bad = model.to_dict() | {"names": ["x"]}
    with pytest.raises(ValueError):
        BlockModel.from_dict(bad)
    assert DEFAULT_MODEL.name == "html_block_model.json"


def test_level_marks_nest_flat_comments_with_a_stack():
    marks = [{"class": 1}, {"class": 2}, {"class": 3}, {"class": 2}, {"class": 1}]
    assert level_parents(marks, [None] * 5) == [None, 0, 1, 0, None]
    # on 5 of 6 (three in four or more): those 5 are nested, the unmarked one keeps its DOM parent
    assert level_parents([*marks, {"indented": 1}], [None] * 6) == [None, 0, 1, 0, None, None]
    zeit = [{}, {"indented": 1}, {}, {"indented": 1}]
    assert level_parents(zeit, [None] * 4) == [None, 0, None, 2]
    assert level_parents([{}, {}], [None, None]) == [None, None]


def test_stated_count_above_extracted_gives_a_problems_row():
    out = parse("stated_count.html")
    comments = [u for u in out.utterances if u["kind"] == "comment"]
    assert [u["author"] for u in comments] == ["Alice", "Bob"]
    rows = [p for p in out.problems if p["reason"] == "comments-suspected-missing"]
    assert len(rows) == 1
    assert "page says 75 comments" in rows[0]["detail"] and "2 extracted" in rows[0]["detail"]
    assert "Load more comments" in rows[0]["detail"]


def test_zero_count_scaffold_gives_no_comment_and_no_row():
    out = parse("zero_count.html")
    assert [u["kind"] for u in out.utterances] == ["post"]
    assert not [p for p in out.problems if p["reason"] == "comments-suspected-missing"]


def test_post_byline_without_bio():
    assert byline_name("Martin Chikilian Martin is a full-stack engineer") == "Martin Chikilian"
    assert byline_name("Ludwig van Beethoven") == "Ludwig van Beethoven"
    assert byline_name("Anna Maria de la Cruz wrote this for us") == "Anna Maria de la Cruz"
    assert byline_name(None) is None
    post = parse("byline_bio.html").documents[0]
    assert post["post_author"] == "Martin Chikilian"


GOLD = [ROOT / "evaluation" / "html_expected.yaml", ROOT / "evaluation" / "html_dev_expected.yaml"]
# Platforms the cue finder finds nothing on (held out: the block model is refitted without each).
NEW = {"forumotion", "launchpad", "reddit", "spip", "vbulletin", "wpdiscuz", "zeit"}
# Measured (python -m pipeline evaluate extraction, combined finder, shipped trees model): held out on NEW
# micro recall 1.000 (88/88), parent 1.000, precision 0.978 (88/90); fit on all pages but talk pages
# micro recall 0.997, parent 0.998, no false comment on the 8 empty pages.
FLOOR = {"recall": 0.99, "parent": 0.99, "precision": 0.97}
FIT = {"recall": 0.99, "parent": 0.99}


@pytest.mark.real
def test_held_out_platforms_floors(real_dir):
    """Leave-one-platform-out on the platforms the cue finder misses: floors just below the measured figures."""
    from pipeline.evaluation.extraction import lopo
    from pipeline.evaluation.extraction_cli import Runner, load_pages

    pages, missing = load_pages([real_dir], GOLD)
    assert not missing
    model = load_model()
    runner = Runner(pages, IngestConfig())
    res = lopo(pages, runner.parse, runner.fitter(model.kind, float(model.meta["C"]), model.threshold), NEW)
    held = res["held_out"]["platforms"]
    assert set(held) == NEW
    s = summary(held)
    assert s["micro"]["recall"] >= FLOOR["recall"] and s["micro"]["parent_accuracy"] >= FLOOR["parent"]
    assert s["micro"]["precision"] >= FLOOR["precision"]


@pytest.mark.real
def test_all_pages_fit_and_empty_pages(real_dir):
    """The shipped model on every gold page (fit numbers): recall and parents, and no comment on empty pages."""
    from pipeline.evaluation.extraction import by_platform, evaluate_pages
    from pipeline.evaluation.extraction_cli import Runner, load_pages

    pages, _ = load_pages([real_dir], GOLD)
    runner = Runner(pages, IngestConfig())
    scored = evaluate_pages([p for p in pages if p.platform != "mediawiki"], runner.parse, None)
    s = summary(by_platform(scored))
    assert s["micro"]["recall"] >= FIT["recall"] and s["micro"]["parent_accuracy"] >= FIT["parent"]
    assert s["micro"]["false_comments_on_empty_pages"] == 0
    assert all(not p["warned"] for p in scored.values() if p["empty_page"])


# The headline of `python -m pipeline evaluate extraction` (metrics/extraction.json), held out by platform over
# all 28 platforms: micro recall 0.9967, precision 0.9743, author 0.9869, parent 1.0000, text 0.9929; macro
# recall 0.9983, precision 0.9709, author 0.9380, parent 1.0000, text 0.9857; no false comment on empty pages; the
# comments-suspected-missing row right on 40 of 40 pages. Fit beside it: micro recall 0.9967, parent 0.9978.
HEADLINE = {"micro": {"recall": 0.99, "precision": 0.965, "author_accuracy": 0.98, "parent_accuracy": 0.995,
                      "text_accuracy": 0.985},
            "macro": {"recall": 0.99, "precision": 0.96, "author_accuracy": 0.93, "parent_accuracy": 0.995,
                      "text_accuracy": 0.975}}


@pytest.mark.real
@pytest.mark.slow
def test_headline_held_out_over_every_platform_holds_its_floors(real_dir):
    """The evaluation command's own leave-one-platform-out run over every platform (about 4 minutes)."""
    from pipeline.common.config import load_params
    from pipeline.evaluation.extraction_cli import load_pages, run

    pages, missing = load_pages([real_dir], GOLD)
    assert not missing
    res = run(pages, load_params(ROOT / "params.yaml").ingest, train=False, no_lopo=False)
    held, fit = res["summary"]["held_out"], res["summary"]["fit"]
    assert held["platforms"] == 28
    for level, floors in HEADLINE.items():
        for key, floor in floors.items():
            assert held[level][key] >= floor, (level, key, held[level][key])
    assert held["micro"]["false_comments_on_empty_pages"] == 0
    assert fit["micro"]["recall"] >= 0.99 and fit["micro"]["parent_accuracy"] >= 0.99
    assert not held["below_target"], held["below_target"]
    assert res["warnings"]["right"] == res["warnings"]["pages"] == 40, res["warnings"]
