"""Policy: which findings count against the build, and the ``--fail-on`` exit code.

Three sources can *suppress* a finding.  A suppressed finding is never dropped: it keeps being
reported, with ``Finding.suppressed`` saying why, and it no longer counts for :func:`exit_code`.

* an **ignore file** -- ``.pkgscan-ignore.yaml`` or a ``[[tool.pkgscan.ignore]]`` array in
  ``pyproject.toml`` (:func:`load_ignore_file`, :func:`load_pyproject_ignores`)::

      ignore:
        - id: CVE-2018-18074            # any id or alias of the finding, case-insensitive
          package: requests             # optional: a name, or a purl (with or without @version)
          reason: "only talks to our own https endpoint, never follows redirects"
          expires: 2026-06-30           # optional; the rule applies up to and including that day

* **VEX** documents (:func:`load_vex`): OpenVEX (https://github.com/openvex/spec) and CycloneDX
  VEX (``vulnerabilities[].analysis``).  Only "this product is not affected" statements suppress:
  OpenVEX ``not_affected`` and CycloneDX ``not_affected`` / ``false_positive``.  A ``fixed`` /
  ``resolved`` statement does *not* suppress: it asserts that the listed version contains the
  fix, yet the scan still finds the vulnerability in the version actually deployed -- either the
  statement is about another build or the advisory data disagrees, and both need a human, so the
  finding stays active and a warning says so.  When several statements talk about the same
  vulnerability and package, the most recent one (statement timestamp, else document timestamp;
  later in the input on ties) decides, as OpenVEX prescribes: a later ``affected`` revokes an
  earlier ``not_affected``.
* ``--ignore-unfixed``: findings for which no fixed version is known.  Never applied to
  malicious packages (they have no fix by nature; hiding them would hide malware).

Precedence when several apply: VEX, then the ignore file, then ``unfixed``.
"""
from __future__ import annotations

import functools
import json
import re
import sys
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import unquote

import yaml
from packageurl import PackageURL
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from ..errors import PkgscanError
from ..model import Component
from .model import Finding, Suppression, rating_rank

IGNORE_FILE_NAMES = (".pkgscan-ignore.yaml", ".pkgscan-ignore.yml")
PYPROJECT = "pyproject.toml"

#: values accepted by :func:`exit_code`; "any" fails on every active finding, unknown severity included
FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "any")

MAX_IGNORE_FILE_BYTES = 1 << 20
MAX_VEX_FILE_BYTES = 64 << 20

OPENVEX_STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
CDX_STATES = ("resolved", "resolved_with_pedigree", "exploitable", "in_triage", "false_positive", "not_affected")
_SUPPRESSING = {("openvex", "not_affected"), ("cyclonedx", "not_affected"), ("cyclonedx", "false_positive")}
_FIXED = {("openvex", "fixed"), ("cyclonedx", "resolved"), ("cyclonedx", "resolved_with_pedigree")}

_RULE_KEYS = ("id", "package", "reason", "expires")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PolicyError(PkgscanError, ValueError):
    """An ignore file or VEX document is invalid (the message is one line and names the file)."""


# --------------------------------------------------------------------------- package matching

@dataclass(frozen=True)
class _PackageSpec:
    ecosystem: str | None  # purl type ("pypi", "npm"); None = any ecosystem (a bare name)
    name: str
    version: str | None  # None = any version


def _norm_name(ecosystem: str | None, name: str) -> str:
    return canonicalize_name(name) if (ecosystem or "").lower() == "pypi" else name


def _same_version(ecosystem: str, a: str, b: str) -> bool:
    if a == b:
        return True
    if ecosystem.lower() == "pypi":
        try:
            return Version(a) == Version(b)
        except InvalidVersion:
            return False
    return False


@functools.lru_cache(maxsize=4096)
def _parse_purl(purl: str) -> _PackageSpec | None:
    """``pkg:type/ns/name@version`` -> spec; qualifiers and subpath are ignored.  None if invalid."""
    try:
        p = PackageURL.from_string(purl.strip())
    except ValueError:
        return None
    eco = p.type.lower()
    name = f"{p.namespace}/{p.name}" if p.namespace else p.name
    return _PackageSpec(eco, _norm_name(eco, name), p.version or None)


def _spec_matches(spec: _PackageSpec, c: Component) -> bool:
    if spec.ecosystem is not None and spec.ecosystem != c.ecosystem.lower():
        return False
    if spec.ecosystem is None:
        # a bare name: compare it the way the component's ecosystem compares names
        if _norm_name(c.ecosystem, spec.name) != _norm_name(c.ecosystem, c.name):
            return False
    elif spec.name != _norm_name(c.ecosystem, c.name):
        return False
    return spec.version is None or _same_version(c.ecosystem, spec.version, c.version)


def purl_matches(purl: str, component: Component) -> bool:
    """Does ``purl`` name ``component``?  No version = any version; qualifiers are ignored."""
    spec = _parse_purl(purl)
    return spec is not None and _spec_matches(spec, component)


def _id_set(ids: Iterable[str]) -> frozenset[str]:
    return frozenset(i.strip().casefold() for i in ids if isinstance(i, str) and i.strip())


def _finding_ids(f: Finding) -> frozenset[str]:
    return _id_set((f.id, *f.ids))


# --------------------------------------------------------------------------- ignore files

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
        if self.id.strip().casefold() not in _finding_ids(finding):
            return False
        if self.package is None:
            return True
        if self.package.startswith("pkg:"):
            spec = _parse_purl(self.package)
            return spec is not None and _spec_matches(spec, finding.component)
        return _spec_matches(_PackageSpec(None, self.package, None), finding.component)

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
            if package.startswith("pkg:") and _parse_purl(package) is None:
                raise PolicyError(f"{where}: 'package' is not a valid purl: {package!r}")
        rules.append(IgnoreRule(id=vid.strip(), reason=reason.strip(), package=package,
                                expires=_parse_expires(entry.get("expires"), where), source=source, entry=n))
    return rules


def _read_text(path: Path, limit: int) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as e:
        raise PolicyError(f"{path}: cannot read: {e.strerror or e}") from None
    if len(data) > limit:
        raise PolicyError(f"{path}: larger than {limit} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text") from None


def load_ignore_file(path: str | Path) -> list[IgnoreRule]:
    """Rules of a ``.pkgscan-ignore.yaml``: a mapping with an ``ignore`` list (or a bare list)."""
    path = Path(path)
    text = _read_text(path, MAX_IGNORE_FILE_BYTES)
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
    text = _read_text(path, MAX_IGNORE_FILE_BYTES)
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
        if "pkgscan" not in _read_text(pyproject, MAX_IGNORE_FILE_BYTES):
            return None
        table = _pkgscan_table(pyproject)
        if table and "ignore" in table:
            return pyproject
    return None


# --------------------------------------------------------------------------- VEX

@dataclass(frozen=True)
class VexProduct:
    """A package a VEX statement talks about."""

    ref: str  # as written: a purl, a CycloneDX bom-ref or BOM-Link, an IRI
    purl: str = ""  # the purl it resolves to, "" when it does not name a package
    #: CycloneDX ``affects[].versions``: (version, vers range, status) -- status defaults to "affected"
    versions: tuple[tuple[str, str, str], ...] = ()

    def version_status(self, component: Component) -> str | None:
        """None when this product is not about ``component``; "" when it is, with no version list;
        else what its version entries say of that version: "unaffected" only when every entry
        covering it says so, otherwise "affected"."""
        if not self.purl or not purl_matches(self.purl, component):
            return None
        if not self.versions:
            return ""
        statuses = [status for version, rng, status in self.versions
                    if (version and _same_version(component.ecosystem, version, component.version))
                    or (rng and _vers_contains(rng, component.version))]
        if not statuses:
            return None
        return "unaffected" if all(s == "unaffected" for s in statuses) else "affected"


@dataclass(frozen=True)
class VexStatement:
    vulnerability: str
    status: str  # as written: OpenVEX status or CycloneDX analysis.state
    format: str  # "openvex" | "cyclonedx"
    aliases: tuple[str, ...] = ()
    products: tuple[VexProduct, ...] = ()
    justification: str = ""
    detail: str = ""  # OpenVEX impact_statement (or status_notes), CycloneDX analysis.detail
    timestamp: str = ""
    source: str = ""  # the file
    index: int = 0  # position in the file

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.vulnerability, *self.aliases)

    @property
    def suppresses(self) -> bool:
        return (self.format, self.status) in _SUPPRESSING

    @property
    def claims_fixed(self) -> bool:
        return (self.format, self.status) in _FIXED

    def _statuses(self, component: Component) -> list[str]:
        return [s for p in self.products if (s := p.version_status(component)) is not None]

    def applies_to(self, finding: Finding) -> bool:
        """The statement is about this finding: its vulnerability, and a product covering the component
        (a CycloneDX version entry that says "affected" covers it too: a later such statement
        overrides an earlier "not_affected")."""
        return bool(_id_set(self.ids) & _finding_ids(finding)) and bool(self._statuses(finding.component))

    def suppresses_finding(self, finding: Finding) -> bool:
        """Suppressing status, and no version entry covering the component says it is affected
        (called for statements that apply to the finding)."""
        return self.suppresses and all(s in ("", "unaffected") for s in self._statuses(finding.component))


def _iri_tail(iri: str) -> str:
    """``https://nvd.nist.gov/vuln/detail/CVE-2021-44228`` -> ``CVE-2021-44228``."""
    return unquote(iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1])


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _product_ids(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj.strip()] if obj.strip() else []
    if not isinstance(obj, dict):
        return []
    ids = [_str(obj.get("@id"))]
    idents = obj.get("identifiers")
    if isinstance(idents, dict):
        ids.append(_str(idents.get("purl")))
    return [i for i in dict.fromkeys(ids) if i]


def _vex_product(ref: str) -> VexProduct:
    return VexProduct(ref=ref, purl=ref if ref.startswith("pkg:") and _parse_purl(ref) else "")


def _openvex_products(st: dict) -> tuple[VexProduct, ...]:
    """Packages a statement is about.  A product that lists ``subcomponents`` is the thing being shipped
    (our Lambda function); the vulnerability sits in the subcomponents, so those are what we match."""
    out: list[VexProduct] = []
    legacy_subs = st.get("subcomponents")  # OpenVEX v0.0.1: subcomponents at statement level
    if isinstance(legacy_subs, list) and legacy_subs:
        for sub in legacy_subs:
            out += [_vex_product(i) for i in _product_ids(sub)]
        return tuple(out)
    products = st.get("products")
    if not isinstance(products, list):
        return ()
    for product in products:
        subs = product.get("subcomponents") if isinstance(product, dict) else None
        if isinstance(subs, list) and subs:
            for sub in subs:
                out += [_vex_product(i) for i in _product_ids(sub)]
        else:
            out += [_vex_product(i) for i in _product_ids(product)]
    return tuple(out)


def _parse_openvex(doc: dict, source: str) -> list[VexStatement]:
    statements = doc.get("statements")
    if statements is None:
        return []
    if not isinstance(statements, list):
        raise PolicyError(f"{source}: OpenVEX 'statements' must be a list")
    doc_ts = _str(doc.get("timestamp"))
    out = []
    for n, st in enumerate(statements, 1):
        where = f"{source}: statement {n}"
        if not isinstance(st, dict):
            raise PolicyError(f"{where}: must be an object")
        vuln = st.get("vulnerability")
        aliases: list[str] = []
        if isinstance(vuln, str):  # OpenVEX v0.0.1
            name = vuln.strip()
        elif isinstance(vuln, dict):
            name = _str(vuln.get("name"))
            iri = _str(vuln.get("@id"))
            if iri:
                aliases.append(_iri_tail(iri))
            if isinstance(vuln.get("aliases"), list):
                aliases += [a.strip() for a in vuln["aliases"] if isinstance(a, str) and a.strip()]
            name = name or (aliases[0] if aliases else "")
        else:
            name = ""
        if not name:
            raise PolicyError(f"{where}: 'vulnerability' needs a name")
        status = _str(st.get("status"))
        if status not in OPENVEX_STATUSES:
            raise PolicyError(f"{where} ({name}): status {status!r} is not one of {', '.join(OPENVEX_STATUSES)}")
        justification = _str(st.get("justification"))
        detail = _str(st.get("impact_statement")) or _str(st.get("status_notes"))
        if status == "not_affected" and not (justification or _str(st.get("impact_statement"))):
            raise PolicyError(f"{where} ({name}): not_affected requires a 'justification' or an 'impact_statement'")
        out.append(VexStatement(
            vulnerability=name, status=status, format="openvex",
            aliases=tuple(a for a in dict.fromkeys(aliases) if a != name),
            products=_openvex_products(st), justification=justification, detail=detail,
            timestamp=_str(st.get("last_updated")) or _str(st.get("timestamp")) or doc_ts,
            source=source, index=n))
    return out


def _cdx_refs(doc: dict) -> dict[str, str]:
    """bom-ref -> purl for every component of the document (nested ones and metadata.component too)."""
    refs: dict[str, str] = {}
    stack: list[Any] = list(doc.get("components") or [])
    meta = doc.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("component"), dict):
        stack.append(meta["component"])
    while stack:
        c = stack.pop()
        if not isinstance(c, dict):
            continue
        ref, purl = _str(c.get("bom-ref")), _str(c.get("purl"))
        if ref and purl:
            refs[ref] = purl
        if isinstance(c.get("components"), list):
            stack.extend(c["components"])
    return refs


def _cdx_ref_purl(ref: str, refs: dict[str, str]) -> str:
    if ref.startswith("urn:cdx:") and "#" in ref:  # BOM-Link: urn:cdx:<serial>/<version>#<bom-ref>
        ref = unquote(ref.split("#", 1)[1])
    if ref in refs:
        ref = refs[ref]
    return ref if ref.startswith("pkg:") and _parse_purl(ref) else ""


def _parse_cyclonedx(doc: dict, source: str) -> list[VexStatement]:
    vulns = doc.get("vulnerabilities")
    if vulns is None:
        return []
    if not isinstance(vulns, list):
        raise PolicyError(f"{source}: CycloneDX 'vulnerabilities' must be a list")
    refs = _cdx_refs(doc)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    doc_ts = _str(meta.get("timestamp"))
    out = []
    for n, v in enumerate(vulns, 1):
        where = f"{source}: vulnerabilities[{n - 1}]"
        if not isinstance(v, dict):
            raise PolicyError(f"{where}: must be an object")
        analysis = v.get("analysis")
        if not isinstance(analysis, dict) or "state" not in analysis:
            continue  # a plain vulnerability listing makes no exploitability claim
        vid = _str(v.get("id"))
        if not vid:
            raise PolicyError(f"{where}: 'id' is required")
        state = _str(analysis.get("state"))
        if state not in CDX_STATES:
            raise PolicyError(f"{where} ({vid}): analysis.state {state!r} is not one of {', '.join(CDX_STATES)}")
        aliases = [r["id"].strip() for r in v.get("references") or []
                   if isinstance(r, dict) and isinstance(r.get("id"), str) and r["id"].strip()]
        products = []
        for a in v.get("affects") or []:
            if not isinstance(a, dict) or not _str(a.get("ref")):
                raise PolicyError(f"{where} ({vid}): every 'affects' entry needs a 'ref'")
            versions = []
            for ver in a.get("versions") or []:
                if isinstance(ver, dict):
                    status = _str(ver.get("status")) or _str(ver.get("state")) or "affected"
                    versions.append((_str(ver.get("version")), _str(ver.get("range")), status))
            ref = _str(a["ref"])
            products.append(VexProduct(ref=ref, purl=_cdx_ref_purl(ref, refs), versions=tuple(versions)))
        out.append(VexStatement(
            vulnerability=vid, status=state, format="cyclonedx",
            aliases=tuple(a for a in dict.fromkeys(aliases) if a != vid), products=tuple(products),
            justification=_str(analysis.get("justification")), detail=_str(analysis.get("detail")),
            timestamp=_str(analysis.get("lastUpdated")) or _str(analysis.get("firstIssued")) or doc_ts,
            source=source, index=n))
    return out


def parse_vex(doc: Any, source: str = "<vex>") -> list[VexStatement]:
    """Statements of an already-decoded OpenVEX / CycloneDX document (or an in-toto attestation
    whose predicate is an OpenVEX document)."""
    if not isinstance(doc, dict):
        raise PolicyError(f"{source}: not an OpenVEX or CycloneDX VEX document (expected a JSON object)")
    if isinstance(doc.get("predicate"), dict) and str(doc.get("predicateType", "")).startswith("https://openvex.dev/ns"):
        doc = doc["predicate"]
    context = doc.get("@context")
    if isinstance(context, str) and context.startswith("https://openvex.dev/ns"):
        return _parse_openvex(doc, source)
    if doc.get("bomFormat") == "CycloneDX":
        return _parse_cyclonedx(doc, source)
    raise PolicyError(f"{source}: not an OpenVEX (@context https://openvex.dev/ns...) or CycloneDX (bomFormat) document")


def load_vex(path: str | Path) -> list[VexStatement]:
    """Statements of an OpenVEX or CycloneDX VEX JSON file."""
    path = Path(path)
    text = _read_text(path, MAX_VEX_FILE_BYTES)
    if text.lstrip().startswith("<"):
        raise PolicyError(f"{path}: XML VEX is not supported; use CycloneDX JSON or OpenVEX")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise PolicyError(f"{path}: invalid JSON at line {e.lineno}: {e.msg}") from None
    return parse_vex(doc, str(path))


# --------------------------------------------------------------------------- vers ranges

_VERS_OPS = ("<=", ">=", "!=", "<", ">", "=")


def _vers_contains(vers: str, version: str) -> bool:
    """``vers:<scheme>/<constraints>`` containment (package-url/vers-spec), comparing with PEP 440
    ordering.  Anything unparseable counts as "not contained" (so it never suppresses)."""
    if not vers.startswith("vers:") or "/" not in vers:
        return False
    constraints = vers.split("/", 1)[1].strip()
    if constraints == "*":
        return True
    try:
        v = Version(version)
        parsed = []
        for raw in constraints.split("|"):
            raw = raw.strip()
            op = next((o for o in _VERS_OPS if raw.startswith(o)), "=")
            parsed.append((op, Version(unquote(raw[len(op):] if raw.startswith(op) else raw).strip())))
    except InvalidVersion:
        return False
    for op, cv in parsed:
        if v == cv:
            if op in ("=", ">=", "<="):
                return True
            if op in ("!=", "<", ">"):
                return False
    rest = sorted(((op, cv) for op, cv in parsed if op not in ("=", "!=")), key=lambda t: t[1])
    if not rest:
        return False
    if rest[0][0] in ("<", "<=") and v < rest[0][1]:
        return True
    if rest[-1][0] in (">", ">=") and v > rest[-1][1]:
        return True
    for (op1, v1), (op2, v2) in zip(rest, rest[1:]):
        if op1 in (">", ">=") and op2 in ("<", "<=") and v1 < v < v2:
            return True
    return False


# --------------------------------------------------------------------------- applying the policy

_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


def _ts_key(ts: str) -> datetime:
    """Tolerant RFC 3339: 'Z', nanoseconds (Go's output); unparseable or missing -> the epoch."""
    if not ts:
        return _EPOCH
    s = ts.strip().replace("Z", "+00:00").replace("z", "+00:00")
    s = re.sub(r"\.(\d+)", lambda m: "." + m.group(1)[:6].ljust(6, "0"), s, count=1)  # 3.10 wants 6 digits
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return _EPOCH
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _vex_reason(st: VexStatement) -> str:
    if st.detail:
        return st.detail
    return f"VEX: {st.status}" + (f" ({st.justification})" if st.justification else "")


def apply_policy(
    findings: Iterable[Finding],
    *,
    ignore_rules: Iterable[IgnoreRule] = (),
    vex: Iterable[VexStatement] = (),
    ignore_unfixed: bool = False,
    today: date | None = None,
) -> tuple[list[Finding], list[str]]:
    """Mark findings as suppressed where a VEX statement, ignore rule or ``ignore_unfixed`` applies.

    Returns every finding (suppressed ones included, in the same order) and warnings: expired
    rules, rules that matched no finding, ``fixed``/``resolved`` VEX statements contradicted by the
    scan, and suppressing VEX statements that name no package purl.  A finding that already
    carries a suppression keeps it.
    """
    today = today or date.today()
    warnings: dict[str, None] = {}
    rules = list(ignore_rules)
    active_rules = []
    for rule in rules:
        if rule.expired(today):
            warnings[f"{rule.describe()} expired on {rule.expires.isoformat()} and no longer applies"] = None
        else:
            active_rules.append(rule)
    statements = list(vex)
    for st in statements:
        if st.suppresses and not any(p.purl for p in st.products):
            refs = ", ".join(p.ref for p in st.products) or "none"
            warnings[f"{st.source}: VEX statement for {st.vulnerability} names no package purl (products: {refs}); "
                     "pkgscan matches VEX statements to packages by purl, so it was not applied"] = None
    by_vuln: dict[str, list[int]] = {}
    for i, st in enumerate(statements):
        for vid in _id_set(st.ids):
            by_vuln.setdefault(vid, []).append(i)
    used: set[int] = set()
    out = []
    for f in findings:
        suppression: Suppression | None = None
        candidates = sorted({i for vid in _finding_ids(f) for i in by_vuln.get(vid, ())})
        matching = [(i, statements[i]) for i in candidates if statements[i].applies_to(f)]
        if matching:
            _, latest = max(matching, key=lambda t: (_ts_key(t[1].timestamp), t[0]))
            if latest.suppresses_finding(f):
                suppression = Suppression(kind="vex", reason=_vex_reason(latest), source=latest.source,
                                          justification=latest.justification)
            elif latest.claims_fixed:
                warnings[f"{latest.source}: VEX says {latest.vulnerability} is {latest.status} in "
                          f"{f.component.purl}, but the scan still finds {f.id} there; not suppressed"] = None
        for n, rule in enumerate(active_rules):
            if rule.matches(f):
                used.add(n)
                if suppression is None:
                    suppression = Suppression(kind="ignore-file", reason=rule.reason, source=rule.source,
                                              expires=rule.expires.isoformat() if rule.expires else "")
        if suppression is None and ignore_unfixed and not f.fixed and not f.malicious:
            suppression = Suppression(kind="unfixed", reason="no fixed version is known")
        if f.suppressed is None and suppression is not None:
            f = replace(f, suppressed=suppression)
        out.append(f)
    for n, rule in enumerate(active_rules):
        if n not in used:
            warnings[f"{rule.describe()} matched no finding"] = None
    return out, list(warnings)


def effective_rank(finding: Finding) -> int:
    """The finding's rating rank for --fail-on; malicious packages count as critical."""
    return rating_rank("critical") if finding.malicious else rating_rank(finding.severity.rating)


def exit_code(findings: Sequence[Finding] | Iterable[Finding], fail_on: str | None) -> int:
    """1 if an active finding is at or above ``fail_on`` (see :data:`FAIL_ON_CHOICES`), else 0.

    Unknown severity ranks below every threshold, so it never fails a build by itself (except
    with ``"any"``).  Raises ValueError for an unknown threshold.
    """
    if fail_on is None:
        return 0
    level = fail_on.strip().lower()
    if level not in FAIL_ON_CHOICES:
        raise ValueError(f"--fail-on must be one of {', '.join(FAIL_ON_CHOICES)}, got {fail_on!r}")
    for f in findings:
        if not f.active:
            continue
        if level == "any" or effective_rank(f) >= rating_rank(level):
            return 1
    return 0


__all__ = [
    "PolicyError", "IgnoreRule", "VexProduct", "VexStatement", "FAIL_ON_CHOICES",
    "load_ignore_file", "load_pyproject_ignores", "load_ignores", "discover_ignore_file",
    "load_vex", "parse_vex", "apply_policy", "exit_code", "effective_rank", "purl_matches",
]
