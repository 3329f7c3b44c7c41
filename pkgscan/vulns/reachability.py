"""Is the vulnerable code in the binary?  Labels for Go findings, as govulncheck's binary mode decides.

The Go vulnerability database lists, per affected module, the vulnerable packages and functions
(``affected[].ecosystem_specific.imports[] = {path, symbols}``; no ``symbols``: the whole package).
A Go binary's symbol table names every function linked into it (see
:class:`pkgscan.model.BinarySymbols`, kept in ``Inventory.binaries``).  Each Go finding gets one of:

- ``vulnerable symbol present``: one of the listed functions (or, for a record that lists a package
  without symbols, any function of that package) is in a binary that holds the component; a second
  label ``vulnerable symbols: pkg.Sym, ...`` names (up to 5 of) them;
- ``vulnerable symbol not present``: every binary holding the component had its symbol table read,
  and none contains a listed function;
- ``symbols unknown``: the symbol table of a binary could not be read, or the record lists no
  packages (then the module being linked is all that is known).

Like govulncheck's binary mode, this is about what is linked, not what is called: a present symbol
may never run.  Functions inlined into every caller leave no function of their own; the Go function
table also names inlined functions (Go 1.16+), so they are found there, but a binary whose
``.gopclntab`` could not be read may miss them.  Labels are hints, never suppressions: every
finding stays reported.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import replace
from typing import Iterable, Mapping, Sequence

from ..ecosystems import GOLANG
from ..inventory.gobinary import escape_path, split_symbol
from ..model import Inventory
from .model import Finding
from .advisory import Advisory, as_advisory

__all__ = ["label_findings", "PRESENT", "NOT_PRESENT", "UNKNOWN", "vulnerable_imports"]

PRESENT = "vulnerable symbol present"
NOT_PRESENT = "vulnerable symbol not present"
UNKNOWN = "symbols unknown"
_DETAIL = "vulnerable symbols: "
_MAX_NAMED = 5


def vulnerable_imports(record: "Advisory | dict", module: str) -> list[tuple[str, tuple[str, ...]]] | None:
    """(package path, symbols) the record lists for ``module`` (Go); None when it lists none."""
    out: list[tuple[str, tuple[str, ...]]] = []
    entries = as_advisory(record).entries("Go", module)
    for entry in entries:
        spec = entry.ecosystem_specific
        imports = spec.get("imports") if isinstance(spec, dict) else None
        if not isinstance(imports, list) or not imports:
            return None  # this entry names the module only
        for imp in imports:
            if not isinstance(imp, dict) or not isinstance(imp.get("path"), str):
                continue
            syms = imp.get("symbols")
            syms = tuple(s for s in syms if isinstance(s, str)) if isinstance(syms, list) else ()
            out.append((imp["path"], syms))
    return out if entries and out else None


def _records_by_id(records) -> dict[str, Advisory]:
    if isinstance(records, Mapping):
        return {k: as_advisory(v) for k, v in records.items()}
    out: dict[str, Advisory] = {}
    for r in records or ():
        if isinstance(r, (dict, Advisory)):
            a = as_advisory(r)
            if a.id:
                out[a.id] = a
    return out


def _fetch(findings: Sequence[Finding], sources) -> dict[str, Advisory]:
    """The records behind the Go findings, asked of the sources (those that can give them)."""
    from .matcher import package_key

    keys = sorted({package_key(f.component) for f in findings if f.component.ecosystem == GOLANG})
    out: dict[str, Advisory] = {}
    if not keys:
        return out
    for source in sources:
        for recs in source.query(keys).values():
            for r in recs:
                out.setdefault(r.id, r)
    return out


def label_findings(inventory: Inventory, findings: Iterable[Finding], records=None) -> list[Finding]:
    """The findings with Go ones labelled (other findings unchanged, order kept).

    ``records`` gives the OSV records the findings were matched from: a mapping id -> record, an
    iterable of records, or the vulnerability sources ``match`` was given (they are asked again for
    the Go components only).  Without it every Go finding is labelled ``symbols unknown``.
    """
    findings = list(findings)
    if records is not None and not isinstance(records, Mapping):
        records = list(records)
        if records and all(hasattr(s, "query") for s in records):
            records = _fetch(findings, records)
    by_id = _records_by_id(records)
    tables = {b.location: b for b in inventory.binaries}
    return _label(findings, by_id, tables)


def _label(findings: list[Finding], by_id: dict[str, dict], tables: dict) -> list[Finding]:
    index: dict[tuple[str, str], frozenset[str]] = {}

    def package_symbols(location: str, path: str) -> frozenset[str] | None:
        """The symbols of package ``path`` in the binary (empty: not linked); None: table unread."""
        b = tables.get(location)
        if b is None or not b.source:
            return None
        key = (location, path)
        hit = index.get(key)
        if hit is None:
            names = b.names
            prefix = escape_path(path) + "."
            lo = bisect_left(names, prefix)
            hi = bisect_left(names, prefix[:-1] + "/")  # "." < "/": every name of the package
            got = set()
            for name in names[lo:hi]:
                split = split_symbol(name)
                if split is not None and split[0] == path:
                    got.add(split[1])
            hit = index[key] = frozenset(got)
        return hit

    out = []
    for f in findings:
        if f.component.ecosystem != GOLANG:
            out.append(f)
            continue
        imports: list[tuple[str, tuple[str, ...]]] | None = []
        for adv in f.advisories:
            rec = by_id.get(adv)
            got = vulnerable_imports(rec, f.component.name) if rec is not None else None
            if got is None:
                imports = None
                break
            imports.extend(got)
        labels = _decide(imports, [o.location for o in f.component.occurrences], package_symbols)
        out.append(replace(f, labels=tuple(dict.fromkeys(f.labels + labels))))
    return out


def _decide(imports, locations: list[str], package_symbols) -> tuple[str, ...]:
    if not imports or not locations:
        return (UNKNOWN,)
    found: list[str] = []
    unknown = False
    for location in locations:
        for path, syms in imports:
            have = package_symbols(location, path)
            if have is None:
                unknown = True
                break
            if not have:
                continue
            if not syms:  # the whole package
                found.append(f"{path} (package)")
            else:
                found.extend(f"{path}.{s}" for s in syms if s in have)
    if found:
        named = list(dict.fromkeys(found))
        more = f" (+{len(named) - _MAX_NAMED})" if len(named) > _MAX_NAMED else ""
        return (PRESENT, _DETAIL + ", ".join(named[:_MAX_NAMED]) + more)
    return (UNKNOWN,) if unknown else (NOT_PRESENT,)
