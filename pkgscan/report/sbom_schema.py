"""Validate a CycloneDX document against the schema cyclonedx-python-lib ships.

The library's own JSON validator checks the ``iri-reference`` format with ``rfc3987-syntax``, an
Earley parser that costs 10 ms to seconds per string (it made validating 170 small SBOMs take
8 minutes). Here the same schema files and the same format checker are used, except that
``iri``/``iri-reference`` are checked by a linear-time RFC 3987 pattern. XML goes to the library
(lxml is fast).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

_UCS = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U000efffd"
_IPRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_UNRESERVED = rf"A-Za-z0-9\-._~{_UCS}"
_PCT = r"%[0-9A-Fa-f]{2}"
_SUB = r"!$&'()*+,;="
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB}:@]|{_PCT})"
# RFC 3987 section 2.2, flattened: scheme ":" ihier-part ["?" iquery] ["#" ifragment], or a relative
# reference. The authority is checked loosely (host characters, optional port and userinfo).
# Possessive quantifiers throughout: every part ends at a character it cannot contain, so nothing
# needs to be given back, and a failing match stays linear on hostile input.
_AUTH = rf"(?:(?:[{_UNRESERVED}{_SUB}:]|{_PCT})*+@)?(?:\[[0-9A-Fa-f:.vV{_UNRESERVED}{_SUB}]*+\]|(?:[{_UNRESERVED}{_SUB}]|{_PCT})*+)(?::[0-9]*+)?"
_SEGS = rf"(?:/{_PCHAR}*+)*+"  # path-abempty: empty or "/"-led segments
_ABSOLUTE = rf"/(?:{_PCHAR}++{_SEGS})?"  # never "//" (that starts an authority)
_QUERY = rf"(?:[/?{_IPRIVATE}]|{_PCHAR})*+"
_FRAG = rf"(?:[/?]|{_PCHAR})*+"
_TAIL = rf"(?:\?{_QUERY})?(?:#{_FRAG})?"
_HIER = rf"(?://{_AUTH}{_SEGS}|{_ABSOLUTE}|{_PCHAR}++{_SEGS}|)"
_IRI = re.compile(rf"[A-Za-z][A-Za-z0-9+\-.]*:{_HIER}{_TAIL}")
# A relative reference's first segment has no ":" (it would read as a scheme).
_RELATIVE = re.compile(rf"(?://{_AUTH}{_SEGS}|{_ABSOLUTE}|(?:[{_UNRESERVED}{_SUB}@]|{_PCT})++{_SEGS}|){_TAIL}")


def is_iri(value: object) -> bool:
    return not isinstance(value, str) or _IRI.fullmatch(value) is not None


def is_iri_reference(value: object) -> bool:
    return not isinstance(value, str) or _IRI.fullmatch(value) is not None or _RELATIVE.fullmatch(value) is not None


@lru_cache(maxsize=8)
def _json_validator(spec_version: str):
    from jsonschema import Draft7Validator, FormatChecker
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema import _res as res  # the schema files the library ships

    def load(path: str) -> dict:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)

    prefix = "http://cyclonedx.org/schema/"
    registry = Registry().with_resources(
        (prefix + name, DRAFT7.create_resource(load(path)))
        for name, path in (
            ("spdx.SNAPSHOT.schema.json", res.SPDX_JSON),
            ("cryptography-defs.SNAPSHOT.schema.json", res.CRYPTOGRAPHY_DEFS),
            ("jsf-0.82.SNAPSHOT.schema.json", res.JSF),
        )
    )
    checker = FormatChecker(formats=())
    checker.checkers.update(Draft7Validator.FORMAT_CHECKER.checkers)  # the library's checker, but:
    checker.checkers["iri"] = (is_iri, ())
    checker.checkers["iri-reference"] = (is_iri_reference, ())
    schema = load(res.BOM_JSON[SchemaVersion.from_version(spec_version)])
    return Draft7Validator(schema, registry=registry, format_checker=checker)


def validate(text: str, fmt: str, spec_version: str) -> str | None:
    """None if *text* is valid CycloneDX *spec_version* in *fmt* ("cyclonedx-json"/"-xml"),
    else a one-line description of the first error."""
    if fmt == "cyclonedx-json":
        try:
            document = json.loads(text)
        except ValueError as exc:
            return f"not JSON: {exc}"
        error = next(iter(_json_validator(spec_version).iter_errors(document)), None)
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        return f"{where}: {error.message}"
    from cyclonedx.schema import OutputFormat, SchemaVersion
    from cyclonedx.validation import make_schemabased_validator

    problem = make_schemabased_validator(OutputFormat.XML, SchemaVersion.from_version(spec_version)).validate_str(text)
    return None if problem is None else str(problem)
