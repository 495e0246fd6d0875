"""Bad input never stops the corpus (issue 10): every bad file is one clear problems row, good files still load.

The corpus is generated in tmp_path (tests/bad_corpus.py): empty, blank, binary, cp1252, latin-1, UTF-16,
mixed encodings, truncated HTML, HTML with no text, malformed XML, a duplicated export, JSON with a
missing field, JSONL and CSV bad rows, a 50 MB single line, an undetectable format, and a corpus entry
naming a missing folder. It runs through the real CLI (`python -m pipeline ingest`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bad_corpus import build

from pipeline.checks.conservation_cli import main as conservation_main
from pipeline.common.config import (
    ConfigError,
    CorpusConfig,
    IngestConfig,
    load_params,
    parse_params,
)
from pipeline.common.schema import PROBLEMS, UTTERANCES
from pipeline.common.storage import read_json, read_table
from pipeline.ingest.adapters.base import Source
from pipeline.ingest.corpus_files import read_corpus_files
from pipeline.ingest.reading import parse_source

ROOT = Path(__file__).resolve().parents[1]
OUTS = ("documents", "utterances", "problems", "skipped")


def ingest_cli(root: Path, params: Path, out: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run `python -m pipeline ingest` on a temporary project root."""
    args = [a for name in OUTS for a in (f"--{name}", str(out / f"{name}.parquet"))]
    env = {**os.environ, "CI": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pipeline", "ingest", "--params", str(params), "--root", str(root),
                           *args], cwd=root, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The bad corpus ingested once through the CLI."""
    root = tmp_path_factory.mktemp("badproject")
    bad, good = build(root)
    start = time.monotonic()
    res = ingest_cli(root, root / "params.yaml", root / "out")
    elapsed = time.monotonic() - start
    assert res.returncode == 0, res.stderr
    return {"bad": bad, "good": good, "elapsed": elapsed, "root": root,
            "problems": read_table(root / "out" / "problems.parquet", PROBLEMS),
            "utterances": read_table(root / "out" / "utterances.parquet", UTTERANCES)}


def test_every_bad_input_is_recorded_once_with_its_reason(bad_run: dict) -> None:
    probs = bad_run["problems"]
    got = {src: sorted((r.reason, None if pd.isna(r.location) else r.location) for r in grp.itertuples())
           for src, grp in probs.groupby("source")}
    want = {src: sorted(rows) for src, rows in bad_run["bad"].items()}
    assert got == want
    assert not probs.duplicated(["source", "location", "reason", "detail"]).any()
    assert set(probs.stage) == {"ingest"}
    assert all(detail.startswith(src + ":") for src, detail in zip(probs.source, probs.detail, strict=True))


def test_every_good_file_is_read_in_full(bad_run: dict) -> None:
    utts = bad_run["utterances"]
    for src, texts in bad_run["good"].items():
        assert utts[utts.source_file == src].sort_values(["doc_id", "position"]).text.tolist() == texts, src


def test_fifty_megabyte_line_is_bounded(bad_run: dict) -> None:
    reason = bad_run["problems"].set_index("source").loc["data/raw/bad/huge.txt"]
    assert reason.detail.endswith("is more than ingest.max_source_bytes (25,000,000); not read")
    assert bad_run["elapsed"] < 60  # never read: the size is checked before the file is opened


def test_detail_strings() -> None:
    """The human-readable messages name the file and say what to do."""
    src = Source("c", "c/x.bin", b"\x00\x01\x02")
    [p] = parse_source(src, "auto", IngestConfig()).problems
    assert (p["reason"], p["detail"]) == ("binary-file", "c/x.bin: not text: binary data (NUL bytes)")
    [p] = parse_source(Source("c", "c/x.dat", b"words"), "auto", IngestConfig()).problems
    assert p["detail"] == "c/x.dat: cannot detect the format; set `format:` in the corpus entry"


def test_utf16_without_bom_is_decoded() -> None:
    data = "Title\n\nPost – body.\n\n1 Comments\n• Reply.\n".encode("utf-16-le")
    cfg = load_params(ROOT / "params.yaml").ingest
    out = parse_source(Source("c", "c/x.txt", data, {"title": "Title"}), "thread_text", cfg)
    assert [u["text"] for u in out.utterances] == ["Post – body.", "Reply."] and out.problems == []


def test_unreadable_and_escaping_files_are_problems(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "c"
    folder.mkdir(parents=True)
    (folder / "ok.txt").write_text("T\n\nBody.\n", encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("secret", encoding="utf-8")
    (folder / "leak.txt").symlink_to(outside)
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    files, _, problems = read_corpus_files(CorpusConfig(name="c", path="data/c"), tmp_path, max_bytes=1000)
    kinds = {rel: getattr(ref, "reason", "ok") for rel, ref in files}
    assert kinds == {"data/c/ok.txt": "ok", "data/c/leak.txt": "outside-project", "data/c/dangling.txt": "unreadable-file"}
    assert problems == []
    (tmp_path / "data" / "link").symlink_to(tmp_path.parent, target_is_directory=True)
    _, _, problems = read_corpus_files(CorpusConfig(name="l", path="data/link"), tmp_path)
    assert [p["reason"] for p in problems] == ["outside-project"]


@pytest.mark.parametrize(("change", "key"), [
    ({"ingest": {"max_source_bytes": "big"}}, "ingest.max_source_bytes"),
    ({"ingest": {"max_source_bytes": -1}}, "ingest.max_source_bytes"),
    ({"corpora": [{"name": "x", "path": 5}]}, "corpora.0.path"),
    ({"corpora": [{"name": "x", "path": "../outside"}]}, "corpora.0.path"),
    ({"corpora": [{"name": "x", "path": "/etc"}]}, "corpora.0.path"),
    ({"corpora": [{"name": "x", "path": "."}]}, "corpora.0.path"),
    ({"corpora": [{"name": "x", "path": "data/x", "manifest": "../../etc/passwd"}]}, "corpora.0.manifest"),
    ({"corpora": [{"name": "../x", "path": "data/x"}]}, "corpora.0.name"),
    ({"corpora": [{"name": "x", "path": "data/x", "format": "pdf"}]}, "corpora.0.format"),
    ({"clean": {"drop_exact_duplicates": "sometimes"}}, "clean.drop_exact_duplicates"),
])
def test_params_of_the_wrong_type_are_rejected_naming_the_key(change: dict, key: str) -> None:
    raw = {"corpora": [{"name": "x", "path": "data/x"}], **change}
    with pytest.raises(ConfigError, match=f"key '{key}'"):
        parse_params(raw)


def test_cli_rejects_bad_params_with_the_key_and_no_traceback(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"corpora": [{"name": "x", "path": "data/x"}],
                                      "ingest": {"max_source_bytes": "lots"}}), encoding="utf-8")
    res = ingest_cli(tmp_path, params, tmp_path / "out")
    assert res.returncode == 2
    assert "key 'ingest.max_source_bytes'" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_bad_corpus_counts(bad_run: dict) -> None:
    """Pinned totals: 18 files + 1 missing folder; 18 problems rows; 26 utterances from 11 files."""
    assert Counter(bad_run["problems"].reason) == {
        "empty-file": 2, "binary-file": 1, "unknown-format": 1, "too-large": 1, "mixed-encoding": 1,
        "truncated-html": 1, "no-text": 1, "duplicate-doc-id": 2, "bad-xml": 2, "wxr-not-approved": 1,
        "missing-field": 1, "orphan-reply": 1, "bad-row": 2, "missing-folder": 1}
    assert len(bad_run["utterances"]) == sum(len(t) for t in bad_run["good"].values())


def test_conservation_cli_on_the_bad_corpus(bad_run: dict) -> None:
    """ingest -> clean -> conservation: every item of every bad-corpus file is accounted for."""
    root, out = bad_run["root"], bad_run["root"] / "out"
    res = subprocess.run([sys.executable, "-m", "pipeline", "clean", "--params", "params.yaml", "--utterances",
                          str(out / "utterances.parquet"), "--out", str(out / "clean.parquet"), "--removals",
                          str(out / "removals.parquet"), "--metrics", str(out / "clean.json")], cwd=root,
                         capture_output=True, text=True, timeout=120, env={**os.environ, "CI": "1", "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stderr
    args = ["--params", str(root / "params.yaml"), "--root", str(root), "--metrics", str(out / "conservation.json")]
    args += [a for name in OUTS for a in (f"--{name}", str(out / f"{name}.parquet"))]
    args += ["--clean", str(out / "clean.parquet"), "--removals", str(out / "removals.parquet")]
    assert conservation_main(args) == 0
    m = read_json(out / "conservation.json")["bad"]
    assert (m["balanced"], m["files"], m["files_balanced"], m["utterances"]) == (True, 18, 18, 26)
    assert m["clean"]["balanced"] and m["clean"]["included"] == 26


def test_conservation_reports_an_unbalanced_file_and_fails_only_when_strict(bad_run: dict, tmp_path: Path) -> None:
    """A lost utterance becomes a problems row and the run goes on; conservation.strict turns it into exit 1."""
    import yaml

    from pipeline.common.schema import PROBLEMS, UTTERANCES
    from pipeline.common.storage import read_table, write_table

    root, out = bad_run["root"], bad_run["root"] / "out"
    utts = read_table(out / "utterances.parquet", UTTERANCES)
    lost = utts[utts["kind"] == "comment"].iloc[0]
    write_table(utts.drop(index=lost.name), UTTERANCES, tmp_path / "utterances.parquet")
    params = yaml.safe_load((root / "params.yaml").read_text())
    strict = tmp_path / "strict.yaml"
    strict.write_text(yaml.safe_dump({**params, "conservation": {"strict": True}}))
    from pipeline.prepare.clean_cli import main as clean_main

    assert clean_main(["--params", str(root / "params.yaml"), "--utterances", str(tmp_path / "utterances.parquet"),
                       "--out", str(tmp_path / "clean.parquet"), "--removals", str(tmp_path / "removals.parquet"),
                       "--metrics", str(tmp_path / "clean.json")]) == 0
    clean = ["--clean", str(tmp_path / "clean.parquet"), "--removals", str(tmp_path / "removals.parquet")]
    args = ["--root", str(root), "--metrics", str(tmp_path / "c.json"), "--problems-out", str(tmp_path / "p.parquet")]
    args += [a for name in OUTS for a in (f"--{name}", str((tmp_path if name == "utterances" else out) / f"{name}.parquet"))]
    assert conservation_main(["--params", str(root / "params.yaml"), *args, *clean]) == 0
    rows = read_table(tmp_path / "p.parquet", PROBLEMS)
    assert set(rows["reason"]) == {"items-unaccounted"} and lost["source_file"] in set(rows["source"])
    assert conservation_main(["--params", str(strict), *args, *clean]) == 1
