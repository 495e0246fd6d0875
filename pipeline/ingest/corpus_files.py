"""Listing a corpus folder safely: files inside the project root, size limits, the manifest (no parsing)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pipeline.common.config import ConfigError, CorpusConfig, load_yaml
from pipeline.ingest.adapters.base import SourceError

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


def _inside(path: Path, root: Path) -> bool:
    """True when `path` (symlinks resolved) lies inside `root`."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


class Inside:
    """`_inside(path, root)` for many files: a file that is not a symlink resolves to its folder's resolution
    (each folder resolved once) / its name; symlinks are resolved in full."""

    def __init__(self, root: Path) -> None:
        self.root, self.real_root, self.folders = root, root.resolve(), {}  # type: ignore[var-annotated]

    def __call__(self, path: Path) -> bool:
        """Whether `path` lies inside the root."""
        if path.is_symlink() or path.name in ("", ".", ".."):
            return _inside(path, self.root)
        if path.parent not in self.folders:
            self.folders[path.parent] = path.parent if _inside(path.parent, self.root) else None
        return self.folders[path.parent] is not None


def read_corpus_files(corpus: CorpusConfig, root: Path, max_bytes: int | None = None
                      ) -> tuple[list[tuple[str, Path | SourceError]], dict, list[dict]]:
    """List a corpus folder: (files as (rel path, path or the SourceError met), manifest entries, problems).

    Never raises for one bad corpus. Files are not read here (see `load_files`); a file larger than
    `max_bytes` or a symlink leading out of the project root comes back as a SourceError.
    """
    folder = root / corpus.path
    if not folder.is_dir():
        return [], {}, [problem(corpus.name, corpus.path, "missing-folder",
                                f"{corpus.path}: corpus folder does not exist (corpus {corpus.name!r})")]
    if not _inside(folder, root):
        return [], {}, [problem(corpus.name, corpus.path, "outside-project",
                                f"{corpus.path}: corpus folder resolves outside the project root (symlink?); not read")]
    manifest: dict = {}
    problems: list[dict] = []
    if corpus.manifest:
        mpath = folder / corpus.manifest
        try:
            if not _inside(mpath, root):
                raise ConfigError(f"{corpus.path}/{corpus.manifest}: resolves outside the project root")
            manifest = manifest_entries(load_yaml(mpath), f"{corpus.path}/{corpus.manifest}")
        except (ConfigError, OSError, UnicodeDecodeError) as e:
            problems.append(problem(corpus.name, f"{corpus.path}/{corpus.manifest}", "bad-manifest",
                                    f"{corpus.path}/{corpus.manifest}: {e}" if not str(e).startswith(corpus.path) else str(e)))
    pages = folder / "pages"
    if pages.is_dir():  # scraped pages: the fetch index gives each page its URL (the manifest still wins)
        from pipeline.common.fetch_index import index_meta

        idx = index_meta(pages)
        manifest = {n: {**idx.get(n, {}), **manifest.get(n, {})} for n in idx.keys() | manifest.keys()}
    skip = {corpus.manifest} if corpus.manifest else set()
    files: list[tuple[str, Path | SourceError]] = []
    try:
        paths = sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    except OSError as e:
        return [], manifest, problems + [problem(corpus.name, corpus.path, "unreadable-folder",
                                                 f"{corpus.path}: cannot list the corpus folder: {e}")]
    inside = Inside(root)
    for path in paths:
        rel = path.relative_to(folder)
        if str(rel) in skip or any(part.startswith(IGNORED_PREFIXES) for part in rel.parts):
            continue
        name = f"{corpus.path}/{rel.as_posix()}"
        files.append((name, _check_file(path, name, inside, max_bytes)))
    return files, manifest, problems


def _check_file(path: Path, name: str, inside: Inside, max_bytes: int | None) -> Path | SourceError:
    """The path when it may be read, else the SourceError saying why not."""
    if not inside(path):
        return SourceError("outside-project", f"{name}: symlink resolves outside the project root; not read")
    try:
        size = path.stat().st_size
    except OSError as e:
        return SourceError("unreadable-file", f"{name}: cannot read: {e.strerror or e}")
    if max_bytes is not None and size > max_bytes:
        return SourceError("too-large", f"{name}: {size:,} bytes is more than ingest.max_source_bytes "
                           f"({max_bytes:,}); not read")
    return path


def load_files(files: Iterable[tuple[str, Path | SourceError]]) -> Iterator[tuple[str, bytes | SourceError]]:
    """Read listed files one at a time (memory holds one source); read errors become SourceErrors."""
    for rel, ref in files:
        if isinstance(ref, SourceError):
            yield rel, ref
            continue
        try:
            yield rel, ref.read_bytes()
        except OSError as e:
            yield rel, SourceError("unreadable-file", f"{rel}: cannot read: {e.strerror or e}")
