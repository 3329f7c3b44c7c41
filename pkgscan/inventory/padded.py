"""Metadata that is padded so a size or ratio check would skip it: read a bounded prefix instead.

A METADATA or package.json blown up with padding (a megabyte of spaces compresses 1000:1) is refused
by the archive reader's bomb checks (compression ratio, member size).  Skipping it would hide the
package from the SBOM, so the catalogers call ``read_metadata``: the member is read whole when it
can be, otherwise only its first ``PREFIX_BYTES`` are decompressed (bounded work, whatever the
ratio) and the package is identified from them, with a suspicious ``metadata-padded`` notice.
"""
from __future__ import annotations

import json
import re

from ..archive import Tree
from ..errors import EntryError
from ..model import Notice

#: how much of a refused metadata file is decompressed to identify the package
PREFIX_BYTES = 1 << 20
#: the codes of refusals that padding causes (not damage: a bad CRC is handled by the caller)
PADDING_CODES = frozenset({"compression-ratio", "member-too-large"})


def read_metadata(tree: Tree, path: str, max_size: int) -> tuple[bytes | None, bool]:
    """(bytes, complete): the whole member, or its first ``PREFIX_BYTES`` when it was refused as
    too large or too compressible (complete False, with a suspicious notice); (None, False) when it
    cannot be read at all (the reason is in ``tree.notices``)."""
    data = tree.read_or_note(path, max_size)
    if data is not None:
        return data, True
    last = tree.notices[-1] if tree.notices else None
    if last is None or last.path != path or last.code not in PADDING_CODES:
        return None, False
    try:
        head = tree.read_head(path, PREFIX_BYTES)
    except EntryError:
        return None, False
    tree.notices[-1] = Notice("metadata-padded", path, f"{last.message}; identified from its first "
                              f"{len(head)} bytes (padded metadata hides packages)", True)
    return head, False


def header_section(data: bytes, max_line: int = 64 * 1024) -> bytes:
    """The header block of a core-metadata prefix (up to the first empty line), without lines longer
    than ``max_line`` (a padded header value) and without a last line the prefix cut in two."""
    end = data.find(b"\n\n")
    block = data if end < 0 else data[:end]
    if end < 0 and b"\n" in block:
        block = block[: block.rfind(b"\n")]
    return b"\n".join(line for line in block.split(b"\n") if len(line) <= max_line)


_WS = re.compile(r"[ \t\r\n]*")


def json_prefix_fields(data: bytes, wanted: tuple[str, ...] = ("name", "version")) -> dict:
    """The top-level ``wanted`` string members of a JSON object whose text is cut short (or padded):
    members are decoded one by one until the text ends; a value that does not fit is skipped."""
    text = data.decode("utf-8", "replace")
    dec = json.JSONDecoder()
    out: dict = {}
    pos = _WS.match(text, 0).end()
    if not text.startswith("{", pos):
        return out
    pos += 1
    while pos < len(text) and len(out) < len(wanted):
        pos = _WS.match(text, pos).end()
        if text.startswith("}", pos):
            break
        try:
            key, pos = dec.raw_decode(text, pos)
            pos = _WS.match(text, pos).end()
            if not text.startswith(":", pos):
                break
            pos = _WS.match(text, pos + 1).end()
            value, pos = dec.raw_decode(text, pos)
        except (ValueError, RecursionError):
            break
        if isinstance(key, str) and key in wanted and isinstance(value, str) and key not in out:
            out[key] = value
        pos = _WS.match(text, pos).end()
        if text.startswith(",", pos):
            pos += 1
    return out


__all__ = ["read_metadata", "header_section", "json_prefix_fields", "PREFIX_BYTES"]
