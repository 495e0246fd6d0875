"""Safety (issue 10): no unsafe deserialisation in the package; params cannot point outside the project."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.common.config import ConfigError, parse_params

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _hits(pattern: str) -> list[str]:
    rx = re.compile(pattern)
    return [f"{p.relative_to(PACKAGE)}:{n}: {line.strip()}" for p in SOURCES
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if rx.search(line)]


def test_package_is_scanned() -> None:
    assert len(SOURCES) > 30 and PACKAGE / "ingest" / "ingest_cli.py" in SOURCES


def test_yaml_load_only_safe() -> None:
    unsafe = [h for h in _hits(r"\byaml\.(load|load_all|unsafe_load|full_load)\s*\(") if "SafeLoader" not in h]
    assert unsafe == []
    assert _hits(r"yaml\.(Unsafe|Full)?Loader\b(?!.*Safe)") == []


def test_no_pickle_style_loading() -> None:
    assert _hits(r"\b(pickle|cPickle|dill|joblib|shelve|marshal)\.(load|loads|Unpickler)\b") == []
    assert _hits(r"^\s*import (pickle|dill|shelve|marshal)\b|^\s*from (pickle|dill|joblib) import") == []
    assert _hits(r"allow_pickle\s*=\s*True") == []
    assert _hits(r"(?<![.\w])(eval|exec)\(") == []  # builtins only; model.eval() is fine


def test_torch_load_is_weights_only() -> None:
    bad = [h for h in _hits(r"\btorch\.load\(") if "weights_only=True" not in h]
    assert bad == []


def test_xml_parsers_do_not_resolve_entities() -> None:
    parsers = _hits(r"XMLParser\(")
    assert parsers and all("resolve_entities=False" in h for h in parsers)


@pytest.mark.parametrize("path", ["../x", "data/../../x", "/etc", "C:\\data", "..", ".", "", "data\\..\\..\\x"])
def test_corpus_path_cannot_escape(path: str) -> None:
    with pytest.raises(ConfigError, match="corpora.0.path"):
        parse_params({"corpora": [{"name": "x", "path": path}]})


@pytest.mark.parametrize("manifest", ["../m.yaml", "/etc/passwd", "a/../../m.yaml"])
def test_manifest_cannot_escape(manifest: str) -> None:
    with pytest.raises(ConfigError, match="corpora.0.manifest"):
        parse_params({"corpora": [{"name": "x", "path": "data/x", "manifest": manifest}]})


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "", "x y"])
def test_corpus_name_is_a_plain_word(name: str) -> None:
    with pytest.raises(ConfigError, match="corpora.0.name"):
        parse_params({"corpora": [{"name": name, "path": "data/x"}]})
