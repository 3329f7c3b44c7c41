"""Lambda runtime lifecycle: is a function's runtime supported, deprecating soon, or deprecated?

The dates come from a vendored table, ``pkgscan/data/lambda-runtimes.json``, compiled from AWS's
"Lambda runtimes" documentation (see its ``source``, ``as_of`` and ``notes``; every entry names the
page its dates came from).  AWS revises these dates, so a user can pass an override file in the
same format: its entries replace or extend ours by runtime identifier.

File format (``schema_version`` 1)::

    {"schema_version": 1, "source": "<url>", "as_of": "YYYY-MM-DD", "notes": ["..."],
     "runtimes": [{"identifier": "python3.9", "name": "Python 3.9", "family": "python",
                   "os": "Amazon Linux 2", "deprecation": "2025-12-15",
                   "block_create": null, "block_update": null,
                   "source": "<url>", "note": "why a date is null, disagreements, ..."}]}

A date is ``null`` (not published / sources disagree), ``"YYYY-MM-DD"``, or ``"YYYY-MM"`` when the
docs give only the month (it then counts from the first day of that month and messages say so).
``"managed": false`` marks identifiers whose lifecycle Lambda does not set (customer-managed).

Verdict rules (:func:`runtime_verdict`):

* no runtime (container image function) -> ``not-applicable`` / info
* identifier not in the table -> ``unknown`` / low
* ``managed: false`` -> ``not-applicable`` / info
* deprecation date reached (``today >= deprecation``), or with no deprecation date a block date
  reached -> ``deprecated`` / high
* deprecation within ``warn_days`` (inclusive) -> ``deprecating-soon`` / medium
* otherwise -> ``supported`` / info (also when no deprecation date is published yet)
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterator, Mapping

from pkgscan.errors import InputError

SCHEMA_VERSION = 1
DATA_FILE = "lambda-runtimes.json"

STATUSES = ("supported", "deprecating-soon", "deprecated", "unknown", "not-applicable")
SEVERITY_BY_STATUS = {
    "supported": "info",
    "deprecating-soon": "medium",
    "deprecated": "high",
    "unknown": "low",
    "not-applicable": "info",
}

DATE_FIELDS = ("deprecation", "block_create", "block_update")
_TOP_KEYS = {"schema_version", "source", "as_of", "notes", "runtimes"}
_ENTRY_KEYS = {"identifier", "name", "family", "os", "source", "note", "managed", *DATE_FIELDS}
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")


class RuntimeTableError(InputError):
    """The runtime table file (vendored or a user's override) is unreadable or malformed."""


@dataclass(frozen=True)
class RuntimeInfo:
    """One runtime identifier's lifecycle dates, as the table gives them."""

    identifier: str
    name: str = ""
    family: str = ""
    os: str | None = None
    deprecation: date | None = None
    block_create: date | None = None
    block_update: date | None = None
    #: names of the date fields the docs give only to the month (stored as the 1st of that month)
    month_only: frozenset[str] = frozenset()
    managed: bool = True
    source: str = ""
    note: str = ""
    #: the ``as_of`` of the file this entry came from
    as_of: date | None = None


@dataclass(frozen=True)
class RuntimeTable:
    """The loaded table: entries by identifier plus where they came from."""

    source: str
    as_of: date
    entries: Mapping[str, RuntimeInfo]
    notes: tuple[str, ...] = ()
    #: files the table was read from, vendored file first
    origins: tuple[str, ...] = ()

    def get(self, identifier: str) -> RuntimeInfo | None:
        found = self.entries.get(identifier)
        if found is None and identifier.strip().lower() != identifier:
            found = self.entries.get(identifier.strip().lower())
        return found

    def __contains__(self, identifier: object) -> bool:
        return isinstance(identifier, str) and self.get(identifier) is not None

    def __iter__(self) -> Iterator[RuntimeInfo]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def identifiers(self) -> tuple[str, ...]:
        return tuple(self.entries)


@dataclass(frozen=True)
class RuntimeVerdict:
    runtime: str | None
    status: str
    deprecation: date | None
    block_create: date | None
    block_update: date | None
    days_until_deprecation: int | None
    severity: str
    message: str
    #: the table entry the verdict was drawn from (None for unknown / image functions)
    info: RuntimeInfo | None = field(default=None, compare=False, repr=False)


# --------------------------------------------------------------------------------------- loading
def _parse_date(value: Any, where: str) -> tuple[date | None, bool]:
    """-> (date, month_only)."""
    if value is None:
        return None, False
    if isinstance(value, str):
        try:
            if _DAY_RE.match(value):
                return date.fromisoformat(value), False
            if _MONTH_RE.match(value):
                year, month = value.split("-")
                return date(int(year), int(month), 1), True
        except ValueError:
            pass
    raise RuntimeTableError(f"{where}: expected null, 'YYYY-MM-DD' or 'YYYY-MM', got {value!r}")


def _optional_str(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise RuntimeTableError(f"{where}: {key}: expected a string, got {type(value).__name__}")
    return value


def _parse_document(doc: Any, origin: str) -> tuple[str, date, tuple[str, ...], dict[str, RuntimeInfo]]:
    if not isinstance(doc, dict):
        raise RuntimeTableError(f"{origin}: expected a JSON object at the top level")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise RuntimeTableError(f"{origin}: unknown top-level key(s) {unknown}; allowed: {sorted(_TOP_KEYS)}")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise RuntimeTableError(
            f"{origin}: schema_version must be {SCHEMA_VERSION}, got {doc.get('schema_version')!r}")
    source = doc.get("source")
    if not isinstance(source, str) or not source.strip():
        raise RuntimeTableError(f"{origin}: 'source' must be a non-empty string (where the dates come from)")
    as_of, month_only = _parse_date(doc.get("as_of"), f"{origin}: as_of")
    if as_of is None or month_only:
        raise RuntimeTableError(f"{origin}: 'as_of' must be a date 'YYYY-MM-DD'")
    notes = doc.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise RuntimeTableError(f"{origin}: 'notes' must be a list of strings")
    runtimes = doc.get("runtimes")
    if not isinstance(runtimes, list):
        raise RuntimeTableError(f"{origin}: 'runtimes' must be a list of runtime objects")

    entries: dict[str, RuntimeInfo] = {}
    for index, entry in enumerate(runtimes):
        where = f"{origin}: runtimes[{index}]"
        if not isinstance(entry, dict):
            raise RuntimeTableError(f"{where}: expected an object, got {type(entry).__name__}")
        identifier = entry.get("identifier")
        if not isinstance(identifier, str) or not identifier.strip() or identifier != identifier.strip():
            raise RuntimeTableError(f"{where}: 'identifier' must be a non-empty string without surrounding spaces")
        where = f"{where} ({identifier!r})"
        unknown = sorted(set(entry) - _ENTRY_KEYS)
        if unknown:
            raise RuntimeTableError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(_ENTRY_KEYS)}")
        if identifier in entries:
            raise RuntimeTableError(f"{where}: duplicate identifier")
        dates: dict[str, date | None] = {}
        month_fields = set()
        for key in DATE_FIELDS:
            dates[key], is_month = _parse_date(entry.get(key), f"{where}: {key}")
            if is_month:
                month_fields.add(key)
        managed = entry.get("managed", True)
        if not isinstance(managed, bool):
            raise RuntimeTableError(f"{where}: 'managed' must be true or false")
        entries[identifier] = RuntimeInfo(
            identifier=identifier,
            name=_optional_str(entry, "name", where) or identifier,
            family=_optional_str(entry, "family", where) or "",
            os=_optional_str(entry, "os", where),
            month_only=frozenset(month_fields),
            managed=managed,
            source=_optional_str(entry, "source", where) or source,
            note=_optional_str(entry, "note", where) or "",
            as_of=as_of,
            **dates,
        )
    return source, as_of, tuple(notes), entries


def _read_json(text: str, origin: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuntimeTableError(f"{origin}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def _vendored_text() -> tuple[str, str]:
    resource = resources.files("pkgscan.data").joinpath(DATA_FILE)
    return resource.read_text(encoding="utf-8"), f"pkgscan/data/{DATA_FILE}"


@functools.lru_cache(maxsize=1)
def _vendored_table() -> RuntimeTable:
    text, origin = _vendored_text()
    source, as_of, notes, entries = _parse_document(_read_json(text, origin), origin)
    return RuntimeTable(source=source, as_of=as_of, entries=MappingProxyType(entries), notes=notes,
                        origins=(origin,))


def load_table(path: str | Path | None = None) -> RuntimeTable:
    """The vendored table, or the vendored table with a user's override file laid over it.

    The override file has the same format; its entries replace ours (whole entries) or add new
    identifiers.  A malformed file raises :class:`RuntimeTableError` naming the file and entry.
    """
    base = _vendored_table()
    if path is None:
        return base
    origin = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuntimeTableError(f"{origin}: cannot read runtime table: {exc}") from None
    _source, _as_of, notes, overrides = _parse_document(_read_json(text, origin), origin)
    merged = dict(base.entries)
    merged.update(overrides)
    return RuntimeTable(source=base.source, as_of=base.as_of, entries=MappingProxyType(merged),
                        notes=base.notes + notes, origins=base.origins + (origin,))


# --------------------------------------------------------------------------------------- verdict
def _fmt(info: RuntimeInfo, key: str) -> str:
    value: date | None = getattr(info, key)
    if value is None:
        return "not published"
    if key in info.month_only:
        return value.strftime("%Y-%m") + " (month only)"
    return value.isoformat()


def _block_sentence(info: RuntimeInfo, today: date) -> str:
    parts = []
    for key, what in (("block_create", "creating functions"), ("block_update", "updating functions")):
        value: date | None = getattr(info, key)
        if value is None:
            parts.append(f"{what}: block date not pinned (see the table entry's note)")
        elif today >= value:
            parts.append(f"{what} blocked since {_fmt(info, key)}")
        else:
            parts.append(f"{what} blocked from {_fmt(info, key)}")
    return "; ".join(parts)


def runtime_verdict(runtime: str | None, today: date, table: RuntimeTable | None = None,
                    warn_days: int = 180) -> RuntimeVerdict:
    """Classify a function's runtime identifier on ``today`` (see the module docstring for the rules)."""
    if warn_days < 0:
        raise ValueError("warn_days must be >= 0")
    if table is None:
        table = load_table()

    if runtime is None or not runtime.strip():
        return RuntimeVerdict(runtime=runtime or None, status="not-applicable", deprecation=None,
                              block_create=None, block_update=None, days_until_deprecation=None,
                              severity=SEVERITY_BY_STATUS["not-applicable"],
                              message="no runtime: a container image function brings its own runtime; "
                                      "its lifecycle is not tracked here")
    info = table.get(runtime)
    if info is None:
        return RuntimeVerdict(runtime=runtime, status="unknown", deprecation=None, block_create=None,
                              block_update=None, days_until_deprecation=None,
                              severity=SEVERITY_BY_STATUS["unknown"],
                              message=f"runtime {runtime!r} is not in the runtime table (as of "
                                      f"{table.as_of.isoformat()}); its lifecycle is unknown - check the AWS "
                                      "Lambda runtimes page or add it to an override file")
    label = f"{info.name} ({info.identifier})" if info.name and info.name != info.identifier else info.identifier
    as_of = (info.as_of or table.as_of).isoformat()
    days = (info.deprecation - today).days if info.deprecation is not None else None

    def verdict(status: str, message: str) -> RuntimeVerdict:
        return RuntimeVerdict(runtime=runtime, status=status, deprecation=info.deprecation,
                              block_create=info.block_create, block_update=info.block_update,
                              days_until_deprecation=days, severity=SEVERITY_BY_STATUS[status],
                              message=message, info=info)

    if not info.managed:
        return verdict("not-applicable", f"{label}: lifecycle set by the runtime's publisher, not by Lambda; "
                                         "not tracked here")

    blocks_reached = [d for d in (info.block_create, info.block_update) if d is not None and today >= d]
    if (info.deprecation is not None and today >= info.deprecation) or blocks_reached:
        if info.deprecation is not None and today >= info.deprecation:
            head = f"{label} was deprecated on {_fmt(info, 'deprecation')}"
        else:
            head = f"{label} is deprecated (deprecation date not published)"
        return verdict("deprecated", f"{head}: Lambda no longer patches it and it is out of AWS support; "
                                     f"{_block_sentence(info, today)} (AWS dates as of {as_of})")
    if info.deprecation is None:
        return verdict("supported", f"{label} is supported; no deprecation date published (as of {as_of})")
    if days is not None and days <= warn_days:
        return verdict("deprecating-soon",
                       f"{label} will be deprecated on {_fmt(info, 'deprecation')} (in {days} days): plan the "
                       f"upgrade; {_block_sentence(info, today)} (AWS dates as of {as_of})")
    return verdict("supported", f"{label} is supported until {_fmt(info, 'deprecation')} (in {days} days; "
                                f"AWS dates as of {as_of})")
