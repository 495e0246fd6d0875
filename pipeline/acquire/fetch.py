"""Polite HTTP fetching: per-host rate limit, retries with backoff, robots.txt, redirects, HTML only."""

from __future__ import annotations

import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import requests
import urllib3

from pipeline.common.config import ScrapeConfig

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429})  # besides every 5xx
TRANSIENT_REASONS = frozenset({"timeout", "connection-error", "robots-unavailable", "http-429"})
_CHUNK = 65536
_HTML_SNIFF = (b"<!doctype html", b"<html")


class FetchError(Exception):
    """A URL could not be fetched; `reason` is short and machine-readable, `detail` names the URL."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        """Pickle with both fields."""
        return type(self), (self.reason, self.detail)

    @property
    def transient(self) -> bool:
        """True when trying again later may succeed (5xx, 429, timeout, connection, robots down)."""
        return is_transient(self.reason)


def is_transient(reason: str) -> bool:
    """Whether a failure reason is worth retrying in a later run."""
    return reason in TRANSIENT_REASONS or reason.startswith("http-5")


@dataclass(frozen=True)
class FetchResult:
    """A fetched HTML page: the URL asked for, where it ended up, and the body."""

    url: str
    final_url: str
    status: int
    content_type: str
    data: bytes
    redirects: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Reply:
    """One HTTP exchange (no redirects followed); body only read for accepted 2xx replies."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class _Robots:
    """Cached robots.txt verdict for one scheme://host."""

    parser: urllib.robotparser.RobotFileParser | None
    error: FetchError | None = None
    crawl_delay: float = 0.0


def canonical_url(url: str) -> str:
    """The URL as fetched and keyed: surrounding whitespace and #fragment removed."""
    return urldefrag(url.strip())[0]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError("bad-url", f"{url}: only absolute http(s) URLs can be fetched")


def _media_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class Fetcher:
    """Fetches URLs politely; one instance per run so rate limits and robots.txt are shared."""

    cfg: ScrapeConfig
    session: requests.Session = field(default_factory=requests.Session)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    requests_made: int = 0
    _last: dict[str, float] = field(default_factory=dict)
    _robots: dict[str, _Robots] = field(default_factory=dict)

    def fetch(self, url: str) -> FetchResult:
        """Fetch one HTML page, following redirects; raise FetchError with the reason otherwise."""
        start = canonical_url(url)
        reply, hops = self._follow(start, check_robots=self.cfg.respect_robots, html_only=True)
        if not 200 <= reply.status < 300:
            raise FetchError(
                f"http-{reply.status}", f"{start}: HTTP {reply.status} from {reply.url}"
            )
        return FetchResult(
            start, reply.url, reply.status, _media_type(reply.headers), reply.body, hops
        )

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    # -- redirects and robots -------------------------------------------------------------------

    def _follow(
        self, url: str, check_robots: bool, html_only: bool
    ) -> tuple[_Reply, tuple[str, ...]]:
        """Request `url`, following redirects by hand (loop detection, max_redirects, robots per hop)."""
        seen = [url]
        while True:
            _check_url(url)
            if check_robots:
                self._check_robots(url)
            reply = self._with_retries(url, html_only)
            if reply.status not in REDIRECT_STATUSES:
                return reply, tuple(seen[1:])
            location = reply.headers.get("location")
            if not location:
                raise FetchError(
                    "bad-redirect", f"{seen[0]}: HTTP {reply.status} without Location at {url}"
                )
            url = canonical_url(urljoin(url, location))
            if url in seen:
                raise FetchError(
                    "redirect-loop", f"{seen[0]}: redirect loop {' -> '.join([*seen, url])}"
                )
            if len(seen) > self.cfg.max_redirects:
                raise FetchError(
                    "too-many-redirects", f"{seen[0]}: more than {self.cfg.max_redirects} redirects"
                )
            seen.append(url)

    def _check_robots(self, url: str) -> None:
        """Raise FetchError when robots.txt of the URL's host forbids it (or cannot be read)."""
        robots = self._robots_for(url)
        if robots.error is not None:
            raise FetchError(robots.error.reason, f"{url}: {robots.error.detail}")
        if robots.parser is not None and not robots.parser.can_fetch(self.cfg.user_agent, url):
            raise FetchError("robots-disallowed", f"{url}: disallowed by {_origin(url)}/robots.txt")

    def _robots_for(self, url: str) -> _Robots:
        """robots.txt of the URL's origin, fetched once per run (urllib.robotparser conventions)."""
        origin = _origin(url)
        if origin in self._robots:
            return self._robots[origin]
        robots_url = origin + "/robots.txt"
        parser = urllib.robotparser.RobotFileParser(robots_url)
        robots = _Robots(parser)
        try:
            reply, _ = self._follow(robots_url, check_robots=False, html_only=False)
        except FetchError as e:
            if e.transient:
                robots = _Robots(
                    None, FetchError("robots-unavailable", f"{robots_url}: {e.detail}")
                )
            else:  # e.g. a redirect loop: treated like a missing file
                parser.allow_all = True
        else:
            if reply.status in (401, 403):
                parser.disallow_all = True
            elif 400 <= reply.status < 500:
                parser.allow_all = True
            elif 200 <= reply.status < 300:
                parser.parse(reply.body.decode("utf-8", errors="replace").splitlines())
                delay = parser.crawl_delay(self.cfg.user_agent)
                robots.crawl_delay = float(delay) if delay else 0.0
            else:
                robots = _Robots(
                    None, FetchError("robots-unavailable", f"{robots_url}: HTTP {reply.status}")
                )
        self._robots[origin] = robots
        return robots

    # -- single requests ------------------------------------------------------------------------

    def _with_retries(self, url: str, html_only: bool) -> _Reply:
        """One request with retries (exponential backoff) on 5xx, 429, timeouts and connection errors."""
        for attempt in range(self.cfg.retries + 1):
            last = attempt == self.cfg.retries
            try:
                reply = self._attempt(url, html_only)
            except FetchError as e:
                if last or e.reason not in ("timeout", "connection-error"):
                    raise
            else:
                if last or not (reply.status >= 500 or reply.status in RETRY_STATUSES):
                    return reply
            self.sleep(self.cfg.backoff_seconds * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_turn(self, url: str) -> None:
        """Sleep until this host's minimum interval (or robots Crawl-delay) has passed."""
        host = _host(url)
        robots = self._robots.get(_origin(url))
        interval = max(self.cfg.min_interval_seconds, robots.crawl_delay if robots else 0.0)
        if host in self._last:
            wait = self._last[host] + interval - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last[host] = self.clock()

    def _attempt(self, url: str, html_only: bool) -> _Reply:
        """Send one GET (no redirects); read the body of 2xx replies within the time and size limits."""
        self._wait_turn(url)
        self.requests_made += 1
        timeout = self.cfg.timeout_seconds
        started = self.clock()
        try:
            resp = self.session.get(
                url,
                headers={
                    "User-Agent": self.cfg.user_agent,
                    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                },
                timeout=(timeout, timeout),
                allow_redirects=False,
                stream=True,
            )
        except requests.Timeout as e:
            raise FetchError(
                "timeout", f"{url}: no answer within {timeout:g} s ({type(e).__name__})"
            ) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
            raise FetchError("connection-error", f"{url}: {e}") from None
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ) as e:
            raise FetchError("bad-url", f"{url}: {e}") from None
        except requests.RequestException as e:
            raise FetchError("request-error", f"{url}: {e}") from None
        with resp:
            headers = {k.lower(): v for k, v in resp.headers.items()}
            if not 200 <= resp.status_code < 300:
                return _Reply(url, resp.status_code, headers)
            media = _media_type(headers)
            if html_only and media and media not in self.cfg.accept_content_types:
                raise FetchError("non-html", f"{url}: content type {media!r} is not HTML")
            body = self._read_body(resp, url, started)
        if html_only and not media and not body.lstrip()[:64].lower().startswith(_HTML_SNIFF):
            raise FetchError(
                "non-html", f"{url}: no content type and the body does not look like HTML"
            )
        return _Reply(url, resp.status_code, headers, body)

    def _read_body(self, resp: requests.Response, url: str, started: float) -> bytes:
        """Read the body in chunks, enforcing max_bytes and timeout_seconds for the whole reply."""
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.cfg.max_bytes:
            raise FetchError(
                "response-too-large", f"{url}: {declared} bytes > max_bytes {self.cfg.max_bytes}"
            )
        chunks, size = [], 0
        try:
            # read1 returns whatever has arrived, so a trickling server meets the deadline too.
            while chunk := resp.raw.read1(_CHUNK, decode_content=True):
                size += len(chunk)
                if size > self.cfg.max_bytes:
                    raise FetchError(
                        "response-too-large", f"{url}: more than max_bytes {self.cfg.max_bytes}"
                    )
                if self.clock() - started > self.cfg.timeout_seconds:
                    raise FetchError(
                        "timeout", f"{url}: body not complete within {self.cfg.timeout_seconds:g} s"
                    )
                chunks.append(chunk)
        except urllib3.exceptions.ReadTimeoutError as e:
            raise FetchError("timeout", f"{url}: {e}") from None
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise FetchError("connection-error", f"{url}: {type(e).__name__}: {e}") from None
        return b"".join(chunks)


def fetch_url(url: str, cfg: ScrapeConfig) -> bytes:
    """Fetch one HTML page with the polite rules of `cfg`; raise FetchError with the reason otherwise."""
    fetcher = Fetcher(cfg)
    try:
        return fetcher.fetch(url).data
    finally:
        fetcher.close()
