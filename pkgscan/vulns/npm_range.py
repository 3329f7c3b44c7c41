"""node-semver (npm) versions and ranges, ported from npm/node-semver.

This is what npm means by a version and by a ``package.json`` dependency
spec such as ``^1.2.3 || >=2.0.0-rc.1 <3``.  OSV advisories never use npm's
range syntax (OSV ranges are event lists, see :mod:`pkgscan.vulns.versions`),
so this module matters only when pkgscan reads dependency specs.

It is a faithful port of node-semver at commit 6e05b76 (where the test
fixtures come from; they encode the ``includePrerelease`` lower-bound fixes
npm/node-semver#872 and #878): ``classes/semver.js``,
``classes/comparator.js``, ``classes/range.js`` and ``internal/re.js`` (the
ReDoS-safe regexes, ``safeRe``), with both options:

* ``loose``: accept ``=1.2.3``, ``v 1.2.3``, ``1.2.3beta``, leading zeros.
* ``include_prerelease``: let prereleases satisfy ranges whose comparators
  carry no prerelease on the same ``[major, minor, patch]`` tuple.

Deliberate differences from JavaScript, none of which the fixtures exercise:

* numbers are exact Python integers (node-semver uses IEEE doubles; it still
  rejects major/minor/patch above ``Number.MAX_SAFE_INTEGER``, and so do we);
* ``\\d`` is ASCII-only (as in JavaScript) because the patterns spell it
  ``[0-9]``; ``\\s`` and ``str.strip`` follow Python's Unicode notion of
  whitespace, which differs from JavaScript's only for exotic code points.

Bad input: :func:`parse` returns ``None`` and :func:`satisfies` returns
``False`` (as ``semver.satisfies`` does); only :func:`compare` raises
(``ValueError``, where node-semver throws ``TypeError``).
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple, Optional, Tuple, Union

__all__ = [
    "SemVer",
    "parse",
    "valid",
    "compare",
    "satisfies",
    "MAX_LENGTH",
    "MAX_SAFE_INTEGER",
]

MAX_LENGTH = 256
MAX_SAFE_INTEGER = 2**53 - 1
MAX_SAFE_BUILD_LENGTH = MAX_LENGTH - 6

# ---------------------------------------------------------------------------
# Regular expressions (internal/re.js).  `src` holds the JavaScript-flavoured
# source; `_safe()` applies node-semver's makeSafeRegex() bounds and turns the
# JavaScript end anchor `$` into Python's `\Z` (Python's `$` also matches
# before a trailing newline).
# ---------------------------------------------------------------------------

_LETTERDASHNUMBER = "[a-zA-Z0-9-]"
_D = "[0-9]"  # JavaScript \d (ASCII only)


def _safe(value: str) -> str:
    for token, limit in ((r"\s", 1), (_D, MAX_LENGTH), (_LETTERDASHNUMBER, MAX_SAFE_BUILD_LENGTH)):
        value = value.replace(token + "*", "%s{0,%d}" % (token, limit))
        value = value.replace(token + "+", "%s{1,%d}" % (token, limit))
    return value.replace("$", r"\Z")


_src: dict = {}


def _tok(name: str, value: str) -> str:
    _src[name] = value
    return value


_tok("NUMERICIDENTIFIER", "0|[1-9]" + _D + "*")
_tok("NUMERICIDENTIFIERLOOSE", _D + "+")
_tok("NONNUMERICIDENTIFIER", _D + "*[a-zA-Z-]" + _LETTERDASHNUMBER + "*")
_tok(
    "MAINVERSION",
    r"({0})\.({0})\.({0})".format(_src["NUMERICIDENTIFIER"]),
)
_tok(
    "MAINVERSIONLOOSE",
    r"({0})\.({0})\.({0})".format(_src["NUMERICIDENTIFIERLOOSE"]),
)
_tok(
    "PRERELEASEIDENTIFIER",
    "(?:%s|%s)" % (_src["NONNUMERICIDENTIFIER"], _src["NUMERICIDENTIFIER"]),
)
_tok(
    "PRERELEASEIDENTIFIERLOOSE",
    "(?:%s|%s)" % (_src["NONNUMERICIDENTIFIER"], _src["NUMERICIDENTIFIERLOOSE"]),
)
_tok("PRERELEASE", r"(?:-({0}(?:\.{0})*))".format(_src["PRERELEASEIDENTIFIER"]))
_tok("PRERELEASELOOSE", r"(?:-?({0}(?:\.{0})*))".format(_src["PRERELEASEIDENTIFIERLOOSE"]))
_tok("BUILDIDENTIFIER", _LETTERDASHNUMBER + "+")
_tok("BUILD", r"(?:\+({0}(?:\.{0})*))".format(_src["BUILDIDENTIFIER"]))
_tok("FULLPLAIN", "v?%s%s?%s?" % (_src["MAINVERSION"], _src["PRERELEASE"], _src["BUILD"]))
_tok("FULL", "^%s$" % _src["FULLPLAIN"])
_tok(
    "LOOSEPLAIN",
    r"[v=\s]*%s%s?%s?" % (_src["MAINVERSIONLOOSE"], _src["PRERELEASELOOSE"], _src["BUILD"]),
)
_tok("LOOSE", "^%s$" % _src["LOOSEPLAIN"])
_tok("GTLT", "((?:<|>)?=?)")
_tok("XRANGEIDENTIFIERLOOSE", r"%s|x|X|\*" % _src["NUMERICIDENTIFIERLOOSE"])
_tok("XRANGEIDENTIFIER", r"%s|x|X|\*" % _src["NUMERICIDENTIFIER"])
for _name, _id, _pre in (
    ("XRANGEPLAIN", "XRANGEIDENTIFIER", "PRERELEASE"),
    ("XRANGEPLAINLOOSE", "XRANGEIDENTIFIERLOOSE", "PRERELEASELOOSE"),
):
    _tok(
        _name,
        r"[v=\s]*({0})(?:\.({0})(?:\.({0})(?:{1})?{2}?)?)?".format(
            _src[_id], _src[_pre], _src["BUILD"]
        ),
    )
_tok("XRANGE", r"^%s\s*%s$" % (_src["GTLT"], _src["XRANGEPLAIN"]))
_tok("XRANGELOOSE", r"^%s\s*%s$" % (_src["GTLT"], _src["XRANGEPLAINLOOSE"]))
_tok("LONETILDE", "(?:~>?)")
_tok("TILDETRIM", r"(\s*)%s\s+" % _src["LONETILDE"])
_tok("TILDE", "^%s%s$" % (_src["LONETILDE"], _src["XRANGEPLAIN"]))
_tok("TILDELOOSE", "^%s%s$" % (_src["LONETILDE"], _src["XRANGEPLAINLOOSE"]))
_tok("LONECARET", r"(?:\^)")
_tok("CARETTRIM", r"(\s*)%s\s+" % _src["LONECARET"])
_tok("CARET", "^%s%s$" % (_src["LONECARET"], _src["XRANGEPLAIN"]))
_tok("CARETLOOSE", "^%s%s$" % (_src["LONECARET"], _src["XRANGEPLAINLOOSE"]))
_tok("COMPARATORLOOSE", r"^%s\s*(%s)$|^$" % (_src["GTLT"], _src["LOOSEPLAIN"]))
_tok("COMPARATOR", r"^%s\s*(%s)$|^$" % (_src["GTLT"], _src["FULLPLAIN"]))
_tok(
    "COMPARATORTRIM",
    r"(\s*)%s\s*(%s|%s)" % (_src["GTLT"], _src["LOOSEPLAIN"], _src["XRANGEPLAIN"]),
)
_tok(
    "HYPHENRANGE",
    r"^\s*(%s)\s+-\s+(%s)\s*$" % (_src["XRANGEPLAIN"], _src["XRANGEPLAIN"]),
)
_tok(
    "HYPHENRANGELOOSE",
    r"^\s*(%s)\s+-\s+(%s)\s*$" % (_src["XRANGEPLAINLOOSE"], _src["XRANGEPLAINLOOSE"]),
)
_tok("STAR", r"(<|>)?=?\s*\*")
_tok("GTE0", r"^\s*>=\s*0\.0\.0\s*$")
_tok("GTE0PRE", r"^\s*>=\s*0\.0\.0-0\s*$")

_RE = {name: re.compile(_safe(value)) for name, value in _src.items()}
_NUMERIC = re.compile(r"[0-9]+\Z")
_WS = re.compile(r"\s+")

# ---------------------------------------------------------------------------
# SemVer (classes/semver.js)
# ---------------------------------------------------------------------------

Identifier = Union[int, str]


class SemVer(NamedTuple):
    major: int
    minor: int
    patch: int
    prerelease: Tuple[Identifier, ...]
    build: Tuple[str, ...]

    @property
    def version(self) -> str:
        """Normalized form, without build metadata (like node-semver's ``.version``)."""
        base = "%d.%d.%d" % (self.major, self.minor, self.patch)
        if self.prerelease:
            base += "-" + ".".join(str(i) for i in self.prerelease)
        return base

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.version


def _identifier(ident: str) -> Identifier:
    if _NUMERIC.match(ident):
        num = int(ident)
        if num < MAX_SAFE_INTEGER:
            return num
    return ident


@functools.lru_cache(maxsize=65536)
def parse(version: str, loose: bool = False) -> Optional[SemVer]:
    """``new SemVer(version, {loose})``; ``None`` where node-semver throws."""
    if not isinstance(version, str) or len(version) > MAX_LENGTH:
        return None
    m = _RE["LOOSE" if loose else "FULL"].match(version.strip())
    if not m:
        return None
    major, minor, patch = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if major > MAX_SAFE_INTEGER or minor > MAX_SAFE_INTEGER or patch > MAX_SAFE_INTEGER:
        return None
    pre = m.group(4)
    prerelease = tuple(_identifier(i) for i in pre.split(".")) if pre else ()
    build = m.group(5)
    return SemVer(major, minor, patch, prerelease, tuple(build.split(".")) if build else ())


def valid(version: str, loose: bool = False) -> bool:
    """``semver.valid(version) !== null``."""
    return parse(version, loose) is not None


def _compare_identifiers(a: Identifier, b: Identifier) -> int:
    anum = isinstance(a, int) or bool(_NUMERIC.match(a))
    bnum = isinstance(b, int) or bool(_NUMERIC.match(b))
    if anum and bnum:
        a, b = int(a), int(b)
    if a == b:
        return 0
    if anum and not bnum:
        return -1
    if bnum and not anum:
        return 1
    return -1 if a < b else 1  # type: ignore[operator]


def _compare_semver(a: SemVer, b: SemVer) -> int:
    """SemVer.compare: main triple, then prerelease; build metadata ignored."""
    if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch):
        return -1 if (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) else 1
    if a.prerelease and not b.prerelease:
        return -1
    if not a.prerelease and b.prerelease:
        return 1
    for x, y in zip(a.prerelease, b.prerelease):
        if x == y:
            continue
        return _compare_identifiers(x, y)
    return (len(a.prerelease) > len(b.prerelease)) - (len(a.prerelease) < len(b.prerelease))


def compare(a: str, b: str, loose: bool = False) -> int:
    """``semver.compare(a, b, loose)``; raises ``ValueError`` for invalid versions
    (where node-semver throws ``TypeError``)."""
    va, vb = parse(a, loose), parse(b, loose)
    if va is None or vb is None:
        raise ValueError("invalid version: %r" % (a if va is None else b))
    return _compare_semver(va, vb)


# ---------------------------------------------------------------------------
# Comparator (classes/comparator.js)
# ---------------------------------------------------------------------------


class _Comparator:
    __slots__ = ("operator", "semver", "value")

    def __init__(self, comp: str, loose: bool) -> None:
        comp = " ".join(comp.split())
        m = _RE["COMPARATORLOOSE" if loose else "COMPARATOR"].match(comp)
        if not m:
            raise ValueError("Invalid comparator: %s" % comp)
        op = m.group(1) or ""
        self.operator = "" if op == "=" else op
        if not m.group(2):
            self.semver: Optional[SemVer] = None  # ANY
            self.value = ""
        else:
            sv = parse(m.group(2), loose)
            if sv is None:
                raise ValueError("Invalid version: %s" % m.group(2))
            self.semver = sv
            self.value = self.operator + sv.version

    def test(self, version: SemVer) -> bool:
        if self.semver is None:
            return True
        c = _compare_semver(version, self.semver)
        op = self.operator
        if op == "":
            return c == 0
        if op == ">":
            return c > 0
        if op == ">=":
            return c >= 0
        if op == "<":
            return c < 0
        return c <= 0  # "<="


# ---------------------------------------------------------------------------
# Range (classes/range.js)
# ---------------------------------------------------------------------------


def _is_x(ident: Optional[str]) -> bool:
    return not ident or ident.lower() == "x" or ident == "*"


def _replace_tilde(comp: str, loose: bool, incpr: bool) -> str:
    # npm/node-semver#878: open forms (~1, ~1.2) start at -0 with
    # includePrerelease, like the equivalent x-ranges; ~1.2.3 does not.
    z = "-0" if incpr else ""

    def repl(m: "re.Match[str]") -> str:
        M, mi, p, pr = m.group(1), m.group(2), m.group(3), m.group(4)
        if _is_x(M):
            return ""
        if _is_x(mi):
            return ">=%s.0.0%s <%d.0.0-0" % (M, z, int(M) + 1)
        if _is_x(p):
            return ">=%s.%s.0%s <%s.%d.0-0" % (M, mi, z, M, int(mi) + 1)
        if pr:
            return ">=%s.%s.%s-%s <%s.%d.0-0" % (M, mi, p, pr, M, int(mi) + 1)
        return ">=%s.%s.%s <%s.%d.0-0" % (M, mi, p, M, int(mi) + 1)

    return _RE["TILDELOOSE" if loose else "TILDE"].sub(repl, comp, count=1)


def _replace_caret(comp: str, loose: bool, incpr: bool) -> str:
    z = "-0" if incpr else ""

    def repl(m: "re.Match[str]") -> str:
        M, mi, p, pr = m.group(1), m.group(2), m.group(3), m.group(4)
        if _is_x(M):
            return ""
        if _is_x(mi):
            return ">=%s.0.0%s <%d.0.0-0" % (M, z, int(M) + 1)
        if _is_x(p):
            if M == "0":
                return ">=%s.%s.0%s <%s.%d.0-0" % (M, mi, z, M, int(mi) + 1)
            return ">=%s.%s.0%s <%d.0.0-0" % (M, mi, z, int(M) + 1)
        if pr:
            if M == "0":
                if mi == "0":
                    return ">=%s.%s.%s-%s <%s.%s.%d-0" % (M, mi, p, pr, M, mi, int(p) + 1)
                return ">=%s.%s.%s-%s <%s.%d.0-0" % (M, mi, p, pr, M, int(mi) + 1)
            return ">=%s.%s.%s-%s <%d.0.0-0" % (M, mi, p, pr, int(M) + 1)
        # npm/node-semver#872: an exact ^0.x.y keeps its lower bound at
        # the release, like ^1.2.3, even with includePrerelease.
        if M == "0":
            if mi == "0":
                return ">=%s.%s.%s <%s.%s.%d-0" % (M, mi, p, M, mi, int(p) + 1)
            return ">=%s.%s.%s <%s.%d.0-0" % (M, mi, p, M, int(mi) + 1)
        return ">=%s.%s.%s <%d.0.0-0" % (M, mi, p, int(M) + 1)

    return _RE["CARETLOOSE" if loose else "CARET"].sub(repl, comp, count=1)


def _replace_xrange(comp: str, loose: bool, incpr: bool) -> str:
    comp = comp.strip()

    def repl(m: "re.Match[str]") -> str:
        ret = m.group(0)
        gtlt, M, mi, p = m.group(1), m.group(2), m.group(3), m.group(4)
        xM = _is_x(M)
        xm = xM or _is_x(mi)
        xp = xm or _is_x(p)
        any_x = xp
        if gtlt == "=" and any_x:
            gtlt = ""
        pr = "-0" if incpr else ""
        if xM:
            return "<0.0.0-0" if gtlt in (">", "<") else "*"
        if gtlt and any_x:
            if xm:
                mi = "0"
            p = "0"
            if gtlt == ">":
                gtlt = ">="
                if xm:
                    M, mi, p = str(int(M) + 1), "0", "0"
                else:
                    mi, p = str(int(mi) + 1), "0"
            elif gtlt == "<=":
                gtlt = "<"
                if xm:
                    M = str(int(M) + 1)
                else:
                    mi = str(int(mi) + 1)
            if gtlt == "<":
                pr = "-0"
            return "%s%s.%s.%s%s" % (gtlt, M, mi, p, pr)
        if xm:
            return ">=%s.0.0%s <%d.0.0-0" % (M, pr, int(M) + 1)
        if xp:
            return ">=%s.%s.0%s <%s.%d.0-0" % (M, mi, pr, M, int(mi) + 1)
        return ret

    return _RE["XRANGELOOSE" if loose else "XRANGE"].sub(repl, comp, count=1)


def _parse_comparator(comp: str, loose: bool, incpr: bool) -> str:
    comp = _RE["BUILD"].sub("", comp, count=1)
    comp = " ".join(_replace_caret(c, loose, incpr) for c in comp.strip().split())
    comp = " ".join(_replace_tilde(c, loose, incpr) for c in comp.strip().split())
    comp = " ".join(_replace_xrange(c, loose, incpr) for c in _WS.split(comp))
    return _RE["STAR"].sub("", comp.strip(), count=1)


def _hyphen_replace(incpr: bool):
    def repl(m: "re.Match[str]") -> str:
        frm, fM, fm, fp, fpr = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
        to, tM, tm, tp, tpr = m.group(7), m.group(8), m.group(9), m.group(10), m.group(11)
        z = "-0" if incpr else ""
        if _is_x(fM):
            frm = ""
        elif _is_x(fm):
            frm = ">=%s.0.0%s" % (fM, z)
        elif _is_x(fp):
            frm = ">=%s.%s.0%s" % (fM, fm, z)
        elif fpr:
            frm = ">=" + frm
        else:
            frm = ">=%s%s" % (frm, z)
        if _is_x(tM):
            to = ""
        elif _is_x(tm):
            to = "<%d.0.0-0" % (int(tM) + 1)
        elif _is_x(tp):
            to = "<%s.%d.0-0" % (tM, int(tm) + 1)
        elif tpr:
            to = "<=%s.%s.%s-%s" % (tM, tm, tp, tpr)
        elif incpr:
            to = "<%s.%s.%d-0" % (tM, tm, int(tp) + 1)
        else:
            to = "<=" + to
        return ("%s %s" % (frm, to)).strip()

    return repl


def _parse_range(rng: str, loose: bool, incpr: bool) -> Tuple[_Comparator, ...]:
    rng = _RE["HYPHENRANGELOOSE" if loose else "HYPHENRANGE"].sub(_hyphen_replace(incpr), rng, count=1)
    rng = _RE["COMPARATORTRIM"].sub(lambda m: (m.group(1) or "") + (m.group(2) or "") + (m.group(3) or ""), rng)
    rng = _RE["TILDETRIM"].sub(lambda m: (m.group(1) or "") + "~", rng)
    rng = _RE["CARETTRIM"].sub(lambda m: (m.group(1) or "") + "^", rng)
    comps = _WS.split(" ".join(_parse_comparator(c, loose, incpr) for c in rng.split(" ")))
    gte0 = _RE["GTE0PRE" if incpr else "GTE0"]
    comps = [gte0.sub("", c.strip(), count=1) for c in comps]
    if loose:
        comps = [c for c in comps if _RE["COMPARATORLOOSE"].match(c)]
    seen: dict = {}
    for c in comps:
        comparator = _Comparator(c, loose)
        if comparator.value == "<0.0.0-0":  # null set
            return (comparator,)
        seen[comparator.value] = comparator
    if len(seen) > 1 and "" in seen:
        del seen[""]
    return tuple(seen.values())


@functools.lru_cache(maxsize=4096)
def _range(rng: str, loose: bool, incpr: bool) -> Optional[Tuple[Tuple[_Comparator, ...], ...]]:
    """``new Range(rng, options).set``; ``None`` where node-semver throws."""
    try:
        raw = _WS.sub(" ", rng.strip())
        sets = [s for s in (_parse_range(r.strip(), loose, incpr) for r in raw.split("||")) if s]
    except ValueError:
        return None
    if not sets:
        return None
    if len(sets) > 1:
        first = sets[0]
        sets = [s for s in sets if s[0].value != "<0.0.0-0"]
        if not sets:
            sets = [first]
        elif len(sets) > 1:
            for s in sets:
                if len(s) == 1 and s[0].value == "":
                    sets = [s]
                    break
    return tuple(sets)


def _test_set(comparators: Tuple[_Comparator, ...], version: SemVer, incpr: bool) -> bool:
    for c in comparators:
        if not c.test(version):
            return False
    if version.prerelease and not incpr:
        # A prerelease only satisfies the set if some comparator carries a
        # prerelease on the same [major, minor, patch] tuple.
        for c in comparators:
            sv = c.semver
            if sv is None:
                continue
            if sv.prerelease and (sv.major, sv.minor, sv.patch) == (
                version.major,
                version.minor,
                version.patch,
            ):
                return True
        return False
    return True


def satisfies(
    version: str,
    range_string: str,
    loose: bool = False,
    include_prerelease: bool = False,
) -> bool:
    """``semver.satisfies(version, range, {loose, includePrerelease})``.

    Returns ``False`` (never raises) for an invalid version or range.
    """
    if not version or not isinstance(version, str) or not isinstance(range_string, str):
        return False
    loose, incpr = bool(loose), bool(include_prerelease)
    sets = _range(range_string, loose, incpr)
    if sets is None:
        return False
    sv = parse(version, loose)
    if sv is None:
        return False
    return any(_test_set(s, sv, incpr) for s in sets)
