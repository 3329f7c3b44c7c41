"""Maven versions: the order of Maven's ``ComparableVersion`` as the POM reference's "Version Order
Specification" states it and OSV applies it to ``Maven`` ``ECOSYSTEM`` ranges.

The version is split into tokens at ``.`` and ``-`` and at every transition between digits and
other characters (a transition counts as ``-``); each token remembers its separator (its prefix)::

    1.0.0-alpha-1  ->  1 .0 .0 -alpha -1
    1.0RC2         ->  1 .0 -rc -2

* case is ignored; an empty token is ``0`` (``1..2`` = ``1.0.2``, ``1-`` = ``1``); numbers are
  compared numerically with no size limit (``1.01`` = ``1.1``);
* aliases: ``ga``, ``final`` and ``release`` are the empty qualifier (the release itself), ``cr``
  is ``rc``; ``a``, ``b``, ``m`` directly followed by a digit are ``alpha``, ``beta``, ``milestone``
  (``1a1`` = ``1-alpha-1``);
* trailing "null" tokens (``0``, the empty qualifier) are trimmed, at the end and before every
  ``-`` (``1.0.0`` = ``1`` = ``1-0`` = ``1.ga``, ``1-1`` = ``1-ga-1``, ``1.0-1`` = ``1-1``);
* qualifiers: ``alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp``,
  then every unknown qualifier, in lexical order (so ``2.0.1 < 2.0.1-xyz``, ``1-abc < 1-abd``);
* tokens with the same prefix: qualifier < number; with different prefixes:
  ``.qualifier < -qualifier < -number < .number`` (``1.0.0 < 1.0-1 < 1.0.1``, ``2.0.1-xyz < 2.0.1-123``);
* the shorter version is padded with null tokens (``.0``, or ``-`` empty qualifier) to compare with
  the longer (``1-alpha < 1 < 1-1 < 1.1``, ``1-sp > 1``).

Pairwise, that rule is not transitive in a few corners (``1.sp < 1-alpha < 1 < 1.sp``;
``1-5 < 1.0.alpha < 1 < 1-5``).  A sort key must be a total order, so :func:`sort_key` resolves
those corners the way Maven 3.9 (which treats a trailing ``.X`` qualifier as ``-X``) does: at each
position a token first compares by whether everything from it onward is above or below the
release (the padding), then by the token rule.  Everywhere the pairwise rule is consistent the
two agree; the upstream vectors (tests/fixtures/vectors/osv-scalibr-semantic/maven-*.txt) all pass.
Digits are the ASCII ``0-9`` (as OSV's implementations read them).

:func:`equal` is ``ComparableVersion.equals``: the same tokens after trimming (``1.0`` = ``1``,
``1cr`` = ``1rc``).  :func:`is_valid`: Maven accepts any non-empty string without whitespace as a
version; so does this (up to 256 characters, no control characters).
"""
from __future__ import annotations

import functools
import re

__all__ = ["sort_key", "compare", "is_valid", "equal", "canonical", "tokens"]

_SPLIT = re.compile(r"[-.]")
_PIECES = re.compile(r"[0-9]+|[^0-9]+")
_KEYWORDS = {"alpha": 0, "beta": 1, "milestone": 2, "rc": 3, "snapshot": 4, "": 5, "sp": 6}
_RELEASE = 5
_UNKNOWN = 7
_ALIASES = {"cr": "rc", "ga": "", "final": "", "release": ""}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}

# token class by (prefix, is-number): .qualifier < -qualifier < -number < .number (the first token,
# prefix "", is ranked like "."; it only ever meets another first token)
_CLASS = {(".", False): 0, ("", False): 0, ("-", False): 1, ("-", True): 2, (".", True): 3, ("", True): 3}


def tokens(version: str) -> list[tuple[str, str]]:
    """The (prefix, value) tokens after aliasing and trimming: ``1.0RC2`` -> ``[("", "1"), ("-", "rc"), ("-", "2")]``."""
    low = version.lower()
    out: list[tuple[str, str]] = []
    pos = 0
    prefix = ""
    for m in _SPLIT.finditer(low + "."):  # the sentinel closes the last raw token
        raw = low[pos : m.start()]
        pieces = _PIECES.findall(raw) or [""]
        for j, piece in enumerate(pieces):
            p = prefix if j == 0 else "-"
            if piece == "":
                value = "0"
            elif piece[0] in "0123456789":
                value = piece.lstrip("0") or "0"
            else:
                value = _ALIASES.get(piece, piece)
                if j + 1 < len(pieces):  # directly followed by a digit
                    value = _SHORT.get(value, value)
            out.append((p, value))
        prefix = m.group()
        pos = m.end()
    # trim null tokens: at the end, then before each remaining "-" token, from the end to the start
    i = len(out) - 1
    while i > 0:
        if out[i][1] in ("0", ""):
            del out[i]
            i -= 1
            continue
        while i >= 0 and out[i][0] != "-":
            i -= 1
        i -= 1
    return out


def _is_number(value: str) -> bool:
    return value[:1].isdigit() and value.isascii() and value.isdigit()


def _token_key(prefix: str, value: str) -> tuple:
    if _is_number(value):
        return (_CLASS[(prefix, True)], len(value), value)
    kw = _KEYWORDS.get(value, _UNKNOWN)
    return (_CLASS[(prefix, False)], kw, value if kw == _UNKNOWN else "")


def _versus_null(prefix: str, value: str) -> int:
    """-1 / 0 / 1: the token against the null token the shorter version is padded with."""
    if _is_number(value):
        return 0 if value == "0" and prefix != "-" else 1
    kw = _KEYWORDS.get(value, _UNKNOWN)
    return (kw > _RELEASE) - (kw < _RELEASE)


@functools.lru_cache(maxsize=65536)
def sort_key(version: str) -> tuple:
    """A total order on every string (never raises): Maven's order, see the module docstring."""
    if not isinstance(version, str):
        version = str(version)
    text = version.strip()
    toks = tokens(text)
    # sign of each suffix against padding: the first token that is not null decides
    signs = [0] * len(toks)
    tail = 0
    for i in range(len(toks) - 1, -1, -1):
        s = _versus_null(*toks[i])
        tail = s if s else tail
        signs[i] = tail
    parts = [(signs[i] if i else 0, *_token_key(p, v)) for i, (p, v) in enumerate(toks)]
    return (*parts, (0,))


def compare(a: str, b: str) -> int:
    """-1 / 0 / 1: the pairwise rule itself (token by token, the shorter padded with nulls).

    Not transitive in the corners the module docstring names; :func:`sort_key` is the total order.
    """
    ta, tb = tokens(str(a).strip()), tokens(str(b).strip())
    for i in range(max(len(ta), len(tb))):
        if i >= len(ta) or i >= len(tb):
            s = _versus_null(*ta[i]) if i < len(ta) else -_versus_null(*tb[i])
            if s:
                return s
            continue
        ka, kb = _token_key(*ta[i]), _token_key(*tb[i])
        if ka != kb:
            return -1 if ka < kb else 1
    return 0


def equal(a: str, b: str) -> bool:
    """ComparableVersion equality: the same tokens after aliasing and trimming."""
    return sort_key(a) == sort_key(b)


def canonical(version: str) -> str:
    """The version with its tokens rejoined (``1.0.0.RELEASE`` -> ``1``); for display, not identity."""
    return "".join(p + v for p, v in tokens(version.strip()))


_BAD = re.compile(r"[\s\x00-\x1f\x7f]")


def is_valid(version: str) -> bool:
    return isinstance(version, str) and 0 < len(version) <= 256 and not _BAD.search(version)
