"""Online mode: OSV's API (``/v1/querybatch`` then ``/v1/vulns/{id}``), batched, cached, retried."""
from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import requests

from ..errors import PkgscanError
from ..http import describe
from ..http import session as make_session
from .advisory import Advisory
from .sources import PackageKey

DEFAULT_API = "https://api.osv.dev"
BATCH = 1000  # OSV's limit per querybatch call
MAX_PAGES = 100


class OsvApiError(PkgscanError):
    pass


class OsvApiSource:
    name = "osv-api"

    def __init__(self, base_url: str = DEFAULT_API, cache_dir: str | os.PathLike[str] | None = None,
                 timeout: float = 30.0, workers: int = 8, http: requests.Session | None = None):
        self.base = base_url.rstrip("/")
        self.timeout = timeout
        self.workers = workers
        self.http = http or make_session()
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._records: dict[tuple[str, str], dict] = {}
        self._advisories: dict[tuple[str, str], Advisory] = {}
        self.calls = {"querybatch": 0, "vulns": 0, "cache_hits": 0}

    # ------------------------------------------------------------------ HTTP
    def _post(self, payload: dict) -> dict:
        self.calls["querybatch"] += 1
        try:
            r = self.http.post(f"{self.base}/v1/querybatch", json=payload, timeout=self.timeout)
        except requests.RequestException as exc:
            raise OsvApiError(f"OSV API unreachable at {self.base}: {describe(exc, self.base)}; check the URL, or "
                              "use the offline database (--db, after 'pkgscan db update')") from None
        if r.status_code != 200:
            raise OsvApiError(f"OSV API querybatch answered HTTP {r.status_code}")
        try:
            return r.json()
        except ValueError:
            raise OsvApiError("OSV API querybatch answered with invalid JSON") from None

    def _get_vuln(self, vid: str, modified: str) -> dict:
        key = (vid, modified)
        if key in self._records:
            return self._records[key]
        path = None
        if self.cache_dir:
            digest = hashlib.sha256(f"{self.base}|{vid}|{modified}".encode()).hexdigest()[:32]
            path = self.cache_dir / f"{digest}.json"
            try:
                rec = json.loads(path.read_bytes())
                self.calls["cache_hits"] += 1
                self._records[key] = rec
                return rec
            except (OSError, ValueError):
                pass
        self.calls["vulns"] += 1
        try:
            r = self.http.get(f"{self.base}/v1/vulns/{requests.utils.quote(vid, safe='')}", timeout=self.timeout)
        except requests.RequestException as exc:
            raise OsvApiError(f"OSV API unreachable at {self.base}: {describe(exc, self.base)}; check the URL, or "
                              "use the offline database (--db, after 'pkgscan db update')") from None
        if r.status_code != 200:
            raise OsvApiError(f"OSV API answered HTTP {r.status_code} for {vid}")
        try:
            rec = r.json()
        except ValueError:
            raise OsvApiError(f"OSV API answered invalid JSON for {vid}") from None
        if not isinstance(rec, dict) or rec.get("id") != vid:
            raise OsvApiError(f"OSV API answered a record that is not {vid}")
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(rec))
            os.replace(tmp, path)
        self._records[key] = rec
        return rec

    # ------------------------------------------------------------------ source API
    @property
    def warnings(self) -> tuple[str, ...]:
        return ()

    def _advisory(self, vid: str, modified: str) -> Advisory:
        key = (vid, modified)
        adv = self._advisories.get(key)
        if adv is None:
            adv = self._advisories[key] = Advisory.from_osv(self._get_vuln(vid, modified), self.name)
        return adv

    def query(self, packages: Sequence[PackageKey]) -> dict[PackageKey, list[Advisory]]:
        packages = list(packages)
        ids_for: dict[PackageKey, dict[str, str]] = {p: {} for p in packages}
        for start in range(0, len(packages), BATCH):
            chunk = packages[start : start + BATCH]
            queries = [self._query(p) for p in chunk]
            results = self._post({"queries": queries}).get("results")
            if not isinstance(results, list) or len(results) != len(chunk):
                raise OsvApiError("OSV API querybatch answered a result list of the wrong length")
            pending = []
            for p, q, res in zip(chunk, queries, results):
                self._collect(ids_for[p], res)
                if isinstance(res, dict) and res.get("next_page_token"):
                    pending.append((p, q, res["next_page_token"]))
            pages = 0
            while pending:  # page through the queries that had more results
                pages += 1
                if pages > MAX_PAGES:
                    raise OsvApiError("OSV API kept paging; giving up")
                payload = {"queries": [dict(q, page_token=t) for _p, q, t in pending]}
                results = self._post(payload).get("results")
                if not isinstance(results, list) or len(results) != len(pending):
                    raise OsvApiError("OSV API querybatch answered a page of the wrong length")
                nxt = []
                for (p, q, _t), res in zip(pending, results):
                    self._collect(ids_for[p], res)
                    if isinstance(res, dict) and res.get("next_page_token"):
                        nxt.append((p, q, res["next_page_token"]))
                pending = nxt
        wanted = sorted({(vid, mod) for d in ids_for.values() for vid, mod in d.items()})
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            fetched = dict(zip(wanted, pool.map(lambda k: self._advisory(*k), wanted)))
        return {p: [fetched[(v, m)] for v, m in sorted(d.items())] for p, d in ids_for.items() if d}

    def package_records(self, packages: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[Advisory]]:
        """Every record naming each package, any version (a querybatch without versions)."""
        keys = [(eco, name, "") for eco, name in packages]
        return {k[:2]: v for k, v in self.query(keys).items()}

    @staticmethod
    def _query(p: PackageKey) -> dict:
        eco, name, version = p
        q: dict = {"package": {"name": name, "ecosystem": eco}}
        if version:
            q["version"] = version
        return q

    @staticmethod
    def _collect(into: dict[str, str], res: object) -> None:
        if not isinstance(res, dict):
            return
        for v in res.get("vulns") or []:
            if isinstance(v, dict) and isinstance(v.get("id"), str):
                into[v["id"]] = str(v.get("modified", ""))
