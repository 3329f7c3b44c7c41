"""Download code through Lambda's presigned URLs, verified against CodeSha256.

The URL (``Code.Location`` / ``Content.Location``) is valid for about ten minutes and carries its
signature in the query string: it is a secret, so only ``scheme://host/path`` is ever printed or
logged.  Downloads stream into a private temporary file, capped at Lambda's size limits; the SHA-256
must equal ``CodeSha256`` (a mismatch is retried once, then an error); a 403 (expired URL) asks for a
fresh location; 429/5xx and dropped connections are retried with backoff.
"""
from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import requests

from ..errors import PkgscanError
from ..http import session as make_session

#: Lambda: 250 MB unzipped; a zip can't be larger than what it unpacks to (plus headers)
MAX_ZIP_BYTES = 256 * 1024 * 1024


class DownloadError(PkgscanError):
    pass


def redact(url: str) -> str:
    """The URL without its query string (which holds the signature) or credentials."""
    p = urlsplit(url)
    host = p.hostname or ""
    if p.port:
        host = f"{host}:{p.port}"
    return f"{p.scheme}://{host}{p.path}"


def b64_sha256(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


@dataclass
class Downloaded:
    path: str
    sha256_hex: str
    size: int
    attempts: int


class Downloader:
    def __init__(self, tmp_dir: str | None = None, max_bytes: int = MAX_ZIP_BYTES, attempts: int = 4,
                 backoff: float = 0.5, timeout: float = 60.0, http: requests.Session | None = None):
        self.tmp_dir = tmp_dir
        self.max_bytes = max_bytes
        self.attempts = attempts
        self.backoff = backoff
        self.timeout = timeout
        # retries on status are handled here (403 needs a fresh URL), so the adapter retries only connects
        self.http = http or make_session(retries=2)
        self.bytes = 0
        self.count = 0

    def fetch(self, location: Callable[[], str], code_sha256_b64: str, label: str) -> Downloaded:
        """Download to a private temp file; ``location()`` returns a (fresh) presigned URL."""
        url = location()
        mismatches = 0
        last = ""
        for attempt in range(1, self.attempts + 1):
            fd, path = tempfile.mkstemp(prefix="pkgscan-", suffix=".zip", dir=self.tmp_dir)
            os.fchmod(fd, 0o600)
            try:
                status, digest, size = self._stream(url, fd)
            except requests.RequestException as exc:
                os.close(fd)
                os.unlink(path)
                last = f"{type(exc).__name__} from {redact(url)}"
                time.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            except DownloadError:
                os.unlink(path)
                raise
            os.close(fd)
            if status == 200:
                got = b64_sha256(digest.digest())
                if got == code_sha256_b64:
                    self.count += 1
                    return Downloaded(path, digest.hexdigest(), size, attempt)
                os.unlink(path)
                mismatches += 1
                last = f"SHA-256 mismatch for {label}: expected {code_sha256_b64}, got {got}"
                if mismatches >= 2:
                    raise DownloadError(last)
                url = location()  # a corrupted transfer: try once more from a fresh URL
                continue
            os.unlink(path)
            last = f"HTTP {status} from {redact(url)}"
            if status == 403:  # the presigned URL expired (or was refused): ask Lambda for a new one
                url = location()
            elif status in (429, 500, 502, 503, 504):
                time.sleep(self.backoff * 2 ** (attempt - 1))
            else:
                raise DownloadError(f"{label}: {last}")
        raise DownloadError(f"{label}: download failed after {self.attempts} attempts ({last})")

    def _stream(self, url: str, fd: int):
        digest = hashlib.sha256()
        size = 0
        with self.http.get(url, stream=True, timeout=self.timeout) as r:
            if r.status_code != 200:
                return r.status_code, digest, 0
            declared = r.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise DownloadError(f"{redact(url)}: {declared} bytes exceeds the limit of {self.max_bytes}")
            for chunk in r.iter_content(1 << 20):
                size += len(chunk)
                if size > self.max_bytes:
                    raise DownloadError(f"{redact(url)}: more than {self.max_bytes} bytes")
                digest.update(chunk)
                os.write(fd, chunk)
            if declared and declared.isdigit() and int(declared) != size:
                raise requests.exceptions.ChunkedEncodingError(f"got {size} of {declared} bytes")
        self.bytes += size
        return 200, digest, size
