"""Conservation (issue 10): every source item ends as an utterance, a problems row, or a removal with reason.

Checked on the seeds (lines conserved, clean accounts for every utterance), the export fixtures, the
bad corpus, the real exports (skipped without ../shared/real) and hypothesis-generated threads.
"""

from __future__ import annotations

from pathlib import Path

from bad_corpus import build
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from thread_render import EXTENSIONS, RENDERERS, threads

from pipeline.checks.conservation import count_items, imbalance_problems
from pipeline.checks.conservation_cli import check_clean, check_file, summarize
from pipeline.common.config import IngestConfig, load_params
from pipeline.common.schema import DOCUMENTS, PROBLEMS, SKIPPED, UTTERANCES, make_table
from pipeline.common.textnorm import decode
from pipeline.ingest.adapters.base import Parsed, Source, detect
from pipeline.ingest.reading import drop_duplicate_docs, parse_source, read_corpora
from pipeline.prepare.cleaning import clean_utterances

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
PARAMS = load_params(ROOT / "params.yaml")
CSV_COLUMNS = {"doc": "thread_id", "id": "comment_id", "parent": "parent_id", "author": "user",
               "date": "created", "text": "body", "title": "title"}
JSONL_COLUMNS = {"doc": "thread", "id": "cid", "parent": "reply_to", "author": "user.name", "date": "ts",
                 "text": "message", "title": "subject", "kind": "type"}


def conserve(files: list[tuple[str, bytes, str, dict]], cfg: IngestConfig = PARAMS.ingest) -> dict:
    """Parse (path, bytes, format, meta) sources and check conservation per file and through clean."""
    out, seen = Parsed(), {}
    for path, data, fmt, meta in files:
        out.extend(drop_duplicate_docs(parse_source(Source("c", path, data, meta), fmt, cfg), seen))
    utts, probs = make_table(out.utterances, UTTERANCES), make_table(out.problems, PROBLEMS)
    skipped = make_table(out.skipped, SKIPPED)
    make_table(out.documents, DOCUMENTS)
    rows = [check_file(path, fmt if fmt != "auto" else (detect(data, path) or "unknown"), _text(data), utts, probs,
                       skipped, cfg.exports.wxr_post_types) for path, data, fmt, _ in files]
    cleaned = clean_utterances(utts, PARAMS.clean)
    return summarize(rows, check_clean(utts, cleaned.utterances, cleaned.removals))


def _text(data: bytes) -> str | None:
    try:
        return decode(data)[0]
    except ValueError:
        return None


def test_seeds_conserve_lines_and_utterances() -> None:
    seeds = tuple(c for c in PARAMS.corpora if c.name == "seeds")
    t = read_corpora(seeds, PARAMS.ingest, ROOT)
    rows = [check_file(src, "thread_text", decode((ROOT / src).read_bytes())[0], t["utterances"], t["problems"],
                       t["skipped"]) for src in sorted(set(t["utterances"].source_file))]
    cleaned = clean_utterances(t["utterances"], PARAMS.clean)
    result = summarize(rows, check_clean(t["utterances"], cleaned.utterances, cleaned.removals))
    assert result["balanced"], result["unbalanced"]
    assert (result["files"], result["utterances"], result["item_problems"]) == (5, 66, 0)
    assert (result["clean"]["included"], result["clean"]["removed_by_reason"]) == (61, {"pingback": 5})


def test_thread_text_lost_line_is_detected() -> None:
    text = "T\n\nBody line.\n\nlost line\n"
    utts = make_table([{"corpus": "c", "doc_id": "c/x", "utterance_id": "c/x/post", "parent_id": None, "position": 0,
                   "depth": 0, "kind": "post", "author": None, "author_evidence": None, "date": None,
                   "text": "Body line.", "source_file": "x.txt", "char_start": 3, "char_end": 13}], UTTERANCES)
    skipped = make_table([{"corpus": "c", "doc_id": "c/x", "source_file": "x.txt", "char_start": 0, "char_end": 1,
                      "reason": "title", "text": "T"}], SKIPPED)
    row = check_file("x.txt", "thread_text", text, utts, make_table([], PROBLEMS), skipped)
    assert (row["balanced"], row["uncovered_lines"]) == (False, [5])


def test_an_unbalanced_file_becomes_a_problems_row_and_a_reported_page_is_accounted_for() -> None:
    text = "T\n\nBody line.\n\nlost line\n"
    utts = make_table([{"corpus": "c", "doc_id": "c/x", "utterance_id": "c/x/post", "parent_id": None, "position": 0,
                   "depth": 0, "kind": "post", "author": None, "author_evidence": None, "date": None,
                   "text": "Body line.", "source_file": "x.txt", "char_start": 3, "char_end": 13}], UTTERANCES)
    row = check_file("x.txt", "thread_text", text, utts, make_table([], PROBLEMS), make_table([], SKIPPED))
    rows = imbalance_problems("c", summarize([row]))
    assert [(r["source"], r["reason"], r["stage"]) for r in rows] == [("x.txt", "items-unaccounted", "conservation")]
    assert "lines not covered by an utterance or a skipped span: [1, 5]" in rows[0]["detail"]
    page = '<ol><li id="comment-1">a</li><li id="comment-2">b</li><li id="comment-3">c</li></ol>'
    post = make_table([{**utts.iloc[0].to_dict(), "source_file": "p.html", "char_start": None, "char_end": None}],
                      UTTERANCES)
    lost = check_file("p.html", "html", page, post, make_table([], PROBLEMS), make_table([], SKIPPED))
    assert not lost["balanced"] and "3 comment ids" in imbalance_problems("c", summarize([lost]))[0]["detail"]
    said = make_table([{"corpus": "c", "source": "p.html", "location": None, "stage": "ingest",
                        "reason": "comments-suspected-missing", "detail": "p.html: page shows 3 comments, 0 extracted"}],
                      PROBLEMS)
    assert check_file("p.html", "html", page, post, said, make_table([], SKIPPED))["balanced"]


def test_export_fixtures_conserve() -> None:
    files = [(f"fx/{n}", (EXPORTS / n).read_bytes(), f, m) for n, f, m in [
        ("reddit_small.json", "auto", {}), ("wxr_small.xml", "auto", {}), ("wxr_broken.xml", "auto", {}),
        ("disqus_small.xml", "auto", {}), ("comments.csv", "csv", {"columns": CSV_COLUMNS}),
        ("comments.jsonl", "jsonl", {"columns": JSONL_COLUMNS})]]
    result = conserve(files)
    assert result["balanced"], result["unbalanced"]
    assert count_items((EXPORTS / "reddit_small.json").read_text(encoding="utf-8"), "reddit_json").stubs == 2


def test_bad_corpus_conserves(tmp_path: Path) -> None:
    build(tmp_path)
    corpus = load_params(tmp_path / "params.yaml").corpora[0]
    files = [(f"data/raw/bad/{p.name}", p.read_bytes(), "auto", {}) for p in sorted((tmp_path / corpus.path).iterdir())
             if p.stat().st_size < 1_000_000]
    result = conserve(files)
    assert result["balanced"], result["unbalanced"]
    assert result["file_problems"] == 5  # empty x2, binary, unknown format, HTML without text


def test_real_exports_conserve(real_dir: Path) -> None:
    files = [(f"threads/{rel}", (real_dir / "threads" / rel).read_bytes(), "auto", {}) for rel in (
        "reddit_json/fo7p5b_introducing-reddit-polls.json", "wordpress_wxr/labs.creativecommons.org.wxr.REDACTED.xml",
        "disqus_xml/tanglei.name.disqus.REDACTED.xml",
        "hackernews_html/news.ycombinator.com_ask-hn-best-papers_1690120617595.html")]
    result = conserve(files)
    assert result["balanced"], result["unbalanced"]
    assert (result["items_counted"], result["utterances"], result["item_problems"]) == (
        (1 + 492 + 222) + 224 + 181 + 569 + 2693 + 101, 1 + 492 + 224 + 181 + 569 + 2687 + 101, 222 + 6)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck),
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(st.lists(threads(5), min_size=1, max_size=3, unique_by=lambda t: t.key), st.sampled_from(sorted(RENDERERS)),
       st.integers(0, 3))
def test_fuzzed_corpora_conserve(ts: list, fmt: str, damage: int) -> None:
    """Generated threads rendered to one format, some files cut short: still every item accounted for."""
    files = []
    for k, t in enumerate(ts):
        data = RENDERERS[fmt](t).encode("utf-8")
        if k < damage and fmt in ("wxr", "disqus_xml", "csv", "jsonl"):
            data = data[: len(data) * 2 // 3]
        meta = {"title": t.title} if fmt == "thread_text" else {}
        files.append((f"c/{t.key}.{EXTENSIONS[fmt]}", data, fmt, meta))
    result = conserve(files)
    assert result["balanced"], result["unbalanced"]


def test_counts_are_independent_of_the_adapter() -> None:
    wxr = (EXPORTS / "wxr_small.xml").read_text(encoding="utf-8")
    c = count_items(wxr, "wxr")
    assert (c.posts, c.comments, c.independent) == (wxr.count("<item>") - c.out_of_scope, wxr.count("<wp:comment>"),
                                                    True)
    assert not count_items("<html></html>", "html").independent


def test_real_html_pages_conserve(real_dir: Path) -> None:
    """Not independent for HTML: the WordPress comment ids are a lower bound the adapter must reach."""
    for sub, n_files, n_utts in (("with_comments", 8, 200), ("without_comments", 3, 3)):
        files = [(f"{sub}/{p.name}", p.read_bytes(), "html", {}) for p in sorted((real_dir / "html" / sub).glob("*.html"))]
        result = conserve(files)
        assert result["balanced"], result["unbalanced"]
        assert (result["files"], result["utterances"]) == (n_files, n_utts)


def test_by_source_splits_once_and_gives_an_empty_frame_for_unknown_sources():
    import pandas as pd

    from pipeline.checks.conservation import by_source

    t = pd.DataFrame({"source_file": ["a.txt", "b.txt", "a.txt"], "n": [1, 2, 3]})
    of = by_source(t, "source_file")
    assert of("a.txt")["n"].tolist() == [1, 3]
    assert of("b.txt")["n"].tolist() == [2]
    missing = of("c.txt")
    assert missing.empty and missing.columns.tolist() == ["source_file", "n"]
