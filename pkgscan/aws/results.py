"""Write the results of a Lambda scan: one SBOM per function (with its layers) and a summary.

Layout under ``--out-dir``::

    summary.json                         every function, layer and region with its status and verdicts
    summary.md                           the same for people (CI step summaries)
    functions/<account>/<region>/<name>@<version>.cdx.json   CycloneDX: the function's code plus its layers
    layers/<account>/<region>/<name>@<version>.cdx.json      CycloneDX: one layer version
    parts/<account>--<region>.json       the per-unit documents the summary is built from (fleet runs)
"""
from __future__ import annotations

import dataclasses
import json
import re
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..model import Artifact, Component, Inventory, Occurrence
from ..report.cyclonedx import build_bom, serialize
from ..report.cyclonedx_vulns import add_vulnerabilities
from ..report.cyclonedx_fast import emit_json
from ..report.cyclonedx_fast import enabled as fast_enabled
from ..report.markdown import render_live as render_live_markdown
from ..report.text import neutralize
from ..vulns.model import ScanResult, rating_rank
from . import safefs
from .model import AccountResult, FunctionResult, LayerResult

SCHEMA = "pkgscan/lambda-results/v1"
_FUNCTION_SERIAL_NS = uuid.UUID("0b5c3d0e-7a51-4f5e-9a7c-2d8f61c4a9e3")


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, frozenset):
        return sorted(_plain(x) for x in obj)
    return obj


def _finding_summary(f) -> dict:
    return {
        "id": f.id, "ids": list(f.ids), "package": f.component.name, "version": f.component.version,
        "ecosystem": f.component.ecosystem, "purl": f.component.purl, "severity": f.severity.rating,
        "score": f.severity.score, "fixed": list(f.fixed), "recommended": f.recommended, "malicious": f.malicious,
        "locations": [o.location for o in f.component.occurrences], "labels": list(f.labels),
        "suppressed": _plain(f.suppressed),
    }


def _verdict(report) -> str | None:
    return getattr(report, "verdict", None) if report is not None else None


def _signing_summary(fr: FunctionResult) -> dict:
    """The worst of the function's and its layers' signing problems: severity and class."""
    reports = [r for r in (fr.signing, *fr.layer_signing) if r is not None and hasattr(r, "summary")]
    if not reports:
        return {"severity": None, "class": None}
    rank = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
    severity, label = max((r.summary() for r in reports), key=lambda s: rank.get(s[0], 0))
    return {"severity": severity, "class": label}


def function_entry(fr: FunctionResult, inventories: dict | None = None) -> dict:
    view = fr.effective
    inv = (inventories or {}).get(fr.inventory_sha256)
    return {
        "coverage": inv.coverage.to_dict() if inv is not None and inv.coverage is not None else None,
        "arn": fr.arn, "name": fr.name, "version": fr.version, "region": fr.region, "account": fr.account,
        "status": fr.status, "reason": fr.reason, "runtime": fr.runtime, "package_type": fr.package_type,
        "code_sha256": fr.code_sha256, "code_size": fr.code_size,
        "image_uri": fr.image_uri, "resolved_image_uri": fr.resolved_image_uri,
        "layers": list(fr.layers), "untrusted_layers": list(fr.untrusted_layers),
        "runtime_verdict": _plain(fr.runtime_verdict),
        "signing": {"verdict": _verdict(fr.signing), **_signing_summary(fr),
                    "function": _plain(fr.signing), "layers": [_plain(r) for r in fr.layer_signing]},
        "effective_runtime": None if view is None else {
            "notes": list(view.notes),
            "shadowed": [_plain(c) for c in view.shadowed()],
        },
        "findings": [_finding_summary(f) for f in fr.findings],
    }


def layer_entry(lr: LayerResult) -> dict:
    d = _plain(dataclasses.replace(lr, findings=()))
    d.pop("findings", None)
    d["findings"] = [_finding_summary(f) for f in lr.findings]
    return d


def partial_doc(result: AccountResult, accounts: list[dict] | None = None) -> dict:
    """What one process (or one shard) found: functions, layers, regions, accounts; no counts."""
    regions = [{**_plain(r), "account": result.account} for r in result.regions]
    accts = accounts if accounts is not None else (
        [{"account": result.account, "name": "", "status": "scanned", "reason": ""}] if result.account else [])
    return {
        "schema": SCHEMA,
        "accounts": accts,
        "regions": regions,
        "functions": [function_entry(f, result.inventories) for f in result.functions],
        "layers": [layer_entry(lr) for lr in result.layers],
        "warnings": list(result.warnings),
    }


_STR = (str,)
_OPT_STR = (str, type(None))


def _field_problem(obj: object, where: str, fields: dict[str, tuple]) -> str | None:
    if not isinstance(obj, dict):
        return f"{where} is not an object"
    for key, types in fields.items():
        if key not in obj:
            return f"{where} has no {key!r}"
        if not isinstance(obj[key], types):
            return f"{where}.{key} has the wrong type ({type(obj[key]).__name__})"
    return None


def _depth_problem(obj: object, limit: int = 64) -> str | None:
    stack = [(obj, 0)]
    while stack:
        o, d = stack.pop()
        if d > limit:
            return f"nested more than {limit} levels deep"
        if isinstance(o, dict):
            stack.extend((v, d + 1) for v in o.values())
        elif isinstance(o, list):
            stack.extend((v, d + 1) for v in o)
    return None


def document_problem(doc: object) -> str | None:
    """Why ``doc`` is not a results document ``finalize`` and the summary renderers can use (None:
    it is): the schema, every key they read, with the right types.  Checked before merging, so that
    a malformed or hostile part is one clear error instead of a traceback."""
    if not isinstance(doc, dict):
        return "not a JSON object"
    if doc.get("schema") != SCHEMA:
        return f"schema {str(doc.get('schema'))[:80]!r} is not {SCHEMA!r}"
    for key in ("accounts", "regions", "functions", "layers", "warnings"):
        if not isinstance(doc.get(key, []), list):
            return f"{key!r} is not a list"
    deep = _depth_problem(doc)
    if deep:
        return deep
    for i, a in enumerate(doc.get("accounts", [])):
        p = _field_problem(a, f"accounts[{i}]", {"account": _STR, "status": _STR})
        if p:
            return p
        for k in ("name", "reason"):
            if not isinstance(a.get(k, ""), _OPT_STR):
                return f"accounts[{i}].{k} has the wrong type"
    for i, r in enumerate(doc.get("regions", [])):
        p = _field_problem(r, f"regions[{i}]", {"region": _STR, "status": _STR})
        if p or not isinstance(r.get("account", ""), _STR) or not isinstance(r.get("reason", ""), _OPT_STR):
            return p or f"regions[{i}] has a field of the wrong type"
    finding = {"severity": _STR, "suppressed": (dict, type(None), str, list)}
    for i, f in enumerate(doc.get("functions", [])):
        w = f"functions[{i}]"
        p = _field_problem(f, w, {"arn": _STR, "version": _STR, "account": _STR, "region": _STR, "name": _STR,
                                  "status": _STR, "reason": _OPT_STR, "runtime": _OPT_STR, "layers": (list,),
                                  "findings": (list,), "signing": (dict,), "runtime_verdict": (dict, type(None))})
        if p:
            return p
        if not all(isinstance(x, str) for x in f["layers"]):
            return f"{w}.layers holds something other than ARNs"
        if not isinstance(f["signing"].get("verdict"), _OPT_STR) or not isinstance(f["signing"].get("class"), _OPT_STR):
            return f"{w}.signing has a field of the wrong type"
        if not isinstance((f["runtime_verdict"] or {}).get("status", ""), _OPT_STR):
            return f"{w}.runtime_verdict.status has the wrong type"
        for j, x in enumerate(f["findings"]):
            p = _field_problem(x, f"{w}.findings[{j}]", finding)
            if p:
                return p
    for i, lr in enumerate(doc.get("layers", [])):
        p = _field_problem(lr, f"layers[{i}]", {"arn": _STR, "findings": (list,)})
        if p:
            return p
        for j, x in enumerate(lr["findings"]):
            p = _field_problem(x, f"layers[{i}].findings[{j}]", finding)
            if p:
                return p
    if not all(isinstance(w, str) for w in doc.get("warnings", [])):
        return "'warnings' holds something other than text"
    return None


def finalize(docs: list[dict]) -> dict:
    """Combine partial documents (shards, or accounts) into the summary: sorted, de-duplicated, counted.

    The same function makes the single-process summary, so merged shards give the same bytes.
    """
    accounts: dict[str, dict] = {}
    regions: dict[tuple[str, str], dict] = {}
    functions: dict[tuple[str, str], dict] = {}
    layers: dict[str, dict] = {}
    warnings: set[str] = set()
    for doc in docs:
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"not a pkgscan Lambda results document (schema {doc.get('schema')!r})")
        for a in doc.get("accounts", []):
            prev = accounts.get(a["account"])
            # an account scanned in one shard and failed in another (e.g. throttled) keeps both reasons
            if prev is None or (prev["status"] == "scanned" and a["status"] != "scanned"):
                accounts[a["account"]] = a
        for r in doc.get("regions", []):
            regions[(r.get("account", ""), r["region"])] = r
        for f in doc.get("functions", []):
            functions[(f["arn"], f["version"])] = f
        for lr in doc.get("layers", []):
            layers.setdefault(lr["arn"], lr)
        warnings.update(doc.get("warnings", []))
    fns = [functions[k] for k in sorted(functions, key=lambda k: (
        functions[k]["account"], functions[k]["region"], functions[k]["name"], _version_sort(functions[k]["version"])))]
    counts: dict[str, int] = {}
    for f in fns:
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    sev: dict[str, int] = {}
    used = {arn for f in fns for arn in f["layers"]}
    # findings of every function, and of the layers no listed function uses (a `pkgscan layer` run)
    for entry in [*fns, *(lr for lr in layers.values() if lr["arn"] not in used)]:
        for x in entry["findings"]:
            if not x["suppressed"]:
                sev[x["severity"]] = sev.get(x["severity"], 0) + 1
    return {
        "schema": SCHEMA,
        "accounts": [accounts[k] for k in sorted(accounts)],
        "regions": [regions[k] for k in sorted(regions)],
        "counts": {
            "accounts": len(accounts),
            "functions": len(fns), "by_status": dict(sorted(counts.items())), "layers": len(layers),
            "findings_by_severity": dict(sorted(sev.items(), key=lambda kv: -rating_rank(kv[0]))),
            "signing_fail": sum(1 for f in fns if f["signing"]["verdict"] == "fail"
                                and f["signing"].get("class") != "none configured"),
            "signing_none_configured": sum(1 for f in fns if f["signing"].get("class") == "none configured"),
            "signing_unknown": sum(1 for f in fns if f["signing"]["verdict"] == "unknown"),
            "runtime_deprecated": sum(1 for f in fns if (f["runtime_verdict"] or {}).get("status") == "deprecated"),
            "runtime_deprecating_soon": sum(1 for f in fns if (f["runtime_verdict"] or {}).get("status") == "deprecating-soon"),
            "coverage_partial": sum(1 for f in fns if (f.get("coverage") or {}).get("status") == "partial"),
        },
        "functions": fns,
        "layers": [layers[k] for k in sorted(layers)],
        "warnings": sorted(warnings),
    }


def _version_sort(v: str):
    return (0, 0) if v == "$LATEST" else (1, int(v)) if v.isdigit() else (2, 0)


def summary(result: AccountResult, accounts: list[dict] | None = None) -> dict:
    return finalize([partial_doc(result, accounts)])


def merge_inventories(parts: list[tuple[str, str | None, Inventory]], artifact: Artifact) -> Inventory:
    """Several inventories as one: ``parts`` are (location prefix, source or None, inventory).

    A component (one purl) found in several parts is one component with every occurrence, each
    location prefixed by its part's prefix and rooted at the part's source (None keeps the root).
    The artifact's ``entries`` is the parts' total."""
    comps: dict[str, Component] = {}
    edges: set[tuple[str, str]] = set()
    notices = []
    for prefix, source, inv in parts:
        for c in _rerooted(prefix, source, inv):
            prev = comps.get(c.purl)
            if prev is None:
                comps[c.purl] = c
            else:
                comps[c.purl] = dataclasses.replace(prev, occurrences=prev.occurrences + c.occurrences,
                                                    declared_in=tuple(dict.fromkeys(prev.declared_in + c.declared_in)))
        edges.update(inv.dependencies)
        notices.extend(inv.notices)
    art = dataclasses.replace(artifact, entries=sum(inv.artifact.entries for _p, _s, inv in parts))
    from ..inventory.coverage import merge as merge_coverage

    return Inventory(artifact=art, components=tuple(sorted(comps.values(), key=lambda c: c.purl)),
                     dependencies=tuple(sorted(edges)), notices=tuple(notices),
                     coverage=merge_coverage([(prefix, inv.coverage) for prefix, _s, inv in parts]))


_REROOTED: dict[tuple[str, str | None, int], tuple[Inventory, tuple[Component, ...]]] = {}
_rerooted_components = 0


def _rerooted(prefix: str, source: str | None, inv: Inventory) -> tuple[Component, ...]:
    """``inv``'s components with every location prefixed and rooted at ``source``: the same objects
    for every function that uses the same layer in a run (so their SBOM fragments are rendered once)."""
    key = (prefix, source, id(inv))
    hit = _REROOTED.get(key)
    if hit is not None and hit[0] is inv:
        return hit[1]
    comps = tuple(dataclasses.replace(c, occurrences=tuple(Occurrence(prefix + o.location, o.root if source is None else source)
                                                           for o in c.occurrences)) for c in inv.components)
    global _rerooted_components
    if _rerooted_components + len(comps) > 200_000:  # bounded memory: start again
        _REROOTED.clear()
        _rerooted_components = 0
    _rerooted_components += len(comps)
    _REROOTED[key] = (inv, comps)  # holds inv: its id is not reused while cached
    return comps


def combined_inventory(fr: FunctionResult, result: AccountResult) -> Inventory:
    """The function's code and its layers as one inventory, each occurrence saying where it lives."""
    parts: list[tuple[str, str | None, Inventory]] = []
    fn_inv = result.inventories.get(fr.inventory_sha256)
    if fn_inv is not None:  # an image's paths are from the image root ("var/task/...", "opt/...")
        parts.append(("/" if fr.package_type == "Image" else "/var/task/", "function", fn_inv))
    by_arn = {lr.arn: lr for lr in result.layers}
    for arn in fr.layers:
        lr = by_arn.get(arn)
        inv = result.inventories.get(f"{lr.inventory_sha256}.layer") if lr else None
        if inv is not None:
            parts.append(("/opt/", arn, inv))
    return merge_inventories(parts, Artifact(name=fr.name, path=fr.arn, kind="lambda-function", layout="function",
                                             sha256=fr.inventory_sha256, size=fr.code_size))


def function_sbom(fr: FunctionResult, result: AccountResult, spec_version: str = "1.6", fmt: str = "cyclonedx-json") -> str:
    from cyclonedx.model import Property

    inv = combined_inventory(fr, result)
    by_arn = {lr.arn: lr for lr in result.layers}
    # the serial number names this exact document: the function version (ARN) and all the code it runs
    identity = [fr.arn, fr.code_sha256, *(f"{a}={by_arn[a].code_sha256 if a in by_arn else ''}" for a in fr.layers),
                *sorted(f"{f.id}|{f.component.purl}" for f in fr.findings)]
    serial = uuid.uuid5(_FUNCTION_SERIAL_NS, "\n".join(identity))
    props = [("aws:lambda:function-arn", fr.arn), ("aws:lambda:version", fr.version),
             ("aws:lambda:code-sha256", fr.code_sha256), ("aws:lambda:runtime", fr.runtime),
             ("aws:lambda:region", fr.region)]
    props += [("aws:lambda:layer-arn", a) for a in fr.layers]
    if fmt == "cyclonedx-json" and fast_enabled():  # the library's bytes, components rendered once per run
        text = emit_json(inv, name=fr.name, version=fr.version, serial_number=serial, spec_version=spec_version,
                         root_properties=tuple((k, neutralize(v)) for k, v in props if v),
                         findings=_function_findings(fr, inv))
        if text is not None:
            return text
    bom = build_bom(inv, name=fr.name, version=fr.version, serial_number=serial)
    bom.metadata.component.properties.update(Property(name=k, value=neutralize(v)) for k, v in props if v)
    add_vulnerabilities(bom, ScanResult(inventory=inv, findings=_function_findings(fr, inv)))
    return serialize(bom, fmt, spec_version)


def _function_findings(fr: FunctionResult, inv: Inventory) -> tuple:
    """One entry per vulnerability and package: the same package@version in the function and in a
    layer is one component (with both locations), so its findings are listed once."""
    purls = {c.purl for c in inv.components}
    unique: dict[tuple[str, str], object] = {}
    for f in fr.findings:
        if f.component.purl in purls:
            unique.setdefault((f.id, f.component.purl), f)
    return tuple(unique[k] for k in sorted(unique))


def layer_sbom(lr: LayerResult, result: AccountResult, spec_version: str = "1.6", fmt: str = "cyclonedx-json") -> str | None:
    from cyclonedx.model import Property

    inv = result.inventories.get(f"{lr.inventory_sha256}.layer")
    if inv is None:
        return None
    if fmt == "cyclonedx-json" and fast_enabled():
        text = emit_json(inv, name=lr.name, version=lr.version, spec_version=spec_version, findings=lr.findings,
                         root_properties=tuple((k, neutralize(v)) for k, v in (
                             ("aws:lambda:layer-version-arn", lr.arn), ("aws:lambda:code-sha256", lr.code_sha256)) if v))
        if text is not None:
            return text
    bom = build_bom(inv, name=lr.name, version=lr.version)
    bom.metadata.component.properties.update(
        Property(name=k, value=neutralize(v)) for k, v in
        (("aws:lambda:layer-version-arn", lr.arn), ("aws:lambda:code-sha256", lr.code_sha256)) if v)
    add_vulnerabilities(bom, ScanResult(inventory=inv, findings=lr.findings))
    return serialize(bom, fmt, spec_version)


def _file_name(name: str, version: str) -> str:
    """``<name>@<version>.cdx.json`` as one safe component (``$LATEST`` reads ``latest``)."""
    return safefs.component(f"{name}@{version}") + ".cdx.json"


def sbom_path(kind: str, account: str, region: str, name: str, version: str) -> tuple[str, str, str, str]:
    """The path of a resource's SBOM below --out-dir, as components that cannot leave it."""
    return (kind, safefs.account_component(account), safefs.region_component(region), _file_name(name, version))


def write_sboms(result: AccountResult, out_dir: str | Path, spec_version: str = "1.6") -> None:
    """functions/<account>/<region>/<name>@<version>.cdx.json and layers/<account>/<region>/...

    Every component comes from the API (account, region, names) and is sanitized; the files are
    written without following any link planted under ``out_dir``."""
    out = Path(out_dir)
    for fr in result.functions:
        if fr.status != "scanned":
            continue
        safefs.write_bytes(out, sbom_path("functions", fr.account, fr.region, fr.name, fr.version),
                           function_sbom(fr, result, spec_version))
    for lr in result.layers:
        text = layer_sbom(lr, result, spec_version) if lr.status == "scanned" else None
        if text is None:
            continue
        safefs.write_bytes(out, sbom_path("layers", lr.account, lr.region, lr.name, lr.version), text)


def write_summary(doc: dict, out_dir: str | Path, stats: dict | None = None) -> None:
    out = Path(out_dir)
    safefs.write_bytes(out, "summary.json", json.dumps(doc, indent=2, sort_keys=True) + "\n")
    safefs.write_bytes(out, "summary.md", markdown(doc))
    if stats is not None:  # run statistics (API calls, bytes, timings) differ between runs: kept apart
        safefs.write_bytes(out, "stats.json", json.dumps(_plain(stats), indent=2, sort_keys=True) + "\n")


def write(result: AccountResult, out_dir: str | Path, spec_version: str = "1.6", accounts: list[dict] | None = None) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_sboms(result, out, spec_version)
    doc = summary(result, accounts)
    write_summary(doc, out, result.stats)
    return doc


markdown = render_live_markdown  # summary.md


def fleet_scan_result(results: list[AccountResult]) -> ScanResult:
    """Every scanned function (with its layers) as one scan result, for the package-level formats
    (SARIF, CycloneDX, markdown, the table).  Locations say where each copy lives:
    ``<account>/<region>/<function>@<version>:/var/task/...`` or ``...:/opt/...`` for a layer."""
    parts: list[tuple[str, str | None, Inventory]] = []
    findings: dict[tuple[str, str], object] = {}
    for r in results:
        for fr in r.functions:
            if fr.status != "scanned":
                continue
            parts.append((f"{fr.account}/{fr.region}/{fr.name}@{fr.version}:", None, combined_inventory(fr, r)))
            for f in fr.findings:
                findings.setdefault((f.id, f.component.purl), f)
        # layers no scanned function uses (a `pkgscan layer` run, or unattached layer versions)
        used = {a for fr in r.functions if fr.status == "scanned" for a in fr.layers}
        for lr in r.layers:
            inv = r.inventories.get(f"{lr.inventory_sha256}.layer") if lr.status == "scanned" else None
            if inv is None or lr.arn in used:
                continue
            parts.append((f"{lr.arn}:/opt/", None, inv))
            for f in lr.findings:
                findings.setdefault((f.id, f.component.purl), f)
    accounts = sorted({r.account for r in results if r.account})
    inv = merge_inventories(parts, Artifact(name="lambda:" + ",".join(accounts), path="", kind="lambda-account",
                                            layout="function"))
    by_purl = {c.purl: c for c in inv.components}
    fs = tuple(dataclasses.replace(f, component=by_purl[f.component.purl])
               for (_i, purl), f in sorted(findings.items()) if purl in by_purl)
    return ScanResult(inventory=inv, findings=fs, warnings=tuple(sorted({w for r in results for w in r.warnings})))
