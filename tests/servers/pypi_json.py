"""A loopback stand-in for PyPI's JSON API: ``GET /pypi/{name}/{version}/json`` (and ``/pypi/{name}/json``).

PyPI's ``vulnerabilities`` array comes from the PyPA advisory database (PYSEC-* records), so this
server serves the PYSEC records of the committed PyPI export that affect the requested release,
as decided by the independent OSV matcher of this package.  Each entry has PyPI's fields: ``id``,
``aliases``, ``details``, ``summary``, ``fixed_in`` (the ``fixed`` events of the package's ECOSYSTEM
ranges), ``link``, ``source`` and ``withdrawn`` (withdrawn records are served, marked, as PyPI
does; pip-audit drops them).  ``info`` (name, version), ``releases`` and ``urls`` are minimal.

A project is known when a PYSEC record lists it or it was passed in ``projects``; anything else
is a 404 (PyPI's answer for a project or release it does not have).  A non-normalized name is
redirected (301) to the normalized URL, as PyPI does.
"""
from __future__ import annotations

from typing import Iterable
from urllib.parse import unquote, urlsplit

from . import EXPORTS, LoopbackServer, RecordIndex, entries_for, json_response, load_records, pep503


def fixed_in(record: dict, name: str) -> list[str]:
    out: list[str] = []
    for entry in entries_for(record, "PyPI", name):
        for rng in entry.get("ranges") or []:
            if rng.get("type") != "ECOSYSTEM":
                continue
            for ev in rng.get("events") or []:
                if "fixed" in ev and str(ev["fixed"]) not in out:
                    out.append(str(ev["fixed"]))
    return out


def vulnerability_entry(record: dict, name: str) -> dict:
    return {
        "aliases": list(record.get("aliases") or []),
        "details": record.get("details"),
        "summary": record.get("summary"),
        "fixed_in": fixed_in(record, name),
        "id": record["id"],
        "link": f"https://osv.dev/vulnerability/{record['id']}",
        "source": "osv",
        "withdrawn": record.get("withdrawn"),
    }


class PyPIJsonServer(LoopbackServer):
    def __init__(self, records: Iterable[dict] | None = None, projects: Iterable[str] = (),
                 exclude: Iterable[str] = (), cache_max_age: int | None = None):
        """``projects``: extra project names that exist (with no advisories); ``exclude``: record
        ids not served; ``cache_max_age``: send ``Cache-Control: max-age`` (PyPI sends 900)."""
        super().__init__()
        excluded = set(exclude)
        recs = load_records(EXPORTS[:1]) if records is None else list(records)
        recs = [r for r in recs if r["id"].startswith("PYSEC-") and r["id"] not in excluded]
        self.index = RecordIndex(recs)
        self.projects = {name for eco, name in self.index.by_package if eco == "PyPI"} | {pep503(p) for p in projects}
        self.cache_max_age = cache_max_age
        self.requested: list[tuple[str, str]] = []

    def endpoint(self, method: str, path: str) -> str:
        parts = urlsplit(path).path.strip("/").split("/")
        if method == "GET" and len(parts) == 4 and parts[0] == "pypi" and parts[3] == "json":
            return "release"
        if method == "GET" and len(parts) == 3 and parts[0] == "pypi" and parts[2] == "json":
            return "project"
        return "other"

    def _headers(self) -> dict:
        return {"Cache-Control": f"max-age={self.cache_max_age}, public"} if self.cache_max_age else {}

    def route(self, handler, method: str, path: str, body: bytes):
        endpoint = self.endpoint(method, path)
        if endpoint == "other":
            return json_response(404, {"message": "Not Found"})
        parts = [unquote(p) for p in urlsplit(path).path.strip("/").split("/")]
        name = parts[1]
        canonical = pep503(name)
        if canonical != name:
            rest = "/".join(parts[2:])
            return 301, {"Location": f"{self.url}/pypi/{canonical}/{rest}"}, b""
        if canonical not in self.projects:
            return json_response(404, {"message": "Not Found"})
        if endpoint == "project":
            return json_response(200, {"info": {"name": canonical, "version": ""}, "releases": {}, "urls": [],
                                       "vulnerabilities": []}, self._headers())
        version = parts[2]
        with self._lock:
            self.requested.append((canonical, version))
        vulns = [vulnerability_entry(r, canonical) for r in self.index.matching("PyPI", canonical, version)]
        doc = {
            "info": {"name": canonical, "version": version, "yanked": False},
            "last_serial": 1,
            "releases": {},
            "urls": [],
            "vulnerabilities": vulns,
        }
        return json_response(200, doc, self._headers())
