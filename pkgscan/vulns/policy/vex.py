"""Reading VEX documents: OpenVEX (also inside an in-toto attestation) or CycloneDX VEX, JSON."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .match import PolicyError, read_text
from .vex_cyclonedx import parse_cyclonedx
from .vex_model import MAX_VEX_FILE_BYTES, VexStatement
from .vex_openvex import parse_openvex


def parse_vex(doc: Any, source: str = "<vex>") -> list[VexStatement]:
    """Statements of an already-decoded OpenVEX / CycloneDX document (or an in-toto attestation
    whose predicate is an OpenVEX document)."""
    if not isinstance(doc, dict):
        raise PolicyError(f"{source}: not an OpenVEX or CycloneDX VEX document (expected a JSON object)")
    if isinstance(doc.get("predicate"), dict) and str(doc.get("predicateType", "")).startswith("https://openvex.dev/ns"):
        doc = doc["predicate"]
    context = doc.get("@context")
    if isinstance(context, str) and context.startswith("https://openvex.dev/ns"):
        return parse_openvex(doc, source)
    if doc.get("bomFormat") == "CycloneDX":
        return parse_cyclonedx(doc, source)
    raise PolicyError(f"{source}: not an OpenVEX (@context https://openvex.dev/ns...) or CycloneDX (bomFormat) document")


def load_vex(path: str | Path) -> list[VexStatement]:
    """Statements of an OpenVEX or CycloneDX VEX JSON file."""
    path = Path(path)
    text = read_text(path, MAX_VEX_FILE_BYTES)
    if text.lstrip().startswith("<"):
        raise PolicyError(f"{path}: XML VEX is not supported; use CycloneDX JSON or OpenVEX")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise PolicyError(f"{path}: invalid JSON at line {e.lineno}: {e.msg}") from None
    return parse_vex(doc, str(path))
