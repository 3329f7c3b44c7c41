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
from urllib.parse import urljoin, urlsplit

import requests

from ..errors import PkgscanError
from ..http import session as make_session

#: Lambda: 250 MB unzipped; a zip can't be larger than what it unpacks to (plus headers)
MAX_ZIP_BYTES = 256 * 1024 * 1024


class DownloadError(PkgscanError):
    pass


MAX_REDIRECTS = 3
_NOT_RETRIED = (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema, requests.exceptions.InvalidURL,
                requests.exceptions.TooManyRedirects)


def _origin(url: str) -> tuple[str, str, int | None]:
    p = urlsplit(url)
    try:
        port = p.port
    except ValueError:
        port = -1
    return p.scheme.lower(), (p.hostname or "").lower(), port


def _checked(url: str) -> str:
    """Only http(s) URLs are fetched; anything else is refused at once (never retried)."""
    if not isinstance(url, str) or urlsplit(url).scheme.lower() not in ("https", "http") or not urlsplit(url).hostname:
        raise DownloadError(f"refused download location {redact(str(url))!r}: only https URLs are fetched")
    return url


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
        url = _checked(location())
        mismatches = 0
        last = ""
        for attempt in range(1, self.attempts + 1):
            fd, path = tempfile.mkstemp(prefix="pkgscan-", suffix=".zip", dir=self.tmp_dir)
            os.fchmod(fd, 0o600)
            try:
                status, digest, size = self._stream(url, fd)
            except _NOT_RETRIED as exc:  # a refused scheme or a malformed URL does not get better
                os.close(fd)
                os.unlink(path)
                raise DownloadError(f"{label}: {type(exc).__name__} for {redact(url)}") from None
            except requests.RequestException as exc:
                os.close(fd)
                os.unlink(path)
                last = f"{type(exc).__name__} from {redact(url)}"
                time.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            except DownloadError:
                os.close(fd)
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
                url = _checked(location())  # a corrupted transfer: try once more from a fresh URL
                continue
            os.unlink(path)
            last = f"HTTP {status} from {redact(url)}"
            if status == 403:  # the presigned URL expired (or was refused): ask Lambda for a new one
                url = _checked(location())
            elif status in (429, 500, 502, 503, 504):
                time.sleep(self.backoff * 2 ** (attempt - 1))
            else:
                raise DownloadError(f"{label}: {last}")
        raise DownloadError(f"{label}: download failed after {self.attempts} attempts ({last})")

    def _get(self, url: str) -> requests.Response:
        """GET without following redirects off the presigned URL's own scheme and host (its signature
        and the code must come from where Lambda said); a few same-host redirects are followed."""
        origin = _origin(url)
        for _hop in range(MAX_REDIRECTS + 1):
            r = self.http.get(url, stream=True, timeout=self.timeout, allow_redirects=False)
            if not r.is_redirect:
                return r
            target = urljoin(url, r.headers.get("Location", ""))
            r.close()
            if _origin(target) != origin:
                raise DownloadError(f"{redact(url)} redirects to {redact(target)}, another host; not followed")
            url = target
        raise DownloadError(f"{redact(url)}: more than {MAX_REDIRECTS} redirects")

    def _stream(self, url: str, fd: int):
        digest = hashlib.sha256()
        size = 0
        with self._get(url) as r:
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
