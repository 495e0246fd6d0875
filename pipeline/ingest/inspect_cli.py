"""`python -m pipeline inspect PATH_OR_URL`: print what one file or URL parses to, as JSON.

Output: {"format": ..., "documents": [...], "utterances": [...], "problems": [...]} with the
columns of the documents/utterances/problems tables, utterances in thread order. The format is
detected (pipeline.ingest.adapters.base.detect) unless --format is given; --corpus takes format, columns
and platform from that corpus entry of params.yaml, --columns overrides the column mapping. Bad
input exits 1 with a one-line reason on stderr; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.common.config import (
    ConfigError,
    CorpusConfig,
    IngestConfig,
    Params,
    ScrapeConfig,
    load_params,
)
from pipeline.common.schema import DOCUMENTS, PROBLEMS, UTTERANCES, make_table
from pipeline.common.stage import EXIT_INPUT, EXIT_USAGE, command_parser, one_line
from pipeline.common.textnorm import DecodeError
from pipeline.ingest.adapters.base import REGISTRY, Parsed, Source, SourceError, detect, get_adapter


class InspectError(Exception):
    """Bad input: the message is the one-line reason shown to the user."""


@dataclass(frozen=True)
class Settings:
    """What inspect needs from params.yaml and the options."""

    ingest: IngestConfig
    scrape: ScrapeConfig
    corpus: str
    fmt: str | None
    meta: dict[str, Any]


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    p = command_parser("inspect", __doc__, params=False)
    p.add_argument("target", help="file path or http(s) URL")
    p.add_argument("--format", choices=sorted(REGISTRY), help="input format (default: detect)")
    p.add_argument("--params", type=Path, default=None, help="params.yaml (default: ./params.yaml if present)")
    p.add_argument("--corpus", help="take format, columns and platform from this corpus entry")
    p.add_argument("--columns", help="column mapping for csv/jsonl, e.g. doc=thread_id,id=comment_id,text=body")
    return p


def _columns(spec: str) -> dict[str, str]:
    """'k=v,k=v' -> mapping."""
    pairs = [item.split("=", 1) for item in spec.split(",") if item.strip()]
    if any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
        raise InspectError(f"--columns {spec!r}: expected key=column pairs separated by commas")
    return {k.strip(): v.strip() for k, v in pairs}


def settings(args: argparse.Namespace) -> Settings:
    """Resolve params.yaml and the options into Settings."""
    params: Params | None = None
    path = args.params if args.params is not None else Path("params.yaml")
    if args.params is not None or path.is_file():
        params = load_params(path)  # ConfigError: exit 2, like every command's configuration error
    entry: CorpusConfig | None = None
    if args.corpus:
        entry = next((c for c in (params.corpora if params else ()) if c.name == args.corpus), None)
        if entry is None:
            raise InspectError(f"{path}: no corpus named {args.corpus!r}")
    meta: dict[str, Any] = {}
    if entry is not None and entry.columns:
        meta["columns"] = dict(entry.columns)
    if entry is not None and entry.platform:
        meta["platform"] = entry.platform
    if args.columns:
        meta["columns"] = _columns(args.columns)
    fmt = args.format or (entry.format if entry is not None and entry.format != "auto" else None)
    return Settings(params.ingest if params else IngestConfig(), params.scrape if params else ScrapeConfig(),
                    entry.name if entry is not None else "inspect", fmt, meta)


def read_target(target: str, scrape: ScrapeConfig) -> bytes:
    """Bytes of a file, or of a URL fetched politely (pipeline.acquire.fetch, imported only when needed)."""
    if target.startswith(("http://", "https://")):
        try:
            from pipeline.acquire.fetch import FetchError, fetch_url
        except ImportError as e:
            raise InspectError(f"{target}: URL fetching is unavailable ({e})") from None
        try:
            return fetch_url(target, scrape)
        except FetchError as e:
            raise InspectError(f"{target}: fetch failed: {e}") from None
    path = Path(target)
    if path.is_dir():
        raise InspectError(f"{target}: is a directory; give one file")
    if not path.is_file():
        raise InspectError(f"{target}: no such file")
    try:
        return path.read_bytes()
    except OSError as e:
        raise InspectError(f"{target}: cannot read: {e.strerror}") from None


def inspect_source(source: Source, fmt: str | None, ingest: IngestConfig) -> tuple[str, Parsed]:
    """Parse one source with the given or detected format."""
    name = fmt or detect(source.data, source.path)
    if name is None:
        raise InspectError(f"{source.path}: cannot detect the format; pass --format ({', '.join(sorted(REGISTRY))})")
    try:
        adapter = get_adapter(name)
    except (KeyError, ModuleNotFoundError) as e:
        raise InspectError(f"{source.path}: format {name!r} is not available ({e})") from None
    try:
        return name, adapter.parse(source, ingest)
    except SourceError as e:
        raise InspectError(e.detail if e.detail.startswith(source.path) else f"{source.path}: {e.detail}") from None
    except DecodeError as e:
        raise InspectError(f"{source.path}: {e}") from None


def as_json(fmt: str, parsed: Parsed) -> dict[str, Any]:
    """The parsed rows, checked against the table schemas, keyed by table."""
    out: dict[str, Any] = {"format": fmt}
    for key, table, rows in (("documents", DOCUMENTS, parsed.documents), ("utterances", UTTERANCES, parsed.utterances),
                             ("problems", PROBLEMS, parsed.problems)):
        make_table(rows, table)  # raises ValueError when a row breaks the schema
        out[key] = [{c: r.get(c) for c in table.names} for r in rows]
    return out


def main(argv: list[str]) -> int:
    """CLI edge: exit 0 with JSON on stdout; 1 (bad input) or 2 (usage, params.yaml) with a one-line reason."""
    args = parser().parse_args(argv)
    try:
        s = settings(args)
        data = read_target(args.target, s.scrape)
        fmt, parsed = inspect_source(Source(s.corpus, args.target, data, s.meta), s.fmt, s.ingest)
        doc = as_json(fmt, parsed)
    except ConfigError as e:
        sys.stderr.write(f"inspect: {one_line(e)}\n")
        return EXIT_USAGE
    except InspectError as e:
        sys.stderr.write(f"inspect: {e}\n")
        return EXIT_INPUT
    except Exception as e:  # noqa: BLE001 - the CLI promises a one-line reason, never a traceback
        sys.stderr.write(f"inspect: {args.target}: unexpected {type(e).__name__}: {one_line(e)}\n")
        return EXIT_INPUT
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    return 0
