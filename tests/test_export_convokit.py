"""`python -m pipeline export convokit`: ConvoKit's on-disk format from the utterances/documents tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.common.config import IngestConfig
from pipeline.common.schema import DOCUMENTS, UTTERANCES, make_table
from pipeline.common.storage import write_table
from pipeline.export.convokit import timestamp
from pipeline.export.export_cli import to_convokit
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


def test_convokit_loads_the_export(tables: tuple[Path, Path], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # convokit writes ~/.convokit/config.yml on import
    convokit = pytest.importorskip("convokit")
    out = tmp_path / "convokit"
    assert export(tables, out).returncode == 0
    corpus = convokit.Corpus(filename=str(out))
    assert len(list(corpus.iter_utterances())) == 7 and len(list(corpus.iter_conversations())) == 2
    reply = corpus.get_utterance("fx/100/2")
    assert reply.reply_to == "fx/100/1" and reply.speaker.id == "fx/Member Two"
    assert reply.conversation_id == "fx/100/post" and reply.meta["depth"] == 2
