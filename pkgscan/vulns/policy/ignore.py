"""Ignore files: ``.pkgscan-ignore.yaml`` and ``[[tool.pkgscan.ignore]]`` in ``pyproject.toml``."""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from ..model import Finding
from .match import PackageSpec, PolicyError, finding_ids, parse_purl, read_text, spec_matches

IGNORE_FILE_NAMES = (".pkgscan-ignore.yaml", ".pkgscan-ignore.yml")
PYPROJECT = "pyproject.toml"
MAX_IGNORE_FILE_BYTES = 1 << 20

_RULE_KEYS = ("id", "package", "reason", "expires")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class IgnoreRule:
    id: str
    reason: str
    package: str | None = None  # a name or a purl
    expires: date | None = None  # last day the rule applies
    source: str = ""  # the file
    entry: int = 0  # 1-based position in the file

    def expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires

    def matches(self, finding: Finding) -> bool:
        if self.id.strip().casefold() not in finding_ids(finding):
            return False
        if self.package is None:
            return True
        if self.package.startswith("pkg:"):
            spec = parse_purl(self.package)
            return spec is not None and spec_matches(spec, finding.component)
        return spec_matches(PackageSpec(None, self.package, None), finding.component)

    def describe(self) -> str:
        pkg = f" for {self.package}" if self.package else ""
        where = f" ({self.source}, entry {self.entry})" if self.source else ""
        return f"ignore rule {self.id}{pkg}{where}"


def _parse_expires(value: Any, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # YAML/TOML timestamps: a date was meant, but say so
        raise PolicyError(f"{where}: 'expires' must be a date YYYY-MM-DD, not a date and time ({value})")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PolicyError(f"{where}: 'expires' must be a date YYYY-MM-DD, got {value!r}")


def _parse_rules(entries: Any, source: str) -> list[IgnoreRule]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise PolicyError(f"{source}: 'ignore' must be a list of entries, got {type(entries).__name__}")
    rules = []
    for n, entry in enumerate(entries, 1):
        where = f"{source}: ignore entry {n}"
        if not isinstance(entry, dict):
            raise PolicyError(f"{where}: must be a mapping with id/reason (package, expires optional)")
        unknown = sorted(str(k) for k in entry if k not in _RULE_KEYS)
        if unknown:
            raise PolicyError(f"{where}: unknown key {', '.join(map(repr, unknown))} (allowed: {', '.join(_RULE_KEYS)})")
        vid = entry.get("id")
        if not isinstance(vid, str) or not vid.strip():
            raise PolicyError(f"{where}: 'id' (a vulnerability id such as CVE-2018-18074) is required and must be a string")
        where = f"{where} ({vid.strip()})"
        reason = entry.get("reason")
        if reason is None or (isinstance(reason, str) and not reason.strip()):
            raise PolicyError(f"{where}: 'reason' is required: say why the vulnerability does not apply")
        if not isinstance(reason, str):
            raise PolicyError(f"{where}: 'reason' must be a string")
        package = entry.get("package")
        if package is not None:
            if not isinstance(package, str) or not package.strip():
                raise PolicyError(f"{where}: 'package' must be a package name or a purl")
            package = package.strip()
            if package.startswith("pkg:") and parse_purl(package) is None:
                raise PolicyError(f"{where}: 'package' is not a valid purl: {package!r}")
        rules.append(IgnoreRule(id=vid.strip(), reason=reason.strip(), package=package,
                                expires=_parse_expires(entry.get("expires"), where), source=source, entry=n))
    return rules


def load_ignore_file(path: str | Path) -> list[IgnoreRule]:
    """Rules of a ``.pkgscan-ignore.yaml``: a mapping with an ``ignore`` list (or a bare list)."""
    path = Path(path)
    text = read_text(path, MAX_IGNORE_FILE_BYTES)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise PolicyError(f"{path}: invalid YAML{at}: {problem}") from None
    if data is None:
        return []
    if isinstance(data, list):
        return _parse_rules(data, str(path))
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: expected a mapping with an 'ignore' list")
    unknown = sorted(str(k) for k in data if k not in ("ignore", "version"))
    if unknown:
        raise PolicyError(f"{path}: unknown top-level key {', '.join(map(repr, unknown))} (expected 'ignore')")
    return _parse_rules(data.get("ignore"), str(path))


def _pkgscan_table(path: Path) -> dict | None:
    text = read_text(path, MAX_IGNORE_FILE_BYTES)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{path}: invalid TOML: {str(e).splitlines()[0]}") from None
    table = data.get("tool", {}).get("pkgscan") if isinstance(data.get("tool"), dict) else None
    if table is not None and not isinstance(table, dict):
        raise PolicyError(f"{path}: [tool.pkgscan] must be a table")
    return table


def load_pyproject_ignores(path: str | Path) -> list[IgnoreRule]:
    """Rules of ``[[tool.pkgscan.ignore]]`` in a pyproject.toml (none if the table is absent)."""
    path = Path(path)
    table = _pkgscan_table(path)
    if not table:
        return []
    return _parse_rules(table.get("ignore"), f"{path} [tool.pkgscan]")


def load_ignores(path: str | Path) -> list[IgnoreRule]:
    """Either kind of file: ``*.toml`` is read as pyproject, anything else as YAML."""
    path = Path(path)
    return load_pyproject_ignores(path) if path.suffix.lower() == ".toml" else load_ignore_file(path)


def discover_ignore_file(start_dir: str | Path = ".") -> Path | None:
    """``.pkgscan-ignore.yaml`` (or ``.yml``) in ``start_dir``, else its ``pyproject.toml`` when that
    has a ``[tool.pkgscan]`` ignore list, else None.  Only ``start_dir`` itself is looked at."""
    start = Path(start_dir)
    for name in IGNORE_FILE_NAMES:
        if (start / name).is_file():
            return start / name
    pyproject = start / PYPROJECT
    if pyproject.is_file():
        if "pkgscan" not in read_text(pyproject, MAX_IGNORE_FILE_BYTES):
            return None
        table = _pkgscan_table(pyproject)
        if table and "ignore" in table:
            return pyproject
    return None
