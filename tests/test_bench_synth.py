"""The benchmark's synthetic corpora parse back to exactly the comments written, nested as generated."""

from __future__ import annotations

from collections import Counter

from bench.synth import DEFAULT_SHAPE, write_corpus
from pipeline.common.config import load_params
from pipeline.ingest.adapters.base import Source
from pipeline.ingest.reading import parse_source


def test_synthetic_threads_parse_to_the_comments_written(tmp_path, root):
    params = load_params(root / "params.yaml").ingest  # the project's comment headings and closing lines
    written = write_corpus(tmp_path, 300, DEFAULT_SHAPE, seed=1)
    kinds, depths, problems = Counter(), Counter(), []
    for path in sorted(tmp_path.glob("*.txt")):
        parsed = parse_source(Source("synth", path.name, path.read_bytes(), {}), "thread_text", params)
        kinds.update(u["kind"] for u in parsed.utterances)
        depths.update(u["depth"] for u in parsed.utterances if u["kind"] == "comment")
        problems += parsed.problems
    assert written["comments"] == 300 and kinds == {"comment": 300, "post": written["files"]}
    assert not problems and depths[1] > depths[2] > depths[3] > 0  # replies nest, shallow ones most common
    assert write_corpus(tmp_path / "again", 300, DEFAULT_SHAPE, seed=1) == written  # seeded: same corpus


def test_merge_keeps_the_parts_not_run_and_replaces_the_rest():
    from bench.__main__ import merge_parts

    old = {"machine": "m0", "scaling": [1], "scaling_fit": {"r2": 1.0}, "dask": {"d": 0}, "dvc": {"v": 0},
           "total_seconds": 300}
    new = {"machine": "m1", "scaling": [], "pipeline": [{"comments": 20000}], "pipeline_growth": {},
           "pipeline_machine": "m1", "total_seconds": 900}
    merged = merge_parts(old, new, {"chain", "dask", "embed", "dvc"})
    assert merged == {"machine": "m0", "scaling": [1], "scaling_fit": {"r2": 1.0}, "dask": {"d": 0}, "dvc": {"v": 0},
                      "pipeline": [{"comments": 20000}], "pipeline_growth": {}, "pipeline_machine": "m1",
                      "total_seconds": 900}
