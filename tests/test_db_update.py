"""``pkgscan db update`` against a real HTTP server on the loopback interface.

The server serves the real committed OSV exports at ``/<Ecosystem>/all.zip`` the way OSV's Google
Cloud Storage bucket does: ETag, Last-Modified, two ``x-goog-hash`` lines (crc32c and md5, base64),
304 on a matching If-None-Match.  Failures (503, 404, corrupted, truncated bodies) are scripted per
request.  Nothing in requests is patched: the update goes over real sockets.
"""
from __future__ import annotations

import base64
import hashlib
import socket
import threading
from contextlib import contextmanager
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pkgscan import ecosystems
from pkgscan.vulns import update as upd
from pkgscan.http import session
from pkgscan.vulns.store import DB_FILE, AdvisoryDB

from .conftest import SAMPLES

ADVISORIES = SAMPLES / "advisories"
OTHERS = Path(__file__).parent / "fixtures" / "osv-exports"  # real records; see its README
EXPORTS = {"PyPI": ADVISORIES / "PyPI-all.zip", "npm": ADVISORIES / "npm-all.zip", "Maven": OTHERS / "Maven-sample.zip",
           "Go": OTHERS / "Go-sample.zip", "NuGet": OTHERS / "NuGet-sample.zip", "RubyGems": OTHERS / "RubyGems-sample.zip"}
#: records per export
COUNTS = {"PyPI": 2664, "npm": 30, "Maven": 10, "Go": 5, "NuGet": 1, "RubyGems": 2}
#: advisories per ecosystem in a database holding every export (a record may also name packages of
#: other ecosystems: npm's moment record lists a NuGet package, one lists a Maven one)
DB_COUNTS = {"PyPI": 2664, "npm": 30, "Maven": 11, "Go": 5, "NuGet": 3, "RubyGems": 2}

_CRC32C_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


class Export:
    """One object in the bucket, with the headers GCS sends for it."""

    def __init__(self, data: bytes, crc_b64: str):
        self.data = data
        self.crc_b64 = crc_b64
        self.publish(1)

    def publish(self, generation: int) -> None:
        """A new generation of the same content: new ETag and Last-Modified."""
        self.etag = f'"{hashlib.md5(self.data).hexdigest()}-{generation}"'  # noqa: S324
        self.last_modified = formatdate(1728561600 + generation * 3600, usegmt=True)
        self.md5_b64 = base64.b64encode(hashlib.md5(self.data).digest()).decode()  # noqa: S324


_LOADED: dict[Path, tuple[bytes, str]] = {}


def load_export(path: Path) -> Export:
    if path not in _LOADED:
        data = path.read_bytes()
        _LOADED[path] = (data, base64.b64encode(crc32c(data).to_bytes(4, "big")).decode())
    return Export(*_LOADED[path])


def flipped(data: bytes, n: int = 1) -> bytes:
    b = bytearray(data)
    mid = len(b) // 2
    for i in range(mid, mid + n):
        b[i] ^= 0xFF
    return bytes(b)


class OSVBucket(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that hangs up mid-answer (pkgscan stops reading after an error) is normal here; the
        default handler prints a traceback to stderr, which in-process CLI tests would capture."""
        import sys

        _t, exc, _tb = sys.exc_info()
        if not isinstance(exc, (ConnectionError, TimeoutError)):  # anything else is a bug: shown as usual
            super().handle_error(request, client_address)

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.exports = {eco: load_export(p) for eco, p in EXPORTS.items()}
        #: path -> list of modes for the next requests ("ok" when empty)
        self.script: dict[str, list[str]] = {}
        #: (path, headers) of every request, in order
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def plan(self, eco: str, *modes: str) -> None:
        self.script[f"/{eco}/all.zip"] = list(modes)

    def seen(self, eco: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == f"/{eco}/all.zip"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: OSVBucket

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _status(self, code: int) -> None:
        body = f"{code}\n".encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        srv = self.server
        with srv.lock:
            srv.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            queue = srv.script.get(self.path) or []
            mode = queue.pop(0) if queue else "ok"
        parts = self.path.strip("/").split("/")
        export = srv.exports.get(parts[0]) if len(parts) == 2 and parts[1] == "all.zip" else None
        if mode == "404" or export is None:
            return self._status(404)
        if mode == "503":
            return self._status(503)
        if self.headers.get("If-None-Match") == export.etag:
            self.send_response(304)
            self.send_header("ETag", export.etag)
            self.end_headers()
            return
        body = export.data
        md5 = export.md5_b64
        if mode in ("flip", "flip-nomd5"):
            body = flipped(body)  # corrupted in transit: the headers still describe the real object
        elif mode == "badmd5":
            md5 = base64.b64encode(hashlib.md5(b"something else").digest()).decode()  # noqa: S324
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(export.data)))
        self.send_header("ETag", export.etag)
        self.send_header("Last-Modified", export.last_modified)
        self.send_header("x-goog-hash", f"crc32c={export.crc_b64}")
        if mode != "flip-nomd5":
            self.send_header("x-goog-hash", f"md5={md5}")
        self.end_headers()
        if mode == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


@contextmanager
def osv_bucket():
    srv = OSVBucket()
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(5)


@pytest.fixture()
def bucket():
    with osv_bucket() as srv:
        yield srv


def fast_session():
    """The production session factory, with a small backoff so retries don't slow the tests."""
    return session(retries=3, backoff=0.01)


def leftovers(db_dir: Path) -> list[str]:
    return sorted(p.name for p in db_dir.iterdir() if p.name not in (DB_FILE, ".lock"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(db_dir: Path) -> dict[str, int]:
    db = AdvisoryDB(db_dir)
    try:
        return {e["ecosystem"]: e["advisories"] for e in db.status()["ecosystems"] if e["ecosystem"] in ("PyPI", "npm")}
    finally:
        db.close()


# --------------------------------------------------------------------------- tests

def test_default_ecosystems_are_the_registered_osv_ecosystems():
    assert upd.ECOSYSTEMS == ecosystems.osv_names()
    assert set(upd.ECOSYSTEMS) == set(EXPORTS)  # the bucket below serves each of them
    assert {"PyPI", "npm", "Maven", "Go", "NuGet", "RubyGems"} <= set(upd.ECOSYSTEMS)


def test_first_update_imports_every_export(bucket, tmp_path):
    results = upd.update(tmp_path, bucket.base_url, http=fast_session())
    assert [(r.ecosystem, r.status) for r in results] == [(e, "updated") for e in upd.ECOSYSTEMS]
    for r in results:
        assert r.bytes == len(bucket.exports[r.ecosystem].data)
        assert (r.report.imported, r.report.skipped) == (COUNTS[r.ecosystem], [])
    assert counts(tmp_path) == {"PyPI": 2664, "npm": 30}
    st = AdvisoryDB(tmp_path).status()
    assert {e["ecosystem"]: e["advisories"] for e in st["ecosystems"]} == DB_COUNTS
    src = {s["origin"]: s for s in st["sources"]}
    for eco in COUNTS:
        s = src[f"osv:{eco}"]
        assert s["location"] == f"{bucket.base_url}/{eco}/all.zip"
        assert s["etag"] == bucket.exports[eco].etag
        assert s["last_modified"] == bucket.exports[eco].last_modified
        assert s["records"] == COUNTS[eco]
    # The first request is unconditional.
    assert all("if-none-match" not in h and "if-modified-since" not in h for _p, h in bucket.requests)
    assert leftovers(tmp_path) == []


def test_second_update_is_conditional_and_not_modified(bucket, tmp_path):
    upd.update(tmp_path, bucket.base_url, http=fast_session())
    before = AdvisoryDB(tmp_path).status()
    n = len(bucket.requests)
    results = upd.update(tmp_path, bucket.base_url, http=fast_session())
    assert [(r.ecosystem, r.status) for r in results] == [(e, "not-modified") for e in upd.ECOSYSTEMS]
    second = bucket.requests[n:]
    assert len(second) == len(upd.ECOSYSTEMS)
    for eco in COUNTS:
        (h,) = bucket.seen(eco)[1:]
        assert h["if-none-match"] == bucket.exports[eco].etag
        assert h["if-modified-since"] == bucket.exports[eco].last_modified
    after = AdvisoryDB(tmp_path).status()
    assert counts(tmp_path) == {"PyPI": 2664, "npm": 30}
    assert after["sources"] == before["sources"]  # etag / last_modified kept for the next time
    assert leftovers(tmp_path) == []


def test_republished_export_is_downloaded_again(bucket, tmp_path):
    upd.update(tmp_path, bucket.base_url, ecosystems=("npm",), http=fast_session())
    bucket.exports["npm"].publish(2)  # a new generation: new ETag and Last-Modified
    (r,) = upd.update(tmp_path, bucket.base_url, ecosystems=("npm",), http=fast_session())
    assert r.status == "updated" and r.report.imported == 30  # the origin is replaced as a whole
    assert counts(tmp_path) == {"npm": 30}
    src = {s["origin"]: s for s in AdvisoryDB(tmp_path).status()["sources"]}
    assert src["osv:npm"]["etag"] == bucket.exports["npm"].etag


def test_503_then_success_is_retried(bucket, tmp_path):
    bucket.plan("PyPI", "503", "503")
    results = upd.update(tmp_path, bucket.base_url, http=fast_session())
    assert [r.status for r in results] == ["updated"] * len(upd.ECOSYSTEMS)
    assert len(bucket.seen("PyPI")) == 3 and len(bucket.seen("npm")) == 1
    assert counts(tmp_path) == {"PyPI": 2664, "npm": 30}


def test_503_then_success_with_the_default_session(bucket, tmp_path):
    """What `pkgscan db update` really uses: the first retry of a 503 comes without delay."""
    bucket.plan("npm", "503")
    (r,) = upd.update(tmp_path, bucket.base_url, ecosystems=("npm",))
    assert r.status == "updated" and len(bucket.seen("npm")) == 2


def test_transient_corruption_is_retried(bucket, tmp_path):
    bucket.plan("npm", "flip")
    (r,) = upd.update(tmp_path, bucket.base_url, ecosystems=("npm",), http=fast_session())
    assert r.status == "updated" and r.report.imported == 30 and r.report.skipped == []
    assert len(bucket.seen("npm")) == 2


@pytest.mark.parametrize("mode, why", [
    ("flip", "MD5"),          # bytes flipped in the middle; the md5 header is the real object's
    ("badmd5", "MD5"),        # intact body, wrong md5 header
    ("truncate", "attempts"),  # full Content-Length announced, connection dropped half way
])
def test_corrupted_download_fails_and_keeps_the_old_database(bucket, tmp_path, mode, why):
    upd.update(tmp_path, bucket.base_url, http=fast_session())
    before = sha256(tmp_path / DB_FILE)
    for e in bucket.exports.values():
        e.publish(2)
    bucket.plan("PyPI", mode, mode, mode, mode)
    with pytest.raises(upd.UpdateError) as ei:
        upd.update(tmp_path, bucket.base_url, http=fast_session())
    msg = str(ei.value)
    assert "/PyPI/all.zip" in msg and why in msg and "\n" not in msg
    assert len(bucket.seen("PyPI")) == 1 + 3  # three attempts
    assert sha256(tmp_path / DB_FILE) == before
    assert counts(tmp_path) == {"PyPI": 2664, "npm": 30}
    assert leftovers(tmp_path) == []


def test_corruption_without_md5_header_is_caught_by_the_zip_checks(bucket, tmp_path):
    upd.update(tmp_path, bucket.base_url, ecosystems=("PyPI",), http=fast_session())
    before = sha256(tmp_path / DB_FILE)
    bucket.exports["PyPI"].publish(2)
    bucket.plan("PyPI", "flip-nomd5", "flip-nomd5", "flip-nomd5")
    try:
        with pytest.raises(upd.UpdateError):
            upd.update(tmp_path, bucket.base_url, ecosystems=("PyPI",), http=fast_session())
    finally:
        assert leftovers(tmp_path) == []
    assert sha256(tmp_path / DB_FILE) == before


def test_404_for_an_ecosystem_is_a_clear_error(bucket, tmp_path):
    upd.update(tmp_path, bucket.base_url, ecosystems=("npm",), http=fast_session())
    before = sha256(tmp_path / DB_FILE)
    bucket.plan("PyPI", "404")
    with pytest.raises(upd.UpdateError) as ei:
        upd.update(tmp_path, bucket.base_url, http=fast_session())
    msg = str(ei.value)
    assert "404" in msg and "/PyPI/all.zip" in msg
    assert len(bucket.seen("PyPI")) == 1  # a 404 is not retried
    assert sha256(tmp_path / DB_FILE) == before and leftovers(tmp_path) == []


def test_unknown_ecosystem_404_on_a_fresh_directory_creates_no_database(bucket, tmp_path):
    d = tmp_path / "db"
    with pytest.raises(upd.UpdateError):
        upd.update(d, bucket.base_url, ecosystems=("Hackage",), http=fast_session())
    assert not (d / DB_FILE).exists() and leftovers(d) == []


def test_server_down_is_an_update_error(tmp_path):
    with osv_bucket() as srv:
        url = srv.base_url
    with pytest.raises(upd.UpdateError) as ei:
        upd.update(tmp_path, url, ecosystems=("npm",), http=session(retries=0, backoff=0))
    assert "/npm/all.zip" in str(ei.value)
    assert not (tmp_path / DB_FILE).exists() and leftovers(tmp_path) == []
