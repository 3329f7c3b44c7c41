"""Where advisories come from: one interface, every source behind it.

A source answers two questions, in batches, with typed :class:`~pkgscan.vulns.advisory.Advisory`
records: which advisories affect each (OSV ecosystem, normalized name, version), and which name each
(OSV ecosystem, normalized name) at all (so that a recommended upgrade is checked against every
advisory of the package, not only those that affect the installed version).  A source that cannot
answer the second question returns what it knows (possibly nothing).  ``warnings`` are things the
user must hear (packages a service skipped).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Protocol, Sequence

from .advisory import Advisory

#: (OSV ecosystem, normalized name, version)
PackageKey = tuple[str, str, str]
#: (OSV ecosystem, normalized name)
PackageName = tuple[str, str]


class AdvisorySource(Protocol):
    name: str

    def query(self, packages: Sequence[PackageKey]) -> dict[PackageKey, list[Advisory]]:
        """Advisories that affect each package; withdrawn ones included (the matcher decides)."""
        ...

    def package_records(self, packages: Sequence[PackageName]) -> dict[PackageName, list[Advisory]]:
        """Every advisory naming each package, whatever the version."""
        ...

    @property
    def warnings(self) -> tuple[str, ...]:
        ...


class OfflineSource:
    """The local SQLite database (``pkgscan db import`` / ``db update``)."""

    name = "osv-offline"

    def __init__(self, db):
        self.db = db
        self._advisories: dict[str, Advisory] = {}

    @property
    def warnings(self) -> tuple[str, ...]:
        return ()

    def _load(self, ids: set[str]) -> dict[str, Advisory]:
        todo = ids - self._advisories.keys()
        if todo:
            for rid, rec in self.db.records(todo).items():
                self._advisories[rid] = Advisory.from_osv(rec, self.name)
        return {i: self._advisories[i] for i in ids if i in self._advisories}

    def _candidates(self, names: Sequence[PackageName]) -> dict[PackageName, list[str]]:
        by_eco: dict[str, set[str]] = defaultdict(set)
        for eco, name in names:
            by_eco[eco].add(name)
        return {(eco, name): ids for eco, ns in by_eco.items() for name, ids in self.db.candidates(eco, ns).items()}

    def package_records(self, packages: Sequence[PackageName]) -> dict[PackageName, list[Advisory]]:
        cand = self._candidates(packages)
        advs = self._load({i for ids in cand.values() for i in ids})
        return {pk: [advs[i] for i in ids if i in advs] for pk, ids in cand.items()}

    def query(self, packages: Sequence[PackageKey]) -> dict[PackageKey, list[Advisory]]:
        cand = self._candidates([k[:2] for k in packages])
        advs = self._load({i for ids in cand.values() for i in ids})
        out: dict[PackageKey, list[Advisory]] = {}
        for key in packages:
            hits = [advs[i] for i in cand.get(key[:2], ()) if i in advs and advs[i].affects(*key)]
            if hits:
                out[key] = hits
        return out
