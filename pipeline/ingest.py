"""Ingest stage: every corpus in params.yaml -> documents, utterances, problems, skipped spans."""

from __future__ import annotations

import argparse
import os
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from pipeline.adapters.base import Parsed, Source, SourceError, detect, get_adapter
from pipeline.config import ConfigError, CorpusConfig, IngestConfig, load_params, load_yaml
from pipeline.io import write_table
from pipeline.schema import DOCUMENTS, PROBLEMS, SKIPPED, UTTERANCES, frame

IGNORED_PREFIXES = ("_", ".")


def problem(corpus: str, source: str, reason: str, detail: str, location: str | None = None,
            stage: str = "ingest") -> dict[str, Any]:
    """A problems row."""
    return {"corpus": corpus, "source": source, "location": location, "stage": stage,
            "reason": reason, "detail": detail}


def manifest_entries(raw: Any, path: str) -> dict[str, dict[str, Any]]:
    """Manifest entries by file name; raises ConfigError naming the manifest when malformed."""
    if not isinstance(raw, dict) or not isinstance(raw.get("documents"), list):
        raise ConfigError(f"{path}: a manifest needs a 'documents' list")
    entries: dict[str, dict[str, Any]] = {}
    for k, entry in enumerate(raw["documents"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise ConfigError(f"{path}: documents[{k}] needs a 'file' key")
        entries[entry["file"]] = entry
    return entries


def parse_source(source: Source, fmt: str, params: IngestConfig) -> Parsed:
    """Parse one source with the named (or detected) format; failures become problems rows."""
    try:
        name = fmt if fmt != "auto" else detect(source.data, source.path)
        if name is None:
            raise SourceError("unknown-format", f"{source.path}: cannot detect the format; set `format:` in the corpus entry")
        return get_adapter(name).parse(source, params)
    except SourceError as e:
        return Parsed(problems=[problem(source.corpus, source.path, e.reason, e.detail, e.location)])
    except Exception as e:  # noqa: BLE001 - one bad file must never stop the corpus
        where = traceback.extract_tb(e.__traceback__)[-1]
        detail = f"{source.path}: parser error {type(e).__name__}: {e} (at {Path(where.filename).name}:{where.lineno})"
        return Parsed(problems=[problem(source.corpus, source.path, "parser-error", detail)])


def ingest_corpus(corpus: CorpusConfig, files: Iterable[tuple[str, bytes]],
                  manifest: dict[str, dict[str, Any]], params: IngestConfig) -> Parsed:
    """Parse every file of one corpus (pure: files are given as (relative path, bytes))."""
    out, seen = Parsed(), set()
    for rel, data in tqdm(list(files), desc=f"ingest {corpus.name}", unit="file", disable=bool(os.environ.get("CI"))):
        name = rel.rsplit("/", 1)[-1]
        seen.add(name)
        meta = manifest.get(name, {})
        fmt = meta.get("format") or corpus.format
        if corpus.platform and "platform" not in meta:
            meta = {**meta, "platform": corpus.platform}
        if corpus.columns and "columns" not in meta:
            meta = {**meta, "columns": dict(corpus.columns)}
        out.extend(parse_source(Source(corpus.name, rel, data, meta), fmt, params))
    for name in sorted(set(manifest) - seen):
        out.problems.append(problem(corpus.name, f"{corpus.path}/{name}", "missing-file",
                                    f"{corpus.path}/{name}: listed in the manifest but not found"))
    return out


def read_corpus_files(corpus: CorpusConfig, root: Path) -> tuple[list[tuple[str, bytes]], dict, list[dict]]:
    """Read a corpus folder: (files, manifest entries, problems). Never raises for one bad corpus."""
    folder = root / corpus.path
    if not folder.is_dir():
        return [], {}, [problem(corpus.name, corpus.path, "missing-folder",
                                f"{corpus.path}: corpus folder does not exist (corpus {corpus.name!r})")]
    manifest: dict = {}
    problems: list[dict] = []
    if corpus.manifest:
        mpath = folder / corpus.manifest
        try:
            manifest = manifest_entries(load_yaml(mpath), f"{corpus.path}/{corpus.manifest}")
        except ConfigError as e:
            problems.append(problem(corpus.name, f"{corpus.path}/{corpus.manifest}", "bad-manifest", str(e)))
    pages = folder / "pages"
    if pages.is_dir():  # scraped pages: the fetch index gives each page its URL (the manifest still wins)
        from pipeline.scrape import index_meta

        idx = index_meta(pages)
        manifest = {n: {**idx.get(n, {}), **manifest.get(n, {})} for n in idx.keys() | manifest.keys()}
    skip = {corpus.manifest} if corpus.manifest else set()
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if str(rel) in skip or any(part.startswith(IGNORED_PREFIXES) for part in rel.parts):
            continue
        files.append((f"{corpus.path}/{rel.as_posix()}", path.read_bytes()))
    return files, manifest, problems


def run(corpora: Iterable[CorpusConfig], params: IngestConfig, root: Path) -> dict[str, pd.DataFrame]:
    """Ingest all corpora into checked DataFrames."""
    out = Parsed()
    for corpus in corpora:
        files, manifest, problems = read_corpus_files(corpus, root)
        out.problems += problems
        out.extend(ingest_corpus(corpus, files, manifest, params))
    return {
        "documents": frame(out.documents, DOCUMENTS),
        "utterances": frame(out.utterances, UTTERANCES),
        "problems": frame(out.problems, PROBLEMS),
        "skipped": frame(out.skipped, SKIPPED),
    }


def main(argv: list[str]) -> int:
    """CLI edge: read params and sources, write the four tables."""
    ap = argparse.ArgumentParser(prog="python -m pipeline ingest", description=__doc__)
    ap.add_argument("--params", default="params.yaml")
    ap.add_argument("--root", default=".", help="project root that corpus paths are relative to")
    ap.add_argument("--documents", required=True)
    ap.add_argument("--utterances", required=True)
    ap.add_argument("--problems", required=True)
    ap.add_argument("--skipped", required=True)
    args = ap.parse_args(argv)
    cfg = load_params(args.params)
    tables = run(cfg.corpora, cfg.ingest, Path(args.root))
    write_table(tables["documents"], DOCUMENTS, Path(args.documents))
    write_table(tables["utterances"], UTTERANCES, Path(args.utterances))
    write_table(tables["problems"], PROBLEMS, Path(args.problems))
    write_table(tables["skipped"], SKIPPED, Path(args.skipped))
    return 0
