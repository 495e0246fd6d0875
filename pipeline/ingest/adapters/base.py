"""The adapter interface: one adapter per input format, each turning a source into table rows."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from pipeline.common.config import IngestConfig


@dataclass(frozen=True)
class Source:
    """One source file (or fetched page) to parse, with what the manifest says about it."""

    corpus: str
    path: str  # project-relative path (or URL) used for provenance
    data: bytes
    meta: dict[str, Any] = field(default_factory=dict)  # manifest entry: id, title, post_author, ...


@dataclass
class Parsed:
    """Rows produced from one source: documents and utterances as dicts, plus problems met."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    utterances: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # source spans kept out, with reason

    def extend(self, other: Parsed) -> None:
        """Append another result's rows."""
        self.documents += other.documents
        self.utterances += other.utterances
        self.problems += other.problems
        self.skipped += other.skipped


class SourceError(ValueError):
    """A source cannot be parsed at all; the message names the file (and line where known)."""

    def __init__(self, reason: str, detail: str, location: str | None = None):
        super().__init__(detail)
        self.reason, self.detail, self.location = reason, detail, location

    def __reduce__(self) -> tuple[type, tuple[str, str, str | None]]:
        """Pickle with all three fields (the local engine's worker processes send errors back and forth)."""
        return type(self), (self.reason, self.detail, self.location)


class Adapter(Protocol):
    """What every input-format adapter provides."""

    name: str

    def sniff(self, data: bytes, path: str) -> bool:
        """True when the bytes look like this format (used by format: auto)."""
        ...

    def parse(self, source: Source, params: IngestConfig) -> Parsed:
        """Parse one source into rows; raise SourceError when nothing can be recovered."""
        ...


# format name -> module defining ADAPTER; order is the order `auto` detection tries them.
REGISTRY: dict[str, str] = {
    "reddit_json": "pipeline.ingest.adapters.reddit_json",
    "wxr": "pipeline.ingest.adapters.wxr",
    "disqus_xml": "pipeline.ingest.adapters.disqus_xml",
    "jsonl": "pipeline.ingest.adapters.jsonl",
    "csv": "pipeline.ingest.adapters.csv_table",
    "html": "pipeline.ingest.adapters.html",
    "thread_text": "pipeline.ingest.adapters.thread_text",
}


def get_adapter(name: str) -> Adapter:
    """The adapter registered under `name`."""
    if name not in REGISTRY:
        raise KeyError(f"unknown format {name!r}; known: {sorted(REGISTRY)}")
    return importlib.import_module(REGISTRY[name]).ADAPTER


def detect(data: bytes, path: str) -> str | None:
    """The first registered format whose sniff accepts the source, or None."""
    for name, module in REGISTRY.items():
        try:
            adapter = importlib.import_module(module).ADAPTER
        except ModuleNotFoundError:
            continue
        if adapter.sniff(data, path):
            return name
    return None


def utterance_id(doc_id: str, local_id: str) -> str:
    """Stable utterance id from its document and a local id (position or native id)."""
    return f"{doc_id}/{local_id}"


def doc_id(corpus: str, key: str) -> str:
    """Stable document id from the corpus and a document key (manifest id or file stem)."""
    return f"{corpus}/{key}"
