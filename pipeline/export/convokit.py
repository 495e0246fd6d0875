"""The corpus in ConvoKit's on-disk format (utterances.jsonl, speakers.json, conversations.json, corpus.json, index.json).

Files (ConvoKit docs/source/data_format.rst and its Corpus.dump): utterances.jsonl (one object a line:
id, speaker, conversation_id, reply_to, timestamp, text, meta, vectors), speakers.json and
conversations.json ({id: {"meta": {...}, "vectors": []}}), corpus.json (corpus metadata) and
index.json (metadata keys with their Python type names, version 1). Mapping: a document is a
conversation whose id is its post's utterance id; speaker ids are '<corpus>/<author>'; an utterance
with no known author gets its own speaker 'unknown:<utterance_id>' (meta unknown=true) so unknown
people are never merged into one; timestamp is seconds since the epoch (naive dates read as UTC,
null when undated); every other column of the utterances table goes into meta
(`--text-column clean_text` exports the cleaned text of clean_utterances instead).
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.common.storage import replace_dir

TOP_LEVEL = ("utterance_id", "parent_id")
INDEX_VERSION = 1


def _plain(value: Any) -> Any:
    """A JSON-ready Python value from a pandas/numpy cell (NaN/NA -> None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        value = value.tolist()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def timestamp(date: str | None) -> int | None:
    """Seconds since the epoch of an ISO date/datetime (naive read as UTC); None when unreadable."""
    if not date:
        return None
    try:
        dt = datetime.fromisoformat(date.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def speaker_id(corpus: str, author: str | None, uid: str) -> str:
    """ConvoKit speaker id of an utterance."""
    return f"{corpus}/{author}" if author else f"unknown:{uid}"


def _index(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    """ConvoKit's metadata index: key -> Python type names seen (None adds none), first-seen order."""
    index: dict[str, list[str]] = {}
    for meta in records:
        for key, value in meta.items():
            types = index.setdefault(key, [])
            if value is not None and str(type(value)) not in types:
                types.append(str(type(value)))
    return index


def to_convokit(utterances: pd.DataFrame, documents: pd.DataFrame, text_column: str = "text") -> dict[str, Any]:
    """The ConvoKit files as Python objects: {file name: content}; utterances.jsonl as a list of rows.

    `text_column` is the column used as ConvoKit's text (e.g. clean_text of clean_utterances);
    every other column, `text` included, goes into meta.
    """
    docs = {r["doc_id"]: {k: _plain(v) for k, v in r.items()} for r in documents.to_dict("records")}
    utts = utterances.sort_values(["doc_id", "position"], kind="stable")
    roots = utts.drop_duplicates("doc_id", keep="first").set_index("doc_id")["utterance_id"].to_dict()
    lines, speakers, convos = [], {}, {}
    for rec in utts.to_dict("records"):
        row = {k: _plain(v) for k, v in rec.items()}
        uid, did = row["utterance_id"], row["doc_id"]
        spk = speaker_id(row["corpus"], row.get("author"), uid)
        speakers.setdefault(spk, {"meta": {"name": row.get("author"), "corpus": row["corpus"],
                                           "unknown": row.get("author") is None}, "vectors": []})
        lines.append({
            "id": uid, "conversation_id": roots[did], "text": row.get(text_column) or "", "speaker": spk,
            "meta": {k: v for k, v in row.items() if k not in TOP_LEVEL and k != text_column},
            "reply_to": row.get("parent_id"), "timestamp": timestamp(row.get("date")), "vectors": [],
        })
        if roots[did] not in convos:
            meta = dict(docs.get(did, {"doc_id": did, "corpus": row["corpus"]}))
            convos[roots[did]] = {"meta": meta, "vectors": []}
    corpora = sorted({u["meta"]["corpus"] for u in lines})
    corpus_meta = {"name": "+".join(corpora) or "empty", "corpora": corpora, "num_conversations": len(convos),
                   "num_utterances": len(lines), "num_speakers": len(speakers),
                   "num_documents_without_utterances": len(set(docs) - set(roots))}
    index = {
        "utterances-index": _index([u["meta"] for u in lines]),
        "speakers-index": _index([s["meta"] for s in speakers.values()]),
        "conversations-index": _index([c["meta"] for c in convos.values()]),
        "overall-index": _index([corpus_meta]),
        "version": INDEX_VERSION,
        "vectors": [],
    }
    return {"utterances.jsonl": lines, "speakers.json": speakers, "conversations.json": convos,
            "corpus.json": corpus_meta, "index.json": index}


def write_convokit(files: dict[str, Any], out: Path) -> None:
    """Write the files into a fresh directory, then swap it in place of `out` (never half-written)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, content in files.items():
            with open(tmp / name, "w", encoding="utf-8") as f:
                if name.endswith(".jsonl"):
                    f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in content)
                else:
                    json.dump(content, f, ensure_ascii=False)
        replace_dir(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
