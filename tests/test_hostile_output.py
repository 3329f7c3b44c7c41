"""Hostile values in what pkgscan prints or fetches: summary.md renders every field as inert text;
presigned downloads never follow a redirect to another host and never retry a refused scheme."""
from __future__ import annotations

import hashlib
import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pkgscan.aws import results
from pkgscan.aws.download import Downloader, DownloadError
from pkgscan.aws.model import AccountResult, FunctionResult, RegionResult

LINK = "[click](https://evil.example/x)"
IMAGE = "![x](https://evil.example/p.png)"
MENTION = "@octocat"
HTML = "<img src=x onerror=alert(1)>"


def test_summary_md_is_inert():
    fr = FunctionResult(arn="arn:aws:lambda:us-east-1:111122223333:function:f", account="111122223333",
                        region="us-east-1", name=LINK, version="$LATEST", status="failed",
                        reason=f"{IMAGE} {MENTION} {HTML} | x", runtime="python3.12 **bold**")
    doc = results.summary(AccountResult(account="111122223333", functions=[fr],
                                        regions=[RegionResult(region="us-east-1", status="failed", reason=IMAGE)]),
                          accounts=[{"account": "111122223333", "name": "", "status": "denied", "reason": LINK}])
    md = results.markdown(doc)
    for live in ("](", "<img", "**bold**", " @octocat"):
        assert live not in md, (live, md)
    assert "\\[click\\]\\(https://evil.example/x\\)" in md and "\\@octocat" in md and "&lt;img" in md
    rows = [l for l in md.splitlines() if l.startswith("| 111122223333")]
    assert len(rows) == 1 and rows[0].count(" | ") == 7  # the "|" in the reason stays in its cell


class _Handler(BaseHTTPRequestHandler):
    routes: dict = {}
    hits: list = []

    def do_GET(self):  # noqa: N802
        self.hits.append((self.headers.get("Host"), self.path))
        status, headers, body = self.routes.get(self.path, (404, {}, b""))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()


def _sha(b: bytes) -> str:
    return base64.b64encode(hashlib.sha256(b).digest()).decode()


def test_redirect_to_another_host_is_not_followed(server):
    body = b"PK\x05\x06" + bytes(18)
    _Handler.routes.update({
        "/code.zip?X-Amz-Signature=s": (302, {"Location": f"http://localhost:{server}/stolen.zip"}, b""),
        "/stolen.zip": (200, {}, body),
        "/same.zip?X-Amz-Signature=s": (307, {"Location": "/real.zip"}, b""),
        "/real.zip": (200, {}, body),
    })
    _Handler.hits.clear()
    d = Downloader(backoff=0)
    with pytest.raises(DownloadError, match="another host"):
        d.fetch(lambda: f"http://127.0.0.1:{server}/code.zip?X-Amz-Signature=s", _sha(body), "fn")
    assert all(path != "/stolen.zip" for _h, path in _Handler.hits)
    got = d.fetch(lambda: f"http://127.0.0.1:{server}/same.zip?X-Amz-Signature=s", _sha(body), "fn")  # same host: fine
    assert got.size == len(body)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://h/x", "nonsense"])
def test_refused_scheme_is_not_retried(url):
    calls = []

    def location():
        calls.append(1)
        return url

    with pytest.raises(DownloadError, match="refused"):
        Downloader(backoff=5).fetch(location, "x", "fn")
    assert len(calls) == 1
