"""One HTTP session factory: retries with backoff on 429/5xx and dropped connections."""
from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError
from urllib3.util.retry import Retry

from . import __version__

USER_AGENT = f"pkgscan/{__version__} (+https://github.com/pkgscan/pkgscan)"


def is_dns_failure(exc: BaseException | None) -> bool:
    """A host name that does not resolve: retrying will not help (no network, or a typo)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, NameResolutionError) or "Name or service not known" in str(exc) \
                or "Temporary failure in name resolution" in str(exc) or "nodename nor servname" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__ or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException)
                                                    else getattr(exc, "reason", None))
        seen += 1
    return False


class _Retry(Retry):
    """urllib3's retries, except for names that do not resolve: those fail at once."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if error is not None and is_dns_failure(error):
            raise MaxRetryError(_pool, url, error)
        return super().increment(method, url, response, error, _pool, _stacktrace)


def describe(exc: BaseException, url: str = "") -> str:
    """One short line for a network failure (never urllib3's 400-character repr)."""
    where = f" {url}" if url else ""
    if is_dns_failure(exc):
        host = url.split("://", 1)[-1].split("/", 1)[0] if url else "the host"
        return f"cannot resolve {host}: no network or DNS here? (check the URL, or use the offline database)"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"connection to{where} timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no answer from{where} in time"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS error talking to{where} (a proxy or missing CA bundle? set REQUESTS_CA_BUNDLE)"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot connect to{where} (connection refused or dropped)"
    return f"{type(exc).__name__} talking to{where}"


def session(retries: int = 5, backoff: float = 0.5, pool: int = 16) -> requests.Session:
    s = requests.Session()
    retry = _Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        backoff_max=30,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD", "POST"}),  # OSV's POST queries are idempotent
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=pool, pool_maxsize=pool)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    s.headers["User-Agent"] = USER_AGENT
    return s
