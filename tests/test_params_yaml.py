"""params.yaml is read the way DVC writes it (YAML 1.2), so `dvc exp run -S` cannot change what a value means."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.common.config import ConfigError, load_params, load_yaml, parse_yaml

ROOT = Path(__file__).resolve().parents[1]


def test_yaml_1_2_words_stay_strings_and_only_true_false_are_booleans() -> None:
    assert parse_yaml("a: [Yes, No, on, off, y, n, true, false, 'True']\n", "t") == {
        "a": ["Yes", "No", "on", "off", "y", "n", True, False, "True"]}
    assert parse_yaml("b: 1e-6\nc: 010\n", "t") == {"b": 1e-6, "c": 10}


def test_params_rewritten_by_dvc_load_with_the_same_values(tmp_path: Path) -> None:
    from dvc.utils.serialize import modify_yaml

    path = tmp_path / "params.yaml"
    shutil.copy(ROOT / "params.yaml", path)
    with modify_yaml(path) as data:  # what `dvc exp run -S cluster.min_cluster_size=15` does to the file
        data["cluster"]["min_cluster_size"] = 15
    text = path.read_text(encoding="utf-8")
    assert "[Yes, Yeah, Yep, No," in text  # unquoted: a YAML 1.1 loader would read True / False
    before, after = load_params(ROOT / "params.yaml"), load_params(path)
    assert after.cluster.min_cluster_size == 15
    assert after.attribute.not_names == before.attribute.not_names and after.attribute.not_names[:4] == (
        "Yes", "Yeah", "Yep", "No")
    assert after.model_copy(update={"cluster": before.cluster}) == before


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_yaml(bad)
