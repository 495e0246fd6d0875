"""Reading corpora: every file through its format's adapter -> documents, utterances, problems, skipped spans.

`read_corpora` builds the tables in memory; `read_corpora_to` streams them to Parquet file by file (the stage).
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.common.config import CorpusConfig, IngestConfig
from pipeline.common.engine import Engine, LocalEngine
from pipeline.common.schema import DOCUMENTS, PROBLEMS, SKIPPED, UTTERANCES, make_table
from pipeline.common.storage import TableWriter
from pipeline.common.textnorm import DecodeError, decode_detail
from pipeline.ingest.adapters.base import Parsed, Source, SourceError, detect, get_adapter
from pipeline.ingest.corpus_files import load_files, problem, read_corpus_files


def preflight(source: Source) -> list[dict[str, Any]]:
    """File-level checks before any adapter: empty or binary -> SourceError; mixed encodings -> a note."""
    if not source.data.strip():
        raise SourceError("empty-file", f"{source.path}: file is empty")
    try:
        decoded = decode_detail(source.data)
    except DecodeError as e:
        raise SourceError("binary-file", f"{source.path}: not text: {e}") from None
    if decoded.encoding != "utf-8+cp1252":
        return []
    lines = decoded.fallback_lines
    shown = ", ".join(str(n) for n in lines[:10]) + (f" and {len(lines) - 10} more" if len(lines) > 10 else "")
    return [problem(source.corpus, source.path, "mixed-encoding",
                    f"{source.path}: mixed encodings: UTF-8 with bytes that are not UTF-8 (read as cp1252) "
                    f"on line(s) {shown}", f"line {lines[0]}")]


def parse_source(source: Source, fmt: str, params: IngestConfig) -> Parsed:
    """Parse one source with the named (or detected) format; failures become problems rows."""
    try:
        notes = preflight(source)
        name = fmt if fmt != "auto" else detect(source.data, source.path)
        if name is None:
            raise SourceError("unknown-format", f"{source.path}: cannot detect the format; set `format:` in the corpus entry")
        out = get_adapter(name).parse(source, params)
        out.problems = notes + out.problems
        return out
    except SourceError as e:
        return Parsed(problems=[problem(source.corpus, source.path, e.reason, e.detail, e.location)])
    except Exception as e:  # noqa: BLE001 - one bad file must never stop the corpus
        where = traceback.extract_tb(e.__traceback__)[-1]
        detail = f"{source.path}: parser error {type(e).__name__}: {e} (at {Path(where.filename).name}:{where.lineno})"
        return Parsed(problems=[problem(source.corpus, source.path, "parser-error", detail)])


def parse_job(job: tuple[str, str, bytes | SourceError, dict[str, Any], str], params: IngestConfig) -> Parsed:
    """Parse one file: job = (corpus, rel path, bytes or the error met reading it, manifest meta, format)."""
    corpus, rel, data, meta, fmt = job
    if isinstance(data, SourceError):
        return Parsed(problems=[problem(corpus, rel, data.reason, data.detail, data.location)])
    return parse_source(Source(corpus, rel, data, meta), fmt, params)


def iter_corpus(corpus: CorpusConfig, files: Iterable[tuple[str, bytes | SourceError]],
                manifest: dict[str, dict[str, Any]], params: IngestConfig, engine: Engine | None = None,
                total: int | None = None) -> Iterator[Parsed]:
    """Parsed rows of each file in file order (parsed on `engine`), duplicate documents left out, then
    one Parsed with the manifest's missing files."""
    seen: set[str] = set()
    doc_files: dict[str, str] = {}  # doc_id -> the file it was first read from

    def jobs() -> Iterator[tuple[str, str, bytes | SourceError, dict[str, Any], str]]:
        for rel, data in files:
            name = rel.rsplit("/", 1)[-1]
            seen.add(name)
            meta = manifest.get(name, {})
            fmt = meta.get("format") or corpus.format
            if corpus.platform and "platform" not in meta:
                meta = {**meta, "platform": corpus.platform}
            if corpus.columns and "columns" not in meta:
                meta = {**meta, "columns": dict(corpus.columns)}
            yield corpus.name, rel, data, meta, fmt

    engine = engine or LocalEngine()
    for parsed in engine.imap(partial(parse_job, params=params), jobs(), total=total, desc=f"ingest {corpus.name}",
                              unit="file"):
        yield drop_duplicate_docs(parsed, doc_files)
    missing = Parsed()
    for name in sorted(set(manifest) - seen):
        missing.problems.append(problem(corpus.name, f"{corpus.path}/{name}", "missing-file",
                                        f"{corpus.path}/{name}: listed in the manifest but not found"))
    yield missing


def ingest_corpus(corpus: CorpusConfig, files: Iterable[tuple[str, bytes | SourceError]],
                  manifest: dict[str, dict[str, Any]], params: IngestConfig, total: int | None = None) -> Parsed:
    """Parse every file of one corpus (files are given as (relative path, bytes or the error met reading it))."""
    out = Parsed()
    for parsed in iter_corpus(corpus, files, manifest, params, total=total):
        out.extend(parsed)
    return out


def drop_duplicate_docs(parsed: Parsed, doc_files: dict[str, str]) -> Parsed:
    """Leave out documents whose doc_id an earlier file already produced (one problem per utterance)."""
    dupes = {d["doc_id"] for d in parsed.documents if d["doc_id"] in doc_files}
    for d in parsed.documents:
        doc_files.setdefault(d["doc_id"], d["source_file"])
    if not dupes:
        return parsed
    problems = list(parsed.problems)
    for u in parsed.utterances:
        if u["doc_id"] in dupes:
            problems.append(problem(u["corpus"], u["source_file"], "duplicate-doc-id",
                                    f"{u['source_file']}: {u['utterance_id']}: document {u['doc_id']!r} was already "
                                    f"read from {doc_files[u['doc_id']]}; left out (give the documents distinct ids)",
                                    None if u["char_start"] is None else f"char {u['char_start']}"))
    return Parsed(documents=[d for d in parsed.documents if d["doc_id"] not in dupes],
                  utterances=[u for u in parsed.utterances if u["doc_id"] not in dupes], problems=problems,
                  skipped=[k for k in parsed.skipped if k["doc_id"] not in dupes])



def read_corpora(corpora: Iterable[CorpusConfig], params: IngestConfig, root: Path) -> dict[str, pd.DataFrame]:
    """Ingest all corpora into checked DataFrames (in memory; the stage itself streams, see `read_corpora_to`)."""
    out = Parsed()
    for corpus in corpora:
        files, manifest, problems = read_corpus_files(corpus, root, params.max_source_bytes)
        out.problems += problems
        out.extend(ingest_corpus(corpus, load_files(files), manifest, params, total=len(files)))
    return {
        "documents": make_table(out.documents, DOCUMENTS),
        "utterances": make_table(out.utterances, UTTERANCES),
        "problems": make_table(out.problems, PROBLEMS),
        "skipped": make_table(out.skipped, SKIPPED),
    }


TABLES_OUT = {"documents": DOCUMENTS, "utterances": UTTERANCES, "problems": PROBLEMS, "skipped": SKIPPED}


def read_corpora_to(corpora: Iterable[CorpusConfig], params: IngestConfig, root: Path, paths: dict[str, Path],
           engine: Engine, chunk_rows: int) -> dict[str, int]:
    """Ingest all corpora file by file on `engine`, writing each table in chunks; returns rows per table.

    Memory holds the files in flight and at most `chunk_rows` buffered rows per table; the tables
    are identical to `run`'s.
    """
    with contextlib.ExitStack() as stack:
        # entered in reverse so that they are published in TABLES_OUT order (documents first), as before
        writers = {k: stack.enter_context(TableWriter(t, paths[k], chunk_rows)) for k, t in reversed(TABLES_OUT.items())}
        buffers: dict[str, list[dict[str, Any]]] = {k: [] for k in TABLES_OUT}

        def add(parsed: Parsed, final: bool = False) -> None:
            for k, rows in (("documents", parsed.documents), ("utterances", parsed.utterances),
                            ("problems", parsed.problems), ("skipped", parsed.skipped)):
                buffers[k] += rows
                if buffers[k] and (final or len(buffers[k]) >= chunk_rows):  # checked once, by the writer
                    writers[k].write(pd.DataFrame.from_records(buffers[k], columns=TABLES_OUT[k].names))
                    buffers[k] = []

        for corpus in corpora:
            files, manifest, problems = read_corpus_files(corpus, root, params.max_source_bytes)
            add(Parsed(problems=problems))
            for parsed in iter_corpus(corpus, load_files(files), manifest, params, engine, total=len(files)):
                add(parsed)
        add(Parsed(), final=True)
        return {k: w.rows for k, w in writers.items()}
