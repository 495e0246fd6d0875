"""Every parameter is described in the typed config (so `dvc exp run -S` cannot lose it), and `python -m pipeline
params` lists them: exact rows for a hand-built model, the prefix filter, and docs/params.md kept up to date."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from pipeline.common.config import ClusterConfig, Params, load_params, parse_yaml
from pipeline.common.params_cli import main
from pipeline.common.params_doc import (
    LEAF,
    SECTION,
    ParamRow,
    md_cell,
    param_rows,
    section_model,
    select,
    table,
    yaml_text,
)

ROOT = Path(__file__).resolve().parents[1]


def undescribed(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Dotted keys of fields without a description (a section may rely on its class docstring)."""
    missing = []
    for name, field in model.model_fields.items():
        nested = section_model(field.annotation)
        if nested is None:
            if not (field.description or "").strip():
                missing.append(prefix + name)
            continue
        cls = nested[0]
        if not (field.description or (cls.__doc__ or "").strip()):
            missing.append(prefix + name)
        missing += undescribed(cls, f"{prefix}{name}.")
    return missing


def test_every_parameter_of_params_has_a_description() -> None:
    assert undescribed(Params) == []
    leaves = [r for r in param_rows(Params) if r.kind == LEAF]
    assert len(leaves) > 150 and all(r.description.strip() for r in leaves)


class Inner(BaseModel):
    """Inner section."""

    k: Literal["a", "b"] = Field("a", description="Pick one.")
    ratio: float = Field(0.5, gt=0.0, le=1.0, description="A share.")


class Item(BaseModel):
    """One item."""

    name: str = Field(pattern=r"^x", description="Its name.")


class Toy(BaseModel):
    """Toy params."""

    n: int = Field(3, ge=2, description="A count.")
    words: tuple[str, ...] = Field(("Yes", "a b", "it's"), description="Words.")
    opt: int | None = Field(None, description="Maybe.")
    grid: dict[str, list[Any]] = Field(default_factory=dict, description="Grid.")
    inner: Inner = Inner()
    items: tuple[Item, ...] = Field((), description="Items.")


def test_rows_of_a_hand_built_model_with_values() -> None:
    toy = Toy(n=4, grid={"c": [1, 2.5]}, items=(Item(name="xy"),))
    assert list(param_rows(Toy, toy)) == [
        ParamRow("n", LEAF, "", "int", ">= 2", "3", "4", "A count."),
        ParamRow("words", LEAF, "", "list[str]", "", "['Yes', a b, 'it''s']", "['Yes', a b, 'it''s']", "Words."),
        ParamRow("opt", LEAF, "", "int | null", "", "null", "null", "Maybe."),
        ParamRow("grid", LEAF, "", "dict[str, list[any]]", "", "{}", "{c: [1, 2.5]}", "Grid."),
        ParamRow("inner", SECTION, "", "Inner", "", "", "", "Inner section."),
        ParamRow("inner.k", LEAF, "inner", "a | b", "", "a", "a", "Pick one."),
        ParamRow("inner.ratio", LEAF, "inner", "float", "> 0.0, <= 1.0", "0.5", "0.5", "A share."),
        ParamRow("items", SECTION, "", "list[Item]", "", "", "", "Items."),
        ParamRow("items[0]", SECTION, "items", "Item", "", "", "", "One item."),
        ParamRow("items[0].name", LEAF, "items[0]", "str", "matches ^x", "(required)", "xy", "Its name."),
    ]


def test_rows_without_values_show_a_template_item() -> None:
    rows = list(param_rows(Toy))
    assert [r.key for r in rows][-2:] == ["items[*]", "items[*].name"]
    assert {r.value for r in rows} == {""}


def write_params(tmp_path: Path) -> Path:
    """A small params file: one corpus and two cluster values."""
    path = tmp_path / "params.yaml"
    path.write_text("corpora:\n  - {name: toy, path: data/raw/toy}\ncluster:\n  min_cluster_size: 10\n  seed: 7\n",
                    encoding="utf-8")
    return path


def test_known_keys_of_a_params_file(tmp_path: Path) -> None:
    rows = {r.key: r for r in param_rows(Params, load_params(write_params(tmp_path)))}
    assert rows["cluster.min_cluster_size"] == ParamRow(
        "cluster.min_cluster_size", LEAF, "cluster", "int", ">= 2", "10", "10",
        ClusterConfig.model_fields["min_cluster_size"].description)
    assert rows["cluster.min_cluster_size"].description.startswith("HDBSCAN minimum topic size in units")
    assert (rows["cluster.seed"].default, rows["cluster.seed"].value) == ("42", "7")
    assert (rows["corpora[0].name"].value, rows["corpora[0].format"].value) == ("toy", "auto")
    assert rows["corpora[0].format"].type == "auto | thread_text | html | reddit_json | wxr | disqus_xml | csv | jsonl"
    lr = rows["cluster.argkp.finetune.lr"]
    assert (lr.type, lr.constraints, lr.default, lr.value) == ("float", "> 0.0", "0.001", "0.001")
    assert rows["cluster.argkp"].kind == SECTION and "6 train topics" in rows["cluster.argkp"].description


def test_prefix_filter(tmp_path: Path) -> None:
    rows = list(param_rows(Params, load_params(write_params(tmp_path))))
    assert [r.key for r in select(rows, "cluster.agglomerative")] == [
        "cluster.agglomerative", "cluster.agglomerative.linkage", "cluster.agglomerative.distance_threshold",
        "cluster.agglomerative.min_cluster_size"]
    assert [r.key for r in select(rows, "cluster.seed")] == ["cluster.seed"]
    assert select(rows, "nope") == []
    assert select(rows, "") == rows


def test_values_and_defaults_read_back_as_the_same_yaml() -> None:
    params = load_params(ROOT / "params.yaml")
    data = params.model_dump()
    for r in param_rows(Params, params):
        if r.kind != LEAF:
            continue
        value = data
        for part in re.findall(r"[^.\[\]]+", r.key):
            value = value[int(part)] if part.isdigit() else value[part]
        assert plain(parse_yaml(f"v: {r.value}\n", r.key)["v"]) == plain(value), r.key
        if r.default != "(required)":
            parse_yaml(f"v: {r.default}\n", r.key)


def plain(value: Any) -> Any:
    """Tuples as lists, recursively (YAML has only lists)."""
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def test_yaml_text_quotes_what_yaml_would_read_otherwise() -> None:
    assert [yaml_text(v) for v in (None, True, 2e-05, 7, "en", "No", "", "a: b", "tcp://h:8786", "x\ny")] == [
        "null", "true", "2e-05", "7", "en", "'No'", "''", "'a: b'", "tcp://h:8786", '"x\\ny"']


def test_table_and_markdown_cells() -> None:
    rows = [ParamRow("a.b", LEAF, "a", "int", "", "1", "12", "A fairly long description that wraps."),
            ParamRow("a.longer_key", LEAF, "a", "str", "", "''", "[one, two, three]", "Short.")]
    assert table(rows, width=66) == (
        "KEY           VALUE              DESCRIPTION\n"
        "a.b           12                 A fairly long description that\n"
        "                                 wraps.\n"
        "a.longer_key  [one, two, three]  Short.\n")
    assert md_cell("a | b <x> `<y>`") == "a \\| b \\<x> `<y>`"


def test_docs_params_md_is_the_commands_output(capsys: Any) -> None:
    assert main(["--params", str(ROOT / "params.yaml"), "--markdown"]) == 0
    expected = capsys.readouterr().out
    assert (ROOT / "docs" / "params.md").read_text(encoding="utf-8") == expected, (
        "docs/params.md is stale: run `python -m pipeline params --markdown > docs/params.md`")


def test_command_prints_a_key_and_rejects_an_unknown_prefix(tmp_path: Path) -> None:
    params = write_params(tmp_path)
    run = [sys.executable, "-m", "pipeline", "params", "--params", str(params), "--width", "100"]
    ok = subprocess.run([*run, "cluster.seed"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[1].split()[:2] == ["cluster.seed", "7"]
    bad = subprocess.run([*run, "nope"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert (bad.returncode, bad.stdout) == (2, "")
    assert "no parameter key starts with 'nope'" in bad.stderr
