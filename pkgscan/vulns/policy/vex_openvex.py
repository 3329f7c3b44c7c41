"""OpenVEX documents (https://github.com/openvex/spec), v0.0.1 and later."""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from .match import PolicyError
from .vex_model import OPENVEX_STATUSES, VexProduct, VexStatement, entries, text, vex_product


def _iri_tail(iri: str) -> str:
    """``https://nvd.nist.gov/vuln/detail/CVE-2021-44228`` -> ``CVE-2021-44228``."""
    return unquote(iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1])


def _product_ids(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj.strip()] if obj.strip() else []
    if not isinstance(obj, dict):
        return []
    ids = [text(obj.get("@id"))]
    idents = obj.get("identifiers")
    if isinstance(idents, dict):
        ids.append(text(idents.get("purl")))
    return [i for i in dict.fromkeys(ids) if i]


def _openvex_products(st: dict) -> tuple[VexProduct, ...]:
    """Packages a statement is about.  A product that lists ``subcomponents`` is the thing being shipped
    (our Lambda function); the vulnerability sits in the subcomponents, so those are what we match."""
    out: list[VexProduct] = []
    legacy_subs = st.get("subcomponents")  # OpenVEX v0.0.1: subcomponents at statement level
    if isinstance(legacy_subs, list) and legacy_subs:
        for sub in legacy_subs:
            out += [vex_product(i) for i in _product_ids(sub)]
        return tuple(out)
    products = st.get("products")
    if not isinstance(products, list):
        return ()
    for product in products:
        subs = product.get("subcomponents") if isinstance(product, dict) else None
        if isinstance(subs, list) and subs:
            for sub in subs:
                out += [vex_product(i) for i in _product_ids(sub)]
        else:
            out += [vex_product(i) for i in _product_ids(product)]
    return tuple(out)


def parse_openvex(doc: dict, source: str) -> list[VexStatement]:
    doc_ts = text(doc.get("timestamp"))
    out = []
    for n, where, st in entries(doc, "statements", source, "OpenVEX", lambda n: f"statement {n}"):
        vuln = st.get("vulnerability")
        aliases: list[str] = []
        if isinstance(vuln, str):  # OpenVEX v0.0.1
            name = vuln.strip()
        elif isinstance(vuln, dict):
            name = text(vuln.get("name"))
            iri = text(vuln.get("@id"))
            if iri:
                aliases.append(_iri_tail(iri))
            if isinstance(vuln.get("aliases"), list):
                aliases += [a.strip() for a in vuln["aliases"] if isinstance(a, str) and a.strip()]
            name = name or (aliases[0] if aliases else "")
        else:
            name = ""
        if not name:
            raise PolicyError(f"{where}: 'vulnerability' needs a name")
        status = text(st.get("status"))
        if status not in OPENVEX_STATUSES:
            raise PolicyError(f"{where} ({name}): status {status!r} is not one of {', '.join(OPENVEX_STATUSES)}")
        justification = text(st.get("justification"))
        detail = text(st.get("impact_statement")) or text(st.get("status_notes"))
        if status == "not_affected" and not (justification or text(st.get("impact_statement"))):
            raise PolicyError(f"{where} ({name}): not_affected requires a 'justification' or an 'impact_statement'")
        out.append(VexStatement(
            vulnerability=name, status=status, format="openvex",
            aliases=tuple(a for a in dict.fromkeys(aliases) if a != name),
            products=_openvex_products(st), justification=justification, detail=detail,
            timestamp=text(st.get("last_updated")) or text(st.get("timestamp")) or doc_ts,
            source=source, index=n))
    return out
