"""Scraping against a real HTTP server on 127.0.0.1: faults, politeness, cache, resume. No internet."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
import yaml
from scrape_server import FaultServer

from pipeline.acquire.fetch import Fetcher, FetchError, fetch_url
from pipeline.acquire.scrape import Decision, page_name, plan
from pipeline.acquire.scrape_cli import main, pages_dir_for, scrape_corpus
from pipeline.common.config import ConfigError, CorpusConfig, ScrapeConfig
from pipeline.common.fetch_index import (
    FAILURES_NAME,
    INDEX_NAME,
    index_meta,
    read_index,
    read_jsonl,
)
from pipeline.common.schema import PROBLEMS
from pipeline.common.stage import EXIT_USAGE
from pipeline.common.storage import read_table

FIX = Path(__file__).resolve().parent / "fixtures" / "scrape"
FAST = ScrapeConfig(
    user_agent="test-agent/1.0 (+tests)",
    min_interval_seconds=0.0,
    timeout_seconds=0.3,
    retries=2,
    backoff_seconds=0.01,
    max_redirects=3,
)


@pytest.fixture(scope="module")
def _server():
    srv = FaultServer(FIX)
    import threading

    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture()
def server(_server: FaultServer) -> FaultServer:
    """The module's server with hits and faults reset."""
    _server.reset()
    return _server


def _err(url: str, cfg: ScrapeConfig = FAST) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch_url(url, cfg)
    return info.value


# -- fetcher ---------------------------------------------------------------------------------------


def test_good_page_bytes_and_user_agent(server):
    assert fetch_url(server.base + "/post1.html", FAST) == (FIX / "post1.html").read_bytes()
    assert server.paths(include_robots=True) == ["/robots.txt", "/post1.html"]
    assert {ua for _, _, ua in server.hits} == {"test-agent/1.0 (+tests)"}


def test_404_is_not_retried(server):
    e = _err(server.base + "/missing.html")
    assert (e.reason, e.transient) == ("http-404", False)
    assert server.count("/missing.html") == 1


def test_500_then_200_succeeds_on_retry(server):
    assert fetch_url(server.base + "/flaky.html", FAST) == (FIX / "post2.html").read_bytes()
    assert server.count("/flaky.html") == 2


def test_always_500_gives_up_after_retries(server):
    e = _err(server.base + "/always500.html")
    assert (e.reason, e.transient) == ("http-500", True)
    assert server.count("/always500.html") == FAST.retries + 1


def test_slow_response_times_out_and_is_retried(server):
    t0 = time.monotonic()
    e = _err(server.base + "/slow.html", FAST.model_copy(update={"retries": 1}))
    assert (e.reason, e.transient) == ("timeout", True)
    assert server.count("/slow.html") == 2
    assert time.monotonic() - t0 < 1.5


def test_trickling_body_hits_the_whole_reply_time_limit(server):
    t0 = time.monotonic()
    e = _err(server.base + "/trickle.html", FAST.model_copy(update={"retries": 0}))
    assert e.reason == "timeout" and "body not complete" in e.detail
    assert time.monotonic() - t0 < 0.7  # the server would need 1 s


def test_gzip_body_is_decoded_and_size_limit_applies(server):
    assert fetch_url(server.base + "/gzip.html", FAST) == (FIX / "post2.html").read_bytes()
    e = _err(server.base + "/post1.html", FAST.model_copy(update={"max_bytes": 100}))
    assert (e.reason, e.transient) == ("response-too-large", False)


def test_redirect_loop_is_detected(server):
    e = _err(server.base + "/loop-a")
    assert e.reason == "redirect-loop"
    assert e.detail.endswith("/loop-a -> " + server.base + "/loop-b -> " + server.base + "/loop-a")
    assert server.paths() == ["/loop-a", "/loop-b"]


def test_redirect_to_good_page(server):
    fetcher = Fetcher(FAST)
    result = fetcher.fetch(server.base + "/moved")
    assert result.data == (FIX / "post3.html").read_bytes()
    assert (result.url, result.final_url) == (server.base + "/moved", server.base + "/post3.html")
    assert result.redirects == (server.base + "/post3.html",)
    assert (result.status, result.content_type) == (200, "text/html")


def test_max_redirects(server):
    assert fetch_url(server.base + "/chain/2", FAST) == (FIX / "post1.html").read_bytes()  # 3 hops
    assert _err(server.base + "/chain/3").reason == "too-many-redirects"  # 4 hops > 3


def test_non_html_rejected_and_missing_type_sniffed(server):
    e = _err(server.base + "/data.json")
    assert e.reason == "non-html" and "application/json" in e.detail
    assert fetch_url(server.base + "/no-type.html", FAST) == (FIX / "post4.html").read_bytes()


def test_robots_disallow_fetched_once_per_host(server):
    fetcher = Fetcher(FAST)
    with pytest.raises(FetchError) as info:
        fetcher.fetch(server.base + "/private/secret.html")
    assert info.value.reason == "robots-disallowed"
    fetcher.fetch(server.base + "/post1.html")
    fetcher.fetch(server.base + "/post2.html")
    assert server.paths(include_robots=True) == ["/robots.txt", "/post1.html", "/post2.html"]


def test_robots_can_be_ignored(server):
    cfg = FAST.model_copy(update={"respect_robots": False})
    assert fetch_url(server.base + "/private/secret.html", cfg) == (FIX / "post1.html").read_bytes()
    assert server.paths(include_robots=True) == ["/private/secret.html"]


def test_robots_server_error_means_no_fetch(server):
    server.robots_status = 503
    e = _err(server.base + "/post1.html", FAST.model_copy(update={"retries": 0}))
    assert (e.reason, e.transient) == ("robots-unavailable", True)
    assert server.paths() == []


def test_bad_url_makes_no_request():
    assert _err("ftp://example.org/x.html").reason == "bad-url"


def test_per_host_rate_limit_spacing(server):
    fetcher = Fetcher(FAST.model_copy(update={"min_interval_seconds": 0.2}))
    for i in (1, 2, 3):
        fetcher.fetch(f"{server.base}/post{i}.html")
    times = [t for _, t, _ in server.hits]
    assert len(times) == 4  # robots.txt + 3 pages
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.17, gaps  # 0.2 s minus scheduling jitter; unthrottled gaps are ~1 ms


def test_robots_crawl_delay_raises_the_interval(server):
    server.robots_text = "User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n"
    fetcher = Fetcher(FAST)
    fetcher.fetch(server.base + "/post1.html")
    fetcher.fetch(server.base + "/post2.html")
    times = [t for _, t, _ in server.hits]
    assert times[2] - times[1] >= 0.95


# -- stage: naming, plan, cache, failures, resume ----------------------------------------------------


def test_page_name_is_stable_hash_without_fragment():
    expected = hashlib.sha256(b"http://example.org/a?b=1").hexdigest()[:16] + ".html"
    assert page_name("http://example.org/a?b=1") == expected
    assert page_name(" http://example.org/a?b=1#comments ") == expected


def test_pages_dir_cannot_escape(tmp_path):
    assert (
        pages_dir_for(tmp_path, CorpusConfig(name="blog", path="data/raw/blog"))
        == tmp_path.resolve() / "blog" / "pages"
    )
    with pytest.raises(ConfigError, match="outside"):
        pages_dir_for(tmp_path, CorpusConfig.model_construct(name="../../evil", path="x"))
    with pytest.raises(ValueError):
        CorpusConfig(name="../evil", path="data/raw/x")


def test_plan_decisions():
    urls = ["http://h/a", "http://h/a#x", "http://h/b", "http://h/c", "http://h/d"]
    failed = {"http://h/c": "http-404", "http://h/d": "timeout"}
    assert plan(urls, {"http://h/a"}, failed, "transient") == [
        Decision("http://h/a", "cached"),
        Decision("http://h/b", "fetch"),
        Decision("http://h/c", "skip-failed", "http-404"),
        Decision("http://h/d", "retry", "timeout"),
    ]
    assert [d.action for d in plan(urls, set(), failed, "all")] == [
        "fetch",
        "fetch",
        "retry",
        "retry",
    ]
    assert [d.action for d in plan(urls, set(), failed, "none")][2:] == [
        "skip-failed",
        "skip-failed",
    ]


def _params(tmp_path: Path, urls: list[str], **scrape) -> Path:
    cfg = FAST.model_dump() | scrape
    cfg["accept_content_types"] = list(cfg["accept_content_types"])
    raw = {
        "corpora": [{"name": "blog", "path": "data/raw/blog", "format": "html", "urls": urls}],
        "scrape": cfg,
    }
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def _run(tmp_path: Path, params: Path) -> dict:
    argv = [
        "--params",
        str(params),
        "--raw-root",
        str(tmp_path / "raw"),
        "--log-out",
        str(tmp_path / "log.json"),
        "--problems-out",
        str(tmp_path / "problems.parquet"),
    ]
    assert main(argv) == 0
    return json.loads((tmp_path / "log.json").read_text())


def test_stage_writes_pages_index_failures_then_second_run_makes_no_request(server, tmp_path):
    b = server.base
    urls = [
        b + "/post1.html",
        b + "/moved",
        b + "/missing.html",
        b + "/data.json",
        b + "/private/secret.html",
    ]
    params = _params(tmp_path, urls)
    log = _run(tmp_path, params)
    assert log["corpora"]["blog"] | {"problems": None} == {
        "urls": 5,
        "cached": 0,
        "attempted": 5,
        "retried": 0,
        "fetched": 2,
        "failed": 3,
        "skipped_failed": 0,
        "failures_by_reason": {"http-404": 1, "non-html": 1, "robots-disallowed": 1},
        "open_failures": 3,
        "problems": None,
    }
    pages = tmp_path / "raw" / "blog" / "pages"
    index = read_index(pages)
    assert sorted(index) == sorted([b + "/post1.html", b + "/moved"])
    moved = index[b + "/moved"]
    post3 = (FIX / "post3.html").read_bytes()
    assert moved["file"] == page_name(b + "/moved") and moved["final_url"] == b + "/post3.html"
    assert (moved["status"], moved["content_type"], moved["bytes"]) == (
        200,
        "text/html",
        len(post3),
    )
    assert moved["sha256"] == hashlib.sha256(post3).hexdigest()
    assert (pages / moved["file"]).read_bytes() == post3
    assert index_meta(pages)[moved["file"]] == {
        "url": b + "/post3.html",
        "requested_url": b + "/moved",
        "fetched_at": moved["fetched_at"],
        "content_type": "text/html",
        "fetched_sha256": moved["sha256"],
    }
    assert sorted(p.name for p in pages.iterdir()) == sorted(
        [FAILURES_NAME, INDEX_NAME, page_name(urls[0]), page_name(urls[1])]
    )
    problems = read_table(tmp_path / "problems.parquet", PROBLEMS)
    assert sorted(zip(problems["source"], problems["reason"], strict=True)) == sorted(
        [(urls[2], "http-404"), (urls[3], "non-html"), (urls[4], "robots-disallowed")]
    )
    assert set(problems["stage"]) == {"scrape"} and set(problems["corpus"]) == {"blog"}
    n_hits = len(server.hits)
    log2 = _run(tmp_path, params)
    assert len(server.hits) == n_hits  # the second run makes NO network request
    assert (
        log2["requests"],
        log2["corpora"]["blog"]["cached"],
        log2["corpora"]["blog"]["skipped_failed"],
    ) == (0, 2, 3)
    assert log2["open_failures"] == 3


def test_transient_failures_are_retried_by_a_later_run(server, tmp_path):
    urls = [server.base + "/always500.html", server.base + "/missing.html"]
    _run(tmp_path, _params(tmp_path, urls))
    assert (server.count("/always500.html"), server.count("/missing.html")) == (3, 1)
    log = _run(tmp_path, _params(tmp_path, urls))  # retry_failed: transient
    assert (server.count("/always500.html"), server.count("/missing.html")) == (6, 1)
    assert log["corpora"]["blog"]["retried"] == 1 and log["corpora"]["blog"]["skipped_failed"] == 1
    _run(tmp_path, _params(tmp_path, urls, retry_failed="none"))
    assert (server.count("/always500.html"), server.count("/missing.html")) == (6, 1)
    _run(tmp_path, _params(tmp_path, urls, retry_failed="all"))
    assert (server.count("/always500.html"), server.count("/missing.html")) == (9, 2)
    assert (
        len(read_jsonl(tmp_path / "raw" / "blog" / "pages" / FAILURES_NAME)) == 2 + 1 + 0 + 2
    )  # one line per failed attempt


class _Interrupting(Fetcher):
    """A fetcher that is 'killed' (KeyboardInterrupt) when asked for page number `stop_after` + 1."""

    def __init__(self, cfg: ScrapeConfig, stop_after: int):
        super().__init__(cfg)
        self.stop_after, self.calls = stop_after, 0

    def fetch(self, url: str):
        if self.calls == self.stop_after:
            raise KeyboardInterrupt
        self.calls += 1
        return super().fetch(url)


def test_interrupted_run_resumes_with_exactly_the_missing_pages(server, tmp_path):
    urls = [f"{server.base}/post{i}.html" for i in (1, 2, 3, 4)]
    pages = tmp_path / "pages"
    with pytest.raises(KeyboardInterrupt):
        scrape_corpus("blog", urls, pages, _Interrupting(FAST, stop_after=2), "transient")
    assert sorted(read_index(pages)) == urls[:2]
    # A run killed while appending leaves a cut-off index line and a temp file: both are tolerated.
    with open(pages / INDEX_NAME, "ab") as f:
        f.write(b'{"file": "cut')
    (pages / ".deadbeef.html.x.tmp").write_bytes(b"partial")
    server.reset()
    log = scrape_corpus("blog", urls, pages, Fetcher(FAST), "transient")
    assert server.paths() == ["/post3.html", "/post4.html"]
    assert (log["cached"], log["fetched"]) == (2, 2)
    assert sorted(read_index(pages)) == urls
    assert not list(pages.glob(".*.tmp"))
    for i, url in enumerate(urls, 1):
        assert (pages / page_name(url)).read_bytes() == (FIX / f"post{i}.html").read_bytes()


def test_deleted_page_file_is_fetched_again(server, tmp_path):
    url = server.base + "/post1.html"
    pages = tmp_path / "pages"
    scrape_corpus("blog", [url], pages, Fetcher(FAST), "transient")
    (pages / page_name(url)).unlink()
    server.reset()
    scrape_corpus("blog", [url], pages, Fetcher(FAST), "transient")
    assert server.paths() == ["/post1.html"]
    assert len(read_jsonl(pages / INDEX_NAME)) == 2 and list(read_index(pages)) == [url]


def test_cli_rejects_unknown_corpus_and_escaping_names(tmp_path, capsys):
    params = _params(tmp_path, ["http://127.0.0.1:9/never"])
    out = ["--raw-root", str(tmp_path / "raw")]
    assert main(["--params", str(params), *out, "--corpus", "nope"]) == EXIT_USAGE
    assert "no corpus named ['nope']" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump({"corpora": [{"name": "../x", "path": "data/raw/x", "urls": ["http://h/"]}]})
    )
    assert main(["--params", str(bad), *out]) == EXIT_USAGE
    assert "corpora.0.name" in capsys.readouterr().err
    assert not (tmp_path / "raw").exists()


def test_ingest_sees_only_the_pages_not_the_index(server, tmp_path):
    from pipeline.ingest.corpus_files import read_corpus_files

    urls = [server.base + "/post1.html", server.base + "/missing.html"]
    _run(tmp_path, _params(tmp_path, urls))
    corpus = CorpusConfig(name="blog", path="blog", format="html", urls=tuple(urls))
    files, _, problems = read_corpus_files(corpus, tmp_path / "raw")
    assert [rel for rel, _ in files] == [f"blog/pages/{page_name(urls[0])}"] and problems == []
