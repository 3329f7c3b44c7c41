"""Loopback HTTP servers that stand in for osv.dev's API and PyPI's JSON API in tests.

Each server is a real ``http.server.ThreadingHTTPServer`` on 127.0.0.1 with an ephemeral port,
running in a daemon thread, so the code under test goes through its real HTTP stack (requests,
urllib3 retries, pip-audit's caching session).  Both serve the REAL committed OSV exports in
``sample_packages/advisories``.

"Is this version affected?" is answered here by an implementation of the OSV evaluation algorithm
(https://ossf.github.io/osv-schema/#evaluation) written independently of ``pkgscan.vulns`` (it
imports nothing from pkgscan), so a test that compares what pkgscan reports through these servers
with what pkgscan's own matcher reports offline cross-checks the two implementations.
"""
from __future__ import annotations

import json
import re
import threading
import zipfile
from collections import Counter, deque
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterable

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[2]
ADVISORIES = ROOT / "sample_packages" / "advisories"
EXPORTS = (ADVISORIES / "PyPI-all.zip", ADVISORIES / "npm-all.zip")


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------
def load_export(path: str | Path) -> list[dict]:
    """Every record of an OSV export zip (``<ID>.json`` members)."""
    out = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            if name.endswith(".json"):
                out.append(json.loads(zf.read(name)))
    return out


@lru_cache(maxsize=None)
def _cached_exports(paths: tuple[str, ...]) -> tuple[dict, ...]:
    return tuple(r for p in paths for r in load_export(p))


def load_records(paths: Iterable[str | Path] = EXPORTS) -> list[dict]:
    """Records of several exports (parsed once per process; callers must not mutate them)."""
    return list(_cached_exports(tuple(str(p) for p in paths)))


# ---------------------------------------------------------------------------------------------
# Independent OSV matching
# ---------------------------------------------------------------------------------------------
def pep503(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def package_name(ecosystem: str, name: str) -> str:
    return pep503(name) if ecosystem == "PyPI" else name


_SEMVER = re.compile(
    r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


class SemVer:
    """SemVer 2.0.0 precedence (section 11); build metadata ignored.

    Parsing is a little lenient, as osv.dev's is: an optional leading "v", and missing minor or
    patch numbers count as 0 (real GHSA records say ``introduced: "1.0"``).
    """

    __slots__ = ("core", "pre")

    def __init__(self, text: str):
        m = _SEMVER.match(text.strip())
        if not m:
            raise ValueError(f"not a semantic version: {text!r}")
        self.core = (int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0))
        self.pre = tuple(m.group(4).split(".")) if m.group(4) else ()

    @staticmethod
    def _ident_lt(a: str, b: str) -> bool:
        an, bn = a.isdigit(), b.isdigit()
        if an and bn:
            return int(a) < int(b)
        if an != bn:
            return an  # numeric identifiers have lower precedence than alphanumeric ones
        return a < b  # ASCII order

    def _cmp(self, other: "SemVer") -> int:
        if self.core != other.core:
            return -1 if self.core < other.core else 1
        if self.pre == other.pre:
            return 0
        if not self.pre:
            return 1  # a release outranks its pre-releases
        if not other.pre:
            return -1
        for a, b in zip(self.pre, other.pre):
            if a == b:
                continue
            return -1 if self._ident_lt(a, b) else 1
        return -1 if len(self.pre) < len(other.pre) else 1

    def __eq__(self, other):  # type: ignore[override]
        return isinstance(other, SemVer) and self._cmp(other) == 0

    def __lt__(self, other):
        return self._cmp(other) < 0

    def __le__(self, other):
        return self._cmp(other) <= 0

    def __gt__(self, other):
        return self._cmp(other) > 0

    def __ge__(self, other):
        return self._cmp(other) >= 0

    def __hash__(self):
        return hash((self.core, self.pre))


@lru_cache(maxsize=1 << 18)
def parse_version(ecosystem: str, range_type: str, text: str):
    """A comparable version key, or None when the string cannot be ordered.

    PyPI: PEP 440 (``packaging``); a string PEP 440 rejects sorts before every valid version, as
    the legacy versions of ``packaging`` < 22 (what osv.dev orders PyPI with) did - among
    themselves plain string order (a simplification; real data has a handful).  npm and SEMVER
    ranges: SemVer 2.0 precedence; an invalid string cannot be ordered.
    """
    if range_type == "SEMVER" or ecosystem == "npm":
        try:
            return SemVer(text)
        except ValueError:
            return None
    if ecosystem == "PyPI":
        try:
            return (1, Version(text))
        except InvalidVersion:
            return (0, text.strip().lower())
    return None  # an ecosystem this server does not order


_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


def _in_range(ecosystem: str, rng: dict, version: str) -> bool:
    rtype = rng.get("type")
    if rtype not in ("ECOSYSTEM", "SEMVER"):
        return False  # GIT ranges name commits; nothing to compare a version with
    v = parse_version(ecosystem, rtype, version)
    if v is None:
        return False
    zero = object()
    events = []
    for ev in rng.get("events") or []:
        for n, kind in enumerate(_EVENT_KINDS):
            if kind in ev:
                raw = str(ev[kind])
                if kind == "introduced" and raw == "0":
                    events.append((0, None, n, kind, zero))
                    continue
                if kind == "limit" and "*" in raw:
                    events.append((2, None, n, kind, None))  # infinity
                    continue
                pv = parse_version(ecosystem, rtype, raw)
                if pv is not None:  # an event that is not a version cannot be compared: skipped
                    events.append((1, pv, n, kind, pv))
    # BeforeLimits
    limits = [e for e in events if e[3] == "limit"]
    if limits and not any(e[4] is None or v < e[4] for e in limits):
        return False
    # sorted(range.events): "0" first, then by version; at equal versions introduced first.
    ordered = sorted(events, key=lambda e: (e[0], _SortKey(e[1]), e[2]))
    vulnerable = False
    for _g, _pv, _n, kind, val in ordered:
        if kind == "introduced" and (val is zero or v >= val):
            vulnerable = True
        elif kind == "fixed" and v >= val:
            vulnerable = False
        elif kind == "last_affected" and v > val:
            vulnerable = False
    return vulnerable


class _SortKey:
    """Wraps Version/SemVer (or None) so sorted() can compare them."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        if self.v is None or other.v is None:
            return False
        return self.v < other.v

    def __eq__(self, other):
        return self.v is None or other.v is None or self.v == other.v


def _in_versions(ecosystem: str, versions: list, version: str) -> bool:
    for listed in versions or ():
        listed = str(listed)
        if listed == version:
            return True
        if ecosystem == "PyPI":
            a, b = parse_version("PyPI", "ECOSYSTEM", listed), parse_version("PyPI", "ECOSYSTEM", version)
            if a[0] == b[0] == 1 and a == b:  # PEP 440 equality ("1.0" == "1.0.0")
                return True
    return False


def entries_for(record: dict, ecosystem: str, name: str) -> list[dict]:
    """The record's ``affected`` entries for this package (entry-level ecosystem, normalized name)."""
    out = []
    for entry in record.get("affected") or []:
        pkg = entry.get("package") or {}
        eco = str(pkg.get("ecosystem", "")).split(":", 1)[0]
        if eco == ecosystem and package_name(eco, str(pkg.get("name", ""))) == package_name(ecosystem, name):
            out.append(entry)
    return out


def affects(record: dict, ecosystem: str, name: str, version: str | None) -> bool:
    """IsVulnerable(pkg, v, osv) of the OSV spec.  ``version=None`` means "any version"."""
    for entry in entries_for(record, ecosystem, name):
        if version is None:
            return True
        if _in_versions(ecosystem, entry.get("versions"), version):
            return True
        if any(_in_range(ecosystem, r, version) for r in entry.get("ranges") or []):
            return True
    return False


class RecordIndex:
    """Records by id and by (ecosystem, normalized name)."""

    def __init__(self, records: Iterable[dict]):
        self.by_id: dict[str, dict] = {}
        self.by_package: dict[tuple[str, str], list[dict]] = {}
        for r in records:
            self.by_id[r["id"]] = r
            seen = set()
            for entry in r.get("affected") or []:
                pkg = entry.get("package") or {}
                eco = str(pkg.get("ecosystem", "")).split(":", 1)[0]
                key = (eco, package_name(eco, str(pkg.get("name", ""))))
                if key not in seen:
                    seen.add(key)
                    self.by_package.setdefault(key, []).append(r)

    def matching(self, ecosystem: str, name: str, version: str | None) -> list[dict]:
        recs = self.by_package.get((ecosystem, package_name(ecosystem, name)), [])
        return sorted((r for r in recs if affects(r, ecosystem, name, version)), key=lambda r: r["id"])


# ---------------------------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------------------------
class Fault:
    def __init__(self, status: int, retry_after: str | None = None, body: bytes = b""):
        self.status, self.retry_after, self.body = status, retry_after, body


class _QuietServer(ThreadingHTTPServer):
    """A client hanging up mid-answer is normal in these tests: no traceback on stderr for it (in-process
    CLI tests capture stderr); any other error is shown as usual."""

    def handle_error(self, request, client_address):
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class LoopbackServer:
    """Base: start/stop, request counting per endpoint, fault injection.

    Subclasses implement ``route(handler, method, path, body) -> (status, headers, payload)`` and
    ``endpoint(method, path) -> str`` (the name requests are counted and faults injected under).
    """

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.faults_served: Counter[tuple[str, int]] = Counter()
        self._faults: dict[str, deque[Fault]] = {}
        self._forever: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # fault injection ---------------------------------------------------------------------
    def fail_next(self, endpoint: str, status: int, count: int = 1, retry_after: str | None = None) -> None:
        """Answer the next ``count`` requests to ``endpoint`` with ``status``."""
        with self._lock:
            q = self._faults.setdefault(endpoint, deque())
            q.extend(Fault(status, retry_after) for _ in range(count))

    def fail_forever(self, endpoint: str, status: int, retry_after: str | None = None) -> None:
        with self._lock:
            self._forever[endpoint] = Fault(status, retry_after)

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.faults_served.clear()
            self._faults.clear()
            self._forever.clear()

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            q = self._faults.get(endpoint)
            if q:
                return q.popleft()
            return self._forever.get(endpoint)

    # lifecycle -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self.httpd is not None, "server not started"
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LoopbackServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else keep-alive requests wait for delayed ACKs

            def log_message(self, *args):  # quiet
                pass

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path
                endpoint = server.endpoint(method, path)
                with server._lock:
                    server.counts[endpoint] += 1
                fault = server._take_fault(endpoint)
                if fault is not None:
                    with server._lock:
                        server.faults_served[(endpoint, fault.status)] += 1
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                    payload = fault.body or json.dumps({"code": fault.status, "message": "injected fault"}).encode()
                    self._send(fault.status, headers, payload)
                    return
                try:
                    status, headers, payload = server.route(self, method, path, body)
                except Exception as exc:  # a bug in the test server: make it visible
                    status, headers, payload = 500, {}, json.dumps({"message": repr(exc)}).encode()
                self._send(status, headers, payload)

            def _send(self, status: int, headers: dict, payload: bytes) -> None:
                self.send_response(status)
                headers = dict(headers)
                headers.setdefault("Content-Type", "application/json")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=5)
            self.httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # subclass API --------------------------------------------------------------------------
    def endpoint(self, method: str, path: str) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def route(self, handler, method: str, path: str, body: bytes):  # pragma: no cover - abstract
        raise NotImplementedError


def json_response(status: int, obj, headers: dict | None = None):
    return status, dict(headers or {}), json.dumps(obj).encode()


__all__ = [
    "ADVISORIES", "EXPORTS", "LoopbackServer", "RecordIndex", "SemVer", "affects", "entries_for",
    "json_response", "load_export", "load_records", "package_name", "parse_version", "pep503",
]
