"""``pkgscan db update``: download OSV's per-ecosystem exports and import them atomically.

``<base>/<Ecosystem>/all.zip`` (by default for every OSV ecosystem in :mod:`pkgscan.ecosystems`)
is fetched conditionally (If-None-Match / If-Modified-Since from the
previous update), streamed to a temporary file beside the database, checked (Content-Length, the
``x-goog-hash`` MD5 that Google Cloud Storage sends, every member's CRC-32), and only then imported.
Any failure leaves the previous database untouched.
"""
from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import requests

from .. import ecosystems as _ecosystems
from ..errors import PkgscanError
from ..http import describe, is_dns_failure
from ..http import session as make_session
from .store import ImportReport, default_db_dir, import_path, writer

DEFAULT_BASE = "https://osv-vulnerabilities.storage.googleapis.com"
#: what ``pkgscan db update`` fetches by default: every ecosystem OSV publishes advisories for that
#: pkgscan registers (the CLI's ``--ecosystem`` choices should be exactly these)
ECOSYSTEMS: tuple[str, ...] = _ecosystems.osv_names()


class UpdateError(PkgscanError):
    pass


@dataclass
class UpdateResult:
    ecosystem: str
    status: str  # "updated" | "not-modified"
    report: ImportReport | None = None
    bytes: int = 0


def _expected_md5(headers) -> str | None:
    for part in (headers.get("x-goog-hash") or "").split(","):
        k, _, v = part.strip().partition("=")
        if k == "md5" and v:
            try:
                return base64.b64decode(v).hex()
            except ValueError:
                return None
    return None


def _download(http: requests.Session, url: str, dest: Path, etag: str, last_modified: str,
              timeout: float, attempts: int = 3, backoff: float = 0.5):
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    last_error = ""
    for attempt in range(attempts):
        try:
            with http.get(url, headers=headers, stream=True, timeout=timeout) as r:
                if r.status_code == 304:
                    return None
                if r.status_code != 200:
                    raise UpdateError(f"{url}: HTTP {r.status_code}")
                md5 = hashlib.md5()  # noqa: S324 - integrity check against the server's MD5
                size = 0
                with open(dest, "wb") as fh:
                    for chunk in r.iter_content(1 << 20):
                        fh.write(chunk)
                        md5.update(chunk)
                        size += len(chunk)
                length = r.headers.get("Content-Length")
                if length is not None and r.headers.get("Content-Encoding") in (None, "identity") and int(length) != size:
                    raise requests.exceptions.ChunkedEncodingError(f"got {size} of {length} bytes")
                want = _expected_md5(r.headers)
                if want and want != md5.hexdigest():
                    raise requests.exceptions.ChunkedEncodingError("MD5 mismatch")
                return r.headers.get("ETag", ""), r.headers.get("Last-Modified", ""), size
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError,
                requests.exceptions.Timeout) as exc:
            if is_dns_failure(exc):
                raise UpdateError(f"{url}: {describe(exc, url)}") from None
            last_error = describe(exc, url) if not isinstance(exc, requests.exceptions.ChunkedEncodingError) \
                else (str(exc) or type(exc).__name__)
            if attempt + 1 < attempts:
                time.sleep(min(8.0, backoff * 2**attempt))
    raise UpdateError(f"{url}: download failed after {attempts} attempts ({last_error})")


def update(db_dir: str | os.PathLike[str] | None = None, base_url: str = DEFAULT_BASE,
           ecosystems: tuple[str, ...] = ECOSYSTEMS, timeout: float = 120.0,
           http: requests.Session | None = None, backoff: float = 0.5,
           progress: Callable[[str], None] | None = None) -> list[UpdateResult]:
    """Fetch and import each ecosystem's export; ``progress`` hears one line per step."""
    say = progress or (lambda _msg: None)
    db_dir = Path(db_dir) if db_dir else default_db_dir()
    db_dir.mkdir(parents=True, exist_ok=True)
    http = http or make_session()
    results = []
    with writer(db_dir) as w:
        for eco in ecosystems:
            origin = f"osv:{eco}"
            prev = w.source(origin) or ("", "")
            url = f"{base_url.rstrip('/')}/{eco}/all.zip"
            fd, tmp = tempfile.mkstemp(prefix=".download-", suffix=".zip", dir=db_dir)
            os.close(fd)
            try:
                say(f"{eco}: downloading {url}")
                got = _download(http, url, Path(tmp), prev[0], prev[1], timeout, backoff=backoff)
                if got is None:
                    results.append(UpdateResult(eco, "not-modified"))
                    continue
                etag, last_modified, size = got
                say(f"{eco}: importing {size} bytes")
                report = import_path(w, tmp, origin=origin, replace=True)
                if report.unreadable:  # any member that cannot be read means the download is corrupt
                    bad = dict(report.skipped)
                    name = report.unreadable[0]
                    raise UpdateError(f"{url}: corrupt download ({name}: {bad.get(name, 'unreadable')})")
                w.set_source(origin, url, report.imported + report.updated + report.unchanged, etag, last_modified)
                results.append(UpdateResult(eco, "updated", report, size))
            finally:
                Path(tmp).unlink(missing_ok=True)
    return results
