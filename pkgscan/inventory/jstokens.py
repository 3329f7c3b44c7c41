"""A JavaScript token stream that survives esbuild's reprinting, and its hash.

esbuild reprints every module it bundles without minifying: comments go, quotes and escapes are
rewritten, numbers are printed in their shortest form (``1000`` -> ``1e3``), parentheses, semicolons
and trailing commas are added or dropped, ``require("./x")`` becomes ``require_x()`` and names that
collide in the bundle get a number (``module`` -> ``module2``).  The names, keywords, operators and
literal values of the program survive.  :func:`fingerprint` reduces a module to those, so the same
release file gives the same hash in its tarball and in a bundle (``tools/make_js_release_tokens.py``
hashes every file of every release with it).

Reading only: the text is scanned, never evaluated.  Bounded: at most ``MAX_TOKENS`` tokens are read
(a region with more gives no fingerprint), and every scan step consumes input.
"""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache

HASH_HEX = 12
MAX_TOKENS = 400_000
MAX_LEGAL = 64  # kept comments collected per text
#: the longest regular expression literal looked for (a "/" with no end within it is a division),
#: and how many such unended ones are looked at before every further "/" is taken as a division
MAX_REGEX = 4096
MAX_REGEX_MISSES = 256

_TOKEN = re.compile(r"""
 (?P<lc>//[^\n\r\u2028\u2029]*)
|(?P<bc>/\*[\s\S]*?(?:\*/|\Z))
|(?P<id>(?:[A-Za-z_$]|(?![\s\ufeff])[\u0080-\uffff]|\\u[0-9a-fA-F{])(?:[\w$]|(?![\s\ufeff])[\u0080-\uffff]|\\u[0-9a-fA-F{}]+)*)
|(?P<num>0[xX][0-9a-fA-F_]+n?|0[oO][0-7_]+n?|0[bB][01_]+n?|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?n?)
|(?P<str>"(?:[^"\\\n]|\\[\s\S])*"|'(?:[^'\\\n]|\\[\s\S])*')
|(?P<tpl>`)
|(?P<punc>>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\||\?\?|\?\.(?!\d)|\+\+|--|\+=|-=|\*=|/=|%=|&=|\|=|\^=|<<|>>|\*\*|[{}()\[\];,<>+\-*/%&|^!~?:=.@#])
""", re.X)
_REGEX_BODY = re.compile(r"(?:[^\\/\[\n\r]|\\[^\n\r]|\[(?:[^\]\\\n\r]|\\[^\n\r])*\])+/[\w$]*")
_TPL_CHUNK = re.compile(r"(?:[^`\\$]|\\[\s\S]|\$(?!\{))*")
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{1,3}|\r\n|[\s\S])")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_IDENT = re.compile(r"[A-Za-z_$][\w$]*\Z")
_DIGITS = re.compile(r"(?<=[A-Za-z_$])\d+\Z")
#: after these the next "/" starts a regular expression, not a division
_BEFORE_REGEX = frozenset(
    "return typeof instanceof in of new delete void throw case do else yield await".split())
#: operators around a string that keep "a" + "b" from being folded
_TIGHTER_BEFORE = frozenset("* / % ** ++ -- - ! ~ typeof void await delete".split())
_TIGHTER_AFTER = frozenset("* / % ** . [ ( ?. ++ --".split())
_DECLARATIONS = frozenset(("var", "let", "const"))
#: names _normal looks at more closely
_SPECIAL = _DECLARATIONS | {"void", "require", "__require", "__toESM", "__toCommonJS", "class"}
#: punctuation esbuild adds or drops when it reprints
_DROPPED = frozenset("; , ( ) { } [ ] .".split())


def _unescape(body: str) -> str:
    def one(m: re.Match) -> str:
        e = m.group(1)
        if e[0] == "u" and len(e) > 1:
            code = int(e[2:-1] if e[1] == "{" else e[1:], 16)
            return chr(code) if code <= 0x10FFFF else ""
        if e[0] == "x" and len(e) > 1:
            return chr(int(e[1:], 16))
        if e[0] in "01234567":
            return chr(int(e, 8) & 0xFF)
        if e in ("\n", "\r\n", "\r", "\u2028", "\u2029"):
            return ""
        return _SIMPLE.get(e, e)
    return _ESCAPE.sub(one, body) if "\\" in body else body


def _number(text: str) -> str:
    t = text.replace("_", "")
    try:
        if t.endswith("n"):
            return "n:" + str(int(t[:-1], 0))
        if t[:2].lower() in ("0x", "0o", "0b"):
            return "n:" + str(int(t, 0))
        if len(t) > 1 and t[0] == "0" and t.isdigit():  # legacy octal
            return "n:" + str(int(t, 8) if set(t) <= set("01234567") else int(t))
        value = float(t)
        return "n:" + (str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value))
    except (ValueError, OverflowError):
        return "n:" + t


def is_legal(comment: str) -> bool:
    """A comment esbuild keeps (``/*!``, ``//!``, ``@license``, ``@preserve``)."""
    return comment.startswith(("/*!", "//!")) or "@license" in comment or "@preserve" in comment


def legal_key(comment: str) -> str:
    """The key of a kept comment, the same in the release's file (``/*! x */``, ``//! x``) and in
    esbuild's end-of-file block (``(*! x *)``, its lines re-indented): "!" and 12 hex digits."""
    body = comment[2:]
    if comment.startswith(("/*", "(*")) and comment.endswith(("*/", "*)")):
        body = comment[2:-2]
    body = " ".join(body.replace("*", " ").replace("!", " ").split())
    return "!" + hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_HEX]


def tokens(text: str, legal: list[str] | None = None) -> list[tuple[str, str]] | None:
    """(kind, value) of every significant token: kinds id, str, tpl (a template's first text part),
    tplc (a text part after a substitution), num, re and p (punctuation; ``${`` opens a
    substitution).  None when the text has more than MAX_TOKENS tokens.  Characters no token starts
    with are skipped."""
    out: list[tuple[str, str]] = []
    append = out.append
    braces: list[bool] = []  # True: the "{" of a template's "${"
    pos, n = 0, len(text)
    if text.startswith("#!"):
        pos = text.find("\n") if "\n" in text else n
    misses = 0
    while pos < n:
        restart = -1
        # one search runs over the ordinary tokens (whitespace skipped in C); a regular expression
        # literal or a template's text starts a new one after it
        for m in _TOKEN.finditer(text, pos):
            kind = m.lastgroup
            if kind == "lc" or kind == "bc":
                if legal is not None and len(legal) < MAX_LEGAL and is_legal(m.group()):
                    legal.append(m.group())
                continue
            if len(out) > MAX_TOKENS:
                return None
            tok = m.group()
            if kind == "punc":
                if tok[0] == "/" and (tok == "/" or tok == "/=") and misses < MAX_REGEX_MISSES:
                    prev = out[-1] if out else None
                    if prev is None or (prev[0] == "p" and prev[1] not in (")", "]")) or \
                            (prev[0] == "id" and prev[1] in _BEFORE_REGEX):
                        at = m.start()
                        r = _REGEX_BODY.match(text, at + 1, min(n, at + 1 + MAX_REGEX))
                        if r is not None:
                            append(("re", text[at:r.end()]))
                            restart = r.end()
                            break
                        misses += 1
                elif tok == "{":
                    braces.append(False)
                elif tok == "}" and braces:
                    if braces.pop():  # the end of a template's substitution: its text goes on
                        restart = _template(text, m.end(), "tplc", out, braces)
                        break
                append(("p", tok))
            elif kind == "id":
                append(("id", _unescape(tok) if "\\" in tok else tok))
            elif kind == "str":
                append(("str", _unescape(tok[1:-1])))
            elif kind == "num":
                append(("num", _number(tok)))
            else:  # tpl: a backquote
                restart = _template(text, m.end(), "tpl", out, braces)
                break
        if restart < 0:
            break
        pos = restart
    return out


def _template(text: str, pos: int, kind: str, out: list, braces: list[bool]) -> int:
    """Read a template's text from pos (after "`" or a substitution's "}"); return where to go on."""
    c = _TPL_CHUNK.match(text, pos)
    out.append((kind, _unescape(c.group())))
    end = c.end()
    if text.startswith("${", end):
        braces.append(True)
        out.append(("p", "${"))
        return end + 2
    return end + 1  # the closing backquote (or the end of the text)


def _normal(toks: list[tuple[str, str]]) -> list[str]:
    """The tokens esbuild's reprinting keeps, in the form it keeps them."""
    toks = _fold(toks)
    out: list[str] = []
    i, n = 0, len(toks)
    while i < n:
        kind, v = toks[i]
        if kind == "id":
            if v not in _SPECIAL and not v.startswith(("require_", "init_")):
                name = _name(v)
                if name == "exports":  # esbuild writes a CommonJS module's top-level "this" as exports
                    name = "this"
                out.append(name)
                i += 1
                continue
            if v in _DECLARATIONS:  # esbuild splits "var a, b" and turns top-level const into var
                i += 1
                continue
            if v == "void" and i + 1 < n and toks[i + 1] in (("num", "n:0"), ("id", "undefined")):
                out.append("undefined")
                i += 2
                continue
            if v in ("require", "__require") and i + 3 < n and toks[i + 1] == ("p", "(") and \
                    toks[i + 2][0] == "str" and toks[i + 3] == ("p", ")"):
                out.append("REQ")
                i += 4
                continue
            if v.startswith(("require_", "init_")) and i + 2 < n and toks[i + 1] == ("p", "(") and \
                    toks[i + 2] == ("p", ")"):
                if v.startswith("require_"):
                    out.append("REQ")
                i += 3
                continue
            if v in ("__toESM", "__toCommonJS"):
                i += 1
                continue
            v = _name(v)
            if v == "exports":  # esbuild writes a CommonJS module's top-level "this" as exports
                v = "this"
            elif v == "class" and i + 1 < n and toks[i + 1][0] == "id" and len(out) >= 2 and \
                    out[-1] == "=" and out[-2] == _name(toks[i + 1][1]):
                del out[-2:]  # a top-level "class A {}" is printed "var A = class _A {}"
            out.append(v)
        elif kind == "str" or (kind == "tpl" and (i + 1 == n or toks[i + 1] != ("p", "${"))):
            # a template without substitutions is a string to esbuild (it picks the quotes)
            if v == "use strict":
                pass
            elif _IDENT.match(v):
                out.append(v)
            else:
                out.append("s:" + v)
        elif kind == "p":
            if v not in _DROPPED:
                out.append(v)
        elif kind in ("tpl", "tplc"):
            out.append("t:" + v)
        elif kind == "num":
            out.append(v)
        else:
            out.append("r:" + v)
        i += 1
    return out




@lru_cache(maxsize=1 << 16)
def _name(v: str) -> str:
    """A name as esbuild may rename it: ``module2``, ``_Blob`` (both sides get the same)."""
    v = _DIGITS.sub("", v)
    return v[1:] if v.startswith("_") and len(v) > 1 and v != "__proto__" else v


def _fold(toks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What esbuild folds even when it does not minify: ``"a" + "b"`` is ``"ab"``, and an object's
    ``{ name: name }`` is ``{ name }``."""
    out: list[tuple[str, str]] = []
    n = len(toks)
    i = 0
    while i < n:
        t = toks[i]
        kind = t[0]
        if kind == "p":
            if t[1] == "+" and i + 1 < n and (toks[i + 1][0] == "num" or toks[i + 1] == ("id", "Infinity")) and \
                    (not out or (out[-1][0] == "p" and out[-1][1] not in (")", "]", "}")) or
                     (out[-1][0] == "id" and out[-1][1] in _BEFORE_REGEX)):
                i += 1  # "+1" and "+Infinity" are printed without the sign
                continue
        elif kind == "id":
            if t[1] in _DECLARATIONS:
                j = i + 1
                while j + 1 < n and toks[j][0] == "id" and toks[j + 1] == ("p", ","):
                    j += 2
                if j < n and toks[j][0] == "id" and (j + 1 == n or (
                        toks[j + 1] != ("p", "=") and toks[j + 1] not in (("id", "in"), ("id", "of")))):
                    # "var a, b;": esbuild moves such declarations (a for loop's "var i")
                    i = j + 2 if j + 1 < n and toks[j + 1] == ("p", ";") else j + 1
                    continue
            elif i + 3 < n and toks[i + 1] == ("p", ":") and toks[i + 2][0] == "id" and \
                    _name(toks[i + 2][1]) == _name(t[1]) and out and out[-1] in (("p", "{"), ("p", ",")) and \
                    toks[i + 3] in (("p", ","), ("p", "}")):
                out.append(t)  # { name: name }, and { name: name2 } when esbuild renamed the binding
                i += 3
                continue
        elif kind == "str":
            if len(out) >= 2 and out[-1] == ("p", "+") and out[-2][0] == "str" and \
                    (len(out) < 3 or out[-3][0] not in ("p", "id") or out[-3][1] not in _TIGHTER_BEFORE) and \
                    (i + 1 == n or toks[i + 1][0] != "p" or toks[i + 1][1] not in _TIGHTER_AFTER):
                out.pop()
                out[-1] = ("str", out[-1][1] + t[1])
                i += 1
                continue
        out.append(t)
        i += 1
    return out


_WRAPPER_END = [("p", "}"), ("p", "}"), ("p", ")"), ("p", ";")]


def _unwrap(toks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A bundled module's own tokens: the body of esbuild's ``__commonJS``/``__esm`` wrapper
    (``var require_x = __commonJS({ "node_modules/x/index.js"(exports, module) { BODY } });``), or
    everything when the module is not wrapped."""
    n = len(toks)
    for i in range(min(n, 12)):
        if toks[i][0] == "id" and toks[i][1] in ("__commonJS", "__esm"):
            j = i + 1
            if toks[j:j + 2] != [("p", "("), ("p", "{")] or j + 2 >= n or toks[j + 2][0] != "str":
                break
            j += 3
            if j >= n or toks[j] != ("p", "("):
                break
            while j < n and toks[j] != ("p", ")"):
                j += 1
            if j + 1 >= n or toks[j + 1] != ("p", "{"):
                break
            start = j + 2
            if toks[-4:] == _WRAPPER_END:  # "} });": the region is the wrapped module and nothing else
                return toks[start:n - 4]
            depth, k = 1, start
            while k < n:
                t = toks[k]
                if t[0] == "p":
                    if t[1] == "{":  # a "${" closes without a "}" token
                        depth += 1
                    elif t[1] == "}":
                        depth -= 1
                        if depth == 0:
                            return toks[start:k]
                k += 1
            break
    return toks


def fingerprint(text: str, bundled: bool = False, legal: list[str] | None = None) -> str | None:
    """The hash of ``text``'s reprint-proof token stream (of the wrapped body when ``bundled``), or
    None for text with no tokens or too many.  ``legal``, when given, receives its kept comments."""
    toks = tokens(text, legal)
    if not toks:
        return None
    if bundled:
        toks = _unwrap(toks)
    norm = _normal(toks)
    if not norm:
        return None
    return hashlib.sha256("\x00".join(norm).encode("utf-8", "surrogatepass")).hexdigest()[:HASH_HEX]
