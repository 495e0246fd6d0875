"""`python -m pipeline export convokit`: ConvoKit's on-disk format from the utterances/documents tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.common.config import IngestConfig
from pipeline.common.schema import DOCUMENTS, UTTERANCES, make_table
from pipeline.common.storage import read_table, write_table
from pipeline.export.convokit import timestamp, to_convokit
from pipeline.ingest.adapters.base import Source, get_adapter

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ROOT / "tests" / "fixtures" / "exports"


@pytest.fixture()
def tables(tmp_path: Path) -> tuple[Path, Path]:
    """utterances/documents parquet files from the Disqus fixture (2 threads, an orphan, a guest)."""
    data = (EXPORTS / "disqus_small.xml").read_bytes()
    out = get_adapter("disqus_xml").parse(Source("fx", "fx/disqus_small.xml", data), IngestConfig())
    utts, docs = tmp_path / "utterances.parquet", tmp_path / "documents.parquet"
    write_table(make_table(out.utterances, UTTERANCES), UTTERANCES, utts)
    write_table(make_table(out.documents, DOCUMENTS), DOCUMENTS, docs)
    return utts, docs


def export(tables: tuple[Path, Path], out: Path) -> subprocess.CompletedProcess[str]:
    """Run the export command."""
    return subprocess.run([sys.executable, "-m", "pipeline", "export", "convokit", "--utterances", str(tables[0]),
                           "--documents", str(tables[1]), "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_files_follow_convokit_format(tables: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "convokit"
    res = export(tables, out)
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"export convokit: 7 utterances, 2 conversations, 7 speakers -> {out}\n"
    assert sorted(p.name for p in out.iterdir()) == ["conversations.json", "corpus.json", "index.json",
                                                     "speakers.json", "utterances.jsonl"]
    lines = [json.loads(x) for x in (out / "utterances.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(u["id"], u["conversation_id"], u["reply_to"], u["speaker"]) for u in lines] == [
        ("fx/100/post", "fx/100/post", None, "fx/Site Owner"),
        ("fx/100/6", "fx/100/post", "fx/100/post", "fx/Early Bird"),
        ("fx/100/5", "fx/100/post", None, "fx/Replier"),  # orphan: its parent was a deleted post
        ("fx/100/1", "fx/100/post", "fx/100/post", "fx/Guest One"),
        ("fx/100/2", "fx/100/post", "fx/100/1", "fx/Member Two"),
        ("fx/200/post", "fx/200/post", None, "fx/owner"),
        ("fx/200/7", "fx/200/post", "fx/200/post", "fx/Bee"),
    ]
    first = lines[3]
    assert first["timestamp"] == 1325498400 and first["text"] == "First!\n\nSecond para\nnext line"
    assert first["vectors"] == [] and first["meta"]["kind"] == "comment" and first["meta"]["depth"] == 1
    assert set(first) == {"id", "speaker", "conversation_id", "reply_to", "timestamp", "text", "meta", "vectors"}
    convos = json.loads((out / "conversations.json").read_text(encoding="utf-8"))
    assert convos["fx/100/post"]["meta"]["title"] == "Thread A" and convos["fx/100/post"]["vectors"] == []
    speakers = json.loads((out / "speakers.json").read_text(encoding="utf-8"))
    assert speakers["fx/Guest One"] == {"meta": {"name": "Guest One", "corpus": "fx", "unknown": False},
                                        "vectors": []}
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert index["version"] == 1 and index["vectors"] == []
    assert index["utterances-index"]["depth"] == ["<class 'int'>"]
    assert set(index) == {"utterances-index", "speakers-index", "conversations-index", "overall-index", "version",
                          "vectors"}
    corpus = json.loads((out / "corpus.json").read_text(encoding="utf-8"))
    assert corpus["num_utterances"] == 7 and corpus["corpora"] == ["fx"]


def test_unknown_authors_stay_distinct_speakers() -> None:
    import pandas as pd

    rows = [{"corpus": "c", "doc_id": "c/d", "utterance_id": f"c/d/{i}", "parent_id": None if i == 0 else "c/d/0",
             "position": i, "depth": min(i, 1), "kind": "post" if i == 0 else "comment", "author": None,
             "author_evidence": None, "date": None, "text": "t", "source_file": "f", "char_start": None,
             "char_end": None} for i in range(3)]
    files = to_convokit(make_table(rows, UTTERANCES), pd.DataFrame(columns=DOCUMENTS.names))
    assert sorted(files["speakers.json"]) == ["unknown:c/d/0", "unknown:c/d/1", "unknown:c/d/2"]
    assert files["utterances.jsonl"][1]["timestamp"] is None


def test_text_column_moves_text_into_meta() -> None:
    import pandas as pd

    row = {"corpus": "c", "doc_id": "c/d", "utterance_id": "c/d/post", "parent_id": None, "position": 0, "depth": 0,
           "kind": "post", "author": "A", "author_evidence": None, "date": None, "text": "raw  text",
           "source_file": "f", "char_start": None, "char_end": None, "clean_text": "clean"}
    line = to_convokit(pd.DataFrame([row]), pd.DataFrame(columns=DOCUMENTS.names), "clean_text")["utterances.jsonl"][0]
    assert line["text"] == "clean" and line["meta"]["text"] == "raw  text" and "clean_text" not in line["meta"]


def test_timestamp() -> None:
    assert timestamp("2012-01-02T10:00:00Z") == 1325498400
    assert timestamp("2012-01-02T10:00:00") == 1325498400  # naive read as UTC
    assert timestamp("2012-01-02") == 1325462400
    assert timestamp("sometime") is None and timestamp(None) is None


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    res = export((tmp_path / "none.parquet", tmp_path / "none.parquet"), tmp_path / "out")
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr


def test_convokit_loads_the_export_with_every_utterance_speaker_and_reply_link(
        tables: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # convokit writes ~/.convokit/config.yml on import
    import convokit  # a dev dependency (pyproject [dev]): the round trip is never skipped

    out = tmp_path / "convokit"
    assert export(tables, out).returncode == 0
    corpus = convokit.Corpus(filename=str(out))
    utts = read_table(tables[0])
    docs = read_table(tables[1])
    got = {u.id: u for u in corpus.iter_utterances()}
    assert sorted(got) == sorted(utts["utterance_id"])
    for r in utts.itertuples(index=False):
        u = got[r.utterance_id]
        assert u.text == r.text
        assert u.reply_to == (r.parent_id if isinstance(r.parent_id, str) else None)
        assert u.conversation_id == f"{r.doc_id}/post"
        assert u.speaker.id == (f"{r.corpus}/{r.author}" if isinstance(r.author, str) else f"unknown:{r.utterance_id}")
    assert sorted(s.id for s in corpus.iter_speakers()) == sorted(
        {f"{r.corpus}/{r.author}" if isinstance(r.author, str) else f"unknown:{r.utterance_id}" for r in utts.itertuples(index=False)})
    assert sorted(c.id for c in corpus.iter_conversations()) == sorted(f"{d}/post" for d in docs["doc_id"])
    assert len(got) == 7 and got["fx/100/2"].meta["depth"] == 2
