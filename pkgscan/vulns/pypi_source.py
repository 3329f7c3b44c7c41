"""Optional source: PyPI's vulnerability data, fetched the way pip-audit does.

This is a small adapter around pip-audit's ``PyPIService`` (``pip-audit>=2.7,<3``).  That API is
private to pip-audit, so every use of pip-audit is kept in this module.

PyPI's JSON API (``/pypi/{name}/{version}/json``) lists the advisories of the PyPA advisory
database that affect one release, with the versions that fix them - not full OSV records.  Each
pip-audit ``VulnerabilityResult`` is turned into an OSV-shaped record:

* ``id``/``aliases`` as pip-audit gives them, so the matcher merges it by alias with the OSV
  findings of the same vulnerability (and, when the OSV source has the same id, keeps the OSV
  record: its ``modified`` is newer than the ``published`` date used here);
* ``summary`` = pip-audit's one-line description;
* ``affected`` = one PyPI entry with an ECOSYSTEM range ``introduced: <queried version>`` followed
  by a ``fixed`` event per fix version: the queried version is affected (PyPI says so), the fix
  versions are not (so remediation can recommend one), and nothing is claimed about versions
  PyPI was not asked about.

A package pip-audit skips (not on PyPI, or a version PEP 440 cannot parse) is left out with a
warning in ``self.warnings`` and the ``pkgscan`` logger; it never fails the scan.  PyPI being
unreachable, or answering errors, raises :class:`PyPIError`.

The base URL is redirected with a public requests extension point: the service's session gets a
transport adapter mounted for ``https://pypi.org/`` that rewrites the URL onto ``base_url`` and
hands the request to the adapter pip-audit installed (its caching adapter), so pip-audit's own
HTTP caching still applies.
"""
from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timezone
from pathlib import Path
from typing import Sequence

import requests
from requests.adapters import BaseAdapter
from urllib3.util.retry import Retry

from ..errors import PkgscanError
from .advisory import Advisory
from .osv import AffectedEntry, Range
from .sources import PackageKey
from .versions import sort_key

log = logging.getLogger("pkgscan")

PYPI = "https://pypi.org"
#: the pip-audit versions this adapter is written against
PIP_AUDIT_REQUIREMENT = "pip-audit>=2.7,<3"


class PyPIError(PkgscanError):
    pass


class _RebaseAdapter(BaseAdapter):
    """Sends ``https://pypi.org/...`` requests to ``base`` through another adapter."""

    def __init__(self, base: str, inner: BaseAdapter):
        super().__init__()
        self.base = base.rstrip("/")
        self.inner = inner

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if request.url.startswith(PYPI + "/"):
            request.url = self.base + request.url[len(PYPI):]
            # requests chose the proxies for pypi.org; the new host may be exempt (NO_PROXY).
            if requests.utils.should_bypass_proxies(request.url, no_proxy=(proxies or {}).get("no_proxy")):
                proxies = {}
        return self.inner.send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)

    def close(self) -> None:
        self.inner.close()


def default_cache_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "pkgscan" / "pypi"


class PyPISource:
    """PyPI's vulnerability service (PyPA advisory database) via pip-audit; PyPI packages only."""

    name = "pypi"

    def __init__(self, base_url: str | None = None, cache_dir: str | os.PathLike[str] | None = None,
                 timeout: float = 30.0, workers: int = 8, retries: int = 3):
        try:
            from pip_audit._service.pypi import PyPIService
        except ImportError:
            raise PyPIError(f"--source pypi needs pip-audit: pip install '{PIP_AUDIT_REQUIREMENT}'") from None
        self.base = (base_url or PYPI).rstrip("/")
        self.workers = workers
        cache = Path(cache_dir) / "pypi" if cache_dir else default_cache_dir()
        self.service = PyPIService(cache_dir=cache, timeout=timeout)
        session: requests.Session = self.service.session
        inner = session.get_adapter(self.base + "/")
        # pip-audit's session does not retry; PyPI (or a mirror) may rate-limit.
        if hasattr(inner, "max_retries"):
            inner.max_retries = Retry(total=retries, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504),
                                      allowed_methods=frozenset({"GET"}), respect_retry_after_header=True,
                                      raise_on_status=False)
        if self.base != PYPI:
            session.mount(PYPI + "/", _RebaseAdapter(self.base, inner))
        self._warnings: list[str] = []

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(self._warnings)

    def package_records(self, packages):
        """PyPI answers per version only: nothing to add beyond what ``query`` returned."""
        return {}

    def _warn(self, message: str) -> None:
        self._warnings.append(message)
        log.warning("%s", message)

    def _query_one(self, key: PackageKey):
        from packaging.version import InvalidVersion, Version
        from pip_audit._service.interface import ConnectionError as PAConnectionError
        from pip_audit._service.interface import ResolvedDependency, ServiceError

        _eco, name, version = key
        try:
            spec = ResolvedDependency(name=name, version=Version(version))
        except InvalidVersion:
            return key, None, f"PyPI: skipped {name} {version}: not a PEP 440 version"
        try:
            dep, results = self.service.query(spec)
        except PAConnectionError as exc:
            raise PyPIError(f"PyPI unreachable at {self.base}: {exc}") from None
        except ServiceError as exc:
            cause = exc.__cause__
            if isinstance(cause, InvalidVersion):  # a malformed fixed_in: this package only
                return key, None, f"PyPI: skipped {name} {version}: {exc}"
            if isinstance(cause, requests.HTTPError) and cause.response is not None:
                raise PyPIError(f"PyPI answered HTTP {cause.response.status_code} for {name} {version}") from None
            raise PyPIError(f"PyPI query failed for {name} {version}: {exc or type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise PyPIError(f"PyPI unreachable at {self.base}: {type(exc).__name__}") from None
        except ValueError:  # not JSON
            raise PyPIError(f"PyPI answered invalid JSON for {name} {version}") from None
        if dep.is_skipped():
            return key, None, f"PyPI: skipped {name} {version}: {getattr(dep, 'skip_reason', 'not audited')}"
        return key, [self._record(key, r) for r in results], None

    @staticmethod
    def _record(key: PackageKey, result) -> Advisory:
        """pip-audit's result as an Advisory: the queried version is affected (PyPI says so), each fix
        version ends the range; PyPI was not asked about other versions."""
        _eco, name, version = key
        published = getattr(result, "published", None)
        modified = ""
        if published is not None:
            if published.tzinfo is None:
                published = published.replace(tzinfo=timezone.utc)
            modified = published.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        events = [("introduced", version)] + [("fixed", str(v)) for v in result.fix_versions]
        order = {"introduced": 0, "fixed": 1}
        keyed = sorted(((k, v, sort_key("PyPI", v)) for k, v in events), key=lambda e: (e[2], order[e[0]]))
        entry = AffectedEntry("PyPI", name, (Range("ECOSYSTEM", tuple(keyed)),), frozenset())
        return Advisory(
            id=str(result.id),
            modified=modified,
            published=modified,
            aliases=tuple(sorted(str(a) for a in result.aliases)),
            summary=result.description if result.description != "N/A" else "",
            affected=(entry,),
            source="pypi",
        )

    def query(self, packages: Sequence[PackageKey]) -> dict[PackageKey, list[Advisory]]:
        keys = sorted({k for k in packages if k[0] == "PyPI"})
        out: dict[PackageKey, list[dict]] = {}
        if not keys:
            return out
        pool = ThreadPoolExecutor(max_workers=max(1, self.workers))
        try:
            for key, recs, warning in pool.map(self._query_one, keys):
                if warning:
                    self._warn(warning)
                if recs:
                    out[key] = recs
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # one failure fails the source: stop asking
            raise
        pool.shutdown(wait=True)
        return out
