"""A real HTTP server on 127.0.0.1 for the scrape tests: fixture pages plus scripted faults."""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HTML = "text/html; charset=utf-8"


class FaultServer(ThreadingHTTPServer):
    """Serves tests/fixtures/scrape and records every hit (path, monotonic time, user agent)."""

    daemon_threads = True

    def __init__(self, fixtures: Path):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fixtures = fixtures
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget hits and fault state; restore the default robots.txt."""
        with self.lock:
            self.hits: list[tuple[str, float, str]] = []
            self.seen: Counter[str] = Counter()
        self.robots_status = 200
        self.robots_text = (self.fixtures / "robots.txt").read_text(encoding="utf-8")

    @property
    def base(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def paths(self, include_robots: bool = False) -> list[str]:
        """Requested paths in order."""
        return [p for p, _, _ in self.hits if include_robots or p != "/robots.txt"]

    def count(self, path: str) -> int:
        """How often `path` was requested."""
        return sum(1 for p, _, _ in self.hits if p == path)


class _Handler(BaseHTTPRequestHandler):
    server: FaultServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence the default log
        return

    def _send(
        self, status: int, body: bytes = b"", ctype: str = HTML, headers: dict | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _fixture(self, name: str) -> bytes:
        return (self.server.fixtures / name).read_bytes()

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        srv, path = self.server, self.path
        with srv.lock:
            srv.hits.append((path, time.monotonic(), self.headers.get("User-Agent", "")))
            srv.seen[path] += 1
            n = srv.seen[path]
        if path == "/robots.txt":
            self._send(srv.robots_status, srv.robots_text.encode(), "text/plain")
        elif path.startswith("/post") or path == "/private/secret.html":
            name = path.rsplit("/", 1)[1] if path.startswith("/post") else "post1.html"
            self._send(200, self._fixture(name))
        elif path == "/missing.html":
            self._send(404, b"<html>not here</html>")
        elif path == "/flaky.html":
            self._send(500, b"oops") if n == 1 else self._send(200, self._fixture("post2.html"))
        elif path == "/always500.html":
            self._send(500, b"oops")
        elif path == "/slow.html":
            time.sleep(1.0)
            self._send(200, self._fixture("post1.html"))
        elif path == "/trickle.html":
            self._trickle()
        elif path in ("/loop-a", "/loop-b"):
            self._send(302, headers={"Location": "/loop-b" if path == "/loop-a" else "/loop-a"})
        elif path == "/moved":
            self._send(301, headers={"Location": "/post3.html#comments"})
        elif path.startswith("/chain/"):
            k = int(path.rsplit("/", 1)[1])
            self._send(302, headers={"Location": f"/chain/{k - 1}" if k > 0 else "/post1.html"})
        elif path == "/gzip.html":
            body = gzip.compress(self._fixture("post2.html"))
            self._send(200, body, headers={"Content-Encoding": "gzip"})
        elif path == "/data.json":
            self._send(200, self._fixture("data.json"), "application/json")
        elif path == "/no-type.html":
            body = self._fixture("post4.html")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self._send(404, b"")

    def _trickle(self) -> None:
        """Headers at once, then one byte every 0.1 s for 1 s (each read is quick, the whole is slow)."""
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        self.send_header("Content-Length", "10")
        self.end_headers()
        try:
            for _ in range(10):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
