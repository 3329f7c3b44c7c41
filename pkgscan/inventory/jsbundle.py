"""JavaScript bundles: the npm packages inside a file that esbuild, webpack, rollup or ncc made.

A bundle has no ``node_modules`` and no ``package.json``: what it holds is told by what the bundler
left behind.  Each technique below is evidence with a confidence (CycloneDX ``evidence.identity``):

* esbuild's module path comments in non-minified output (``// node_modules/lodash/lodash.js``) and
  webpack's development-mode module keys (``"./node_modules/lodash/lodash.js":``): the package's
  name, and the byte range of each module (which is what the coverage figures count); the token
  fingerprint of each reprinted module, compared with every release's files, names the release
  (:class:`pkgscan.inventory.jsreleases.TokenMatch`; the comments esbuild keeps settle releases whose
  code is the same), else its string literals narrow it (``LiteralMatch``);
* source maps beside the bundle or inline (``sources`` under ``node_modules/<pkg>/``; the
  ``sourcesContent`` of each is searched for its version, and compared with the files of every
  release of the package, :mod:`pkgscan.inventory.jsreleases`);
* esbuild's legal-comments block (``lodash/lodash.js:`` followed by the kept comment) and webpack's
  ``*.LICENSE.txt`` extraction file;
* package.json objects the bundler inlined (``{name:"axios",version:"0.21.0",...}``);
* version strings a package writes in its own code (``var VERSION = '4.17.15'``) and license
  banners (``/*! name v1.2.3``), read only inside that package's own modules;
* retire.js's signatures (``pkgscan/data/retirejs-extractors.json``, data only;
  :mod:`pkgscan.inventory.jssignatures`);
* releases whose bundled code is identical are narrowed by the dependency ranges of the packages
  bundled with them (``jsonwebtoken`` 8.5.x requires ``jws ^3.2.2``: of jws 3.2.3 and 4.0.1, 3.2.3).

A name found without a version is still a component (version ``""``, the evidence says why): a
version is never guessed.  Everything is bounded: the text read is capped, every regular
expression runs only in windows around a literal anchor, a source map's sources are capped.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field

from ..archive import Tree
from ..ecosystems import valid_npm_name
from ..errors import EntryError
from ..model import NPM, Evidence, Notice
from .base import CatalogResult, Installed, decode_text, dirname, scrub
from .jssignatures import file_signatures, fingerprints, known_names, run_signatures, signatures  # noqa: F401
from .jsreleases import SHOWN_CANDIDATES, LiteralMatch, ReleaseMatch, TokenMatch, required_by

#: smaller files are not read (nothing bundled fits), unless a source map sits beside them
MIN_BUNDLE = 2048
#: string-literal fingerprints only for files this large (a bundle, not a module of the app's own)
MIN_FINGERPRINT = 16 * 1024
#: the most of one bundle that is analysed (a larger one: its first MAX_BUNDLE bytes, with a notice)
MAX_BUNDLE = 48 * 1024 * 1024
MAX_MAP = 64 * 1024 * 1024
MAX_LICENSE_TXT = 4 * 1024 * 1024
#: source-map sources looked at (a map with more: the first ones, with a notice)
MAX_SOURCES = 200_000
#: sourcesContent bytes searched for versions per package
MAX_CONTENT_PER_PACKAGE = 2 * 1024 * 1024
#: the most text retire.js signatures search (a larger bundle: its first and last halves of it)
SIGNATURE_SPAN = 8 * 1024 * 1024

CONF_PATH = 0.9  # the bundler wrote the module path: the package is in the bundle
CONF_MAP = 0.9
CONF_HASH = 0.95  # a module's original text is byte for byte that of one published release
CONF_LEGAL = 0.85
CONF_PKG_JSON = 0.8  # an inlined package.json object (another package's could be inlined too)
CONF_SIGNATURE = 0.7
CONF_TOKENS = 0.9  # a reprinted module's tokens are those of one published release's file
CONF_DEPENDENTS = 0.8  # of a package's identical releases, the only one its bundled dependents accept
CONF_LITERALS = 0.65  # the string literals of reprinted modules fit one release only
CONF_BANNER = 0.6
CONF_FINGERPRINT = 0.5  # string literals only that package has (in the fingerprinted set)
_LITERAL = re.compile(r"\"((?:[^\"\\\n]|\\.){0,2000})\"|'((?:[^'\\\n]|\\.){0,2000})'|`((?:[^`\\]|\\.){0,2000})`")
_LITERAL_B = re.compile(_LITERAL.pattern.encode())

_NM = re.compile(r"(?<![^/])node_modules/((?:@[^/\s\"']+/)?[^/\s\"']+)/")  # at the start or after a '/' 
_ESBUILD_COMMENT = re.compile(rb"^// ([^\n]{1,400})\n", re.M)
_WEBPACK_KEY = re.compile(rb'^/\*\*\*/ "(\./[^"\n]{1,400})":', re.M)
_URL_CHARS = re.compile(r"[^\s'\"*]*")
_VERSION = r"(\d{1,6}\.\d{1,6}\.\d{1,6}(?:-[0-9A-Za-z.-]{1,40})?)"
_PKG_JSON_NAME = re.compile(r'(?:\bname|"name")\s*:\s*"((?:@[a-z0-9][\w.-]{0,100}/)?[a-z0-9][\w.-]{0,100})"')
_PKG_JSON_VERSION = re.compile(r'(?:\bversion|"version")\s*:\s*"' + _VERSION + '"')
#: a package's version in its own code: ``VERSION = '4.17.15'``, ``VERSION: "..."``, ``exports.version = "..."``;
#: not a ``version: "..."`` key, which an inlined object of another library has (psl's dist file
#: carries punycode's ``version: "2.3.1"``)
_OWN_VERSION = re.compile(r"(?<![\w$.])(?:[\w$]{1,40}\.)?(?:VERSION\s*[=:]|version\s*=(?!=))\s*['\"]" + _VERSION + "['\"]")
_LEGAL_ENTRY = re.compile(r"^((?:@[\w.-]{1,100}/)?[\w.-]{1,100})/([^\s:]{1,300}):\n((?:[ \t]+[^\n]*(?:\n|$))*)", re.M)
_LEGAL_COMMENT = re.compile(r"\(\*[\s\S]*?\*\)")
_LEGAL_HEAD = re.compile(r"^((?:@[\w.-]{1,100}/)?[\w.-]{1,100})/[^\s:]{1,300}:$", re.M)
_BANNER = re.compile(r"(?:/\*[*!]|//!)[\s*!]*(?:@license\s+)?((?:@[\w.-]+/)?[A-Za-z][\w.-]{1,60})(?:\.js)?\s+v?" + _VERSION + r"\b")
_BANNER_VERSION_LINE = re.compile(r"(?:/\*[*!]|//!|\(\*!)\s*((?:@[\w.-]+/)?[A-Za-z][\w.-]{1,60}?)(?:\.js)?\s*(?:\*\)|\*/)?\s*\n\s*(?:/\*!|//!|\(\*!)\s*version\s*:\s*" + _VERSION)


_BANNER_NAME = re.compile(r"(?:/\*[*!]|//!)[ \t*!]*(?:\n[ \t*]*)?(?:@license[ \t]*(?:\n[ \t*]*)?)?"
                          r"((?:@[\w.-]{1,60}/)?[A-Za-z][\w.-]{1,60}?)(?=[\s.,:<(]|$)")


@dataclass
class _Pkg:
    name: str
    dirs: set[str] = field(default_factory=set)
    bytes: int = 0  # bundle bytes in this package's modules
    versions: dict[str, list[Evidence]] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    content: list[str] = field(default_factory=list)  # its own source text (modules or sourcesContent)
    candidates: tuple[str, ...] = ()  # releases its modules are identical in, when several
    copies: dict[str, list[Evidence]] = field(default_factory=dict)  # version -> evidence, one per copy's release

    def add_version(self, version: str, ev: Evidence) -> None:
        self.versions.setdefault(version, []).append(ev)


def package_of(module_path: str) -> tuple[str, str] | None:
    """'../node_modules/a/node_modules/@s/b/x.js' -> ('@s/b', '<...>/node_modules/@s/b'): the innermost."""
    last = None
    for m in _NM.finditer(module_path):
        last = m
    if last is None:
        return None
    name = last.group(1)
    if name.startswith(".") or not valid_npm_name(name):
        return None
    return name, module_path[: last.end() - 1]


def _pnpm_name(name: str, directory: str) -> str:
    return name


def _line_marks(data: bytes, head: bytes, rx: re.Pattern) -> list[re.Match]:
    """Matches of ``rx`` (anchored at a line start) at the lines that begin with ``head``: found with
    bytes.find, not by trying the regex at every position of a long minified line."""
    out = []
    pos = 0 if data.startswith(head) else data.find(b"\n" + head) + 1
    while pos > 0 or (pos == 0 and data.startswith(head)):
        m = rx.match(data, pos)
        if m is not None:
            out.append(m)
        nxt = data.find(b"\n" + head, pos + 1)
        if nxt < 0:
            break
        pos = nxt + 1
    return out


# ------------------------------------------------------------------------------ the cataloger
class JavaScriptBundleCataloger:
    name = "js-bundle"
    names: frozenset[str] = frozenset()
    suffixes = (".js", ".mjs", ".cjs", ".map", ".license.txt")

    def wants(self, path: str, basename: str) -> bool:
        # files of installed packages belong to those packages (the node cataloger's)
        return "node_modules/" not in path and not path.startswith("node_modules")

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        have = set(paths)
        for path in sorted(paths):
            low = path.lower()
            if low.endswith((".js", ".mjs", ".cjs")):
                self._by_file_name(tree, path, result)
                try:
                    self.bundle(tree, path, have, result)
                except (RecursionError, MemoryError, ValueError, KeyError, IndexError, UnicodeError, AttributeError,
                        TypeError) as exc:  # a safety net: a parser's slip costs this file's detail, never the scan
                    tree.notices.append(Notice("bundle-unreadable", path, f"bundle not fully analysed: {type(exc).__name__}"))

    @staticmethod
    def _by_file_name(tree: Tree, path: str, result: CatalogResult) -> None:
        """A library copied in under its release's file name (``jquery-3.4.1.min.js``): retire.js's
        ``filename`` extractors."""
        base = path[path.rfind("/") + 1:]
        for npm, rx in file_signatures()[0]:
            m = rx.match(base)
            if m is not None and m.groups() and m.group(1):
                version = m.group(1).removesuffix(".min").removesuffix("-min")
                where = tree.prefix + path
                result.installed.append(Installed(
                    ecosystem=NPM, name=npm, version=version, location=where, root=dirname(path),
                    evidence=(Evidence("filename", 0.6, where, "retire.js file name pattern"),),
                    properties=(("pkgscan:bundled-in", where),)))
                return

    # ------------------------------------------------------------------------------- one file
    def bundle(self, tree: Tree, path: str, have: set[str], result: CatalogResult) -> None:
        size = tree.size(path)
        if size < MIN_BUNDLE and path + ".map" not in have:
            return  # too small to hold a bundled library (a handler, a config): not read
        try:
            if size > MAX_BUNDLE:
                data = tree.read_head(path, MAX_BUNDLE)
                tree.notices.append(Notice("bundle-truncated", path, f"{size} bytes: only the first {MAX_BUNDLE} "
                                           "analysed; the rest counts as not attributed"))
            else:
                data = tree.read(path)
        except EntryError as exc:
            tree.notices.append(Notice(exc.code, path, str(exc), exc.suspicious))
            return
        pkgs: dict[str, _Pkg] = {}
        first_party = 0
        where = tree.prefix + path
        hashes = file_signatures()[1]
        if hashes and size <= MAX_BUNDLE:
            digest = hashlib.sha1(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")).hexdigest()
            if digest in hashes:
                npm, version = hashes[digest]
                p = pkgs.setdefault(npm, _Pkg(npm))
                ev = Evidence("hash-comparison", 0.95, where, "retire.js file hash (sha1)")
                p.evidence.append(ev)
                p.add_version(version, ev)
                p.bytes = size

        # 1. module boundaries written by the bundler (esbuild comments, webpack dev keys)
        marks = [(m.start(), m.group(1).decode("utf-8", "replace"), "esbuild path comment")
                 for m in _line_marks(data, b"// ", _ESBUILD_COMMENT) if self._module_like(m.group(1))]
        marks += [(m.start(), m.group(1).decode("utf-8", "replace"), "webpack module key")
                  for m in _line_marks(data, b'/***/ "./', _WEBPACK_KEY)]
        marks.sort()
        text = decode_text(data)
        tokens = TokenMatch()
        modules: dict[str, list[tuple[str, str]]] = {}  # package -> (file in it, bundled text)
        if marks:
            first_party += marks[0][0]  # the bundler's runtime helpers before the first module
            ends = [s for s, _, _ in marks[1:]] + [len(data)]
            for (start, mod, how), end in zip(marks, ends):
                hit = package_of(mod)
                if hit is None:
                    first_party += end - start
                    continue
                p = pkgs.setdefault(hit[0], _Pkg(hit[0]))
                if hit[1] not in p.dirs:
                    p.evidence.append(Evidence("source-code-analysis", CONF_PATH, where, f"{how}: {scrub(hit[1])}/"))
                p.dirs.add(hit[1])
                p.bytes += end - start
                region = data[start:end].decode("utf-8", "replace")
                p.content.append(region)
                in_package = mod[len(hit[1]) + 1:] if mod.startswith(hit[1] + "/") else ""
                tokens.add(hit[0], in_package, region, hit[1])
                modules.setdefault(hit[0], []).append((in_package, region))
                if mod.endswith("/package.json"):
                    self._pkg_json_version(p, region, where, "package.json inlined by the bundler", CONF_PATH)

        for pkg, in_package, comments in _legal_block(text) if marks else ():
            tokens.add_legal(pkg, in_package, comments)
        literals = LiteralMatch()  # only for the packages the token fingerprints say nothing about
        for name, p in pkgs.items():
            if len(p.dirs) > 1 and self._copies(p, tokens, where):
                continue
            if not self._token_verdict(p, tokens, where):
                for in_package, region in modules.get(name, ()):
                    literals.add(name, in_package, region)
                self._literal_verdict(p, literals, where)
        if tokens.limited:
            tree.notices.append(Notice("bundle-fingerprint-limited", path, "the bundled modules are larger than the "
                                       "token fingerprints compare; the rest are narrowed by their string literals only"))

        # 2. a source map beside the bundle or inline
        map_bytes = self._source_map(tree, path, text, have, pkgs, where)
        if map_bytes is not None and not marks:
            third, own = map_bytes
            total = third + own
            if total:
                share = min(len(data), len(data) * third // total)
                # bytes attributed in proportion to the original sources' sizes (the map's mappings
                # are not decoded): the packages' share of the bundle
                for p in pkgs.values():
                    p.bytes = share * p.bytes // third if third else 0
                first_party = len(data) - share

        # 3. esbuild's legal comments block, the LICENSE.txt file, banners
        for m in _LEGAL_HEAD.finditer(text[text.rfind("Bundled license information:"):] if "Bundled license information:" in text else ""):
            name = m.group(1)
            if valid_npm_name(name):
                p = pkgs.setdefault(name, _Pkg(name))
                p.evidence.append(Evidence("source-code-analysis", CONF_LEGAL, where, "esbuild legal comments: " + scrub(m.group(0))))
        lic = path + ".LICENSE.txt"
        lic_text = ""
        if lic in have:
            raw = tree.read_or_note(lic, MAX_LICENSE_TXT)
            if raw is not None:
                lic_text = decode_text(raw)
        self._banners(text, pkgs, where, bool(marks))
        if lic_text:
            self._banners(lic_text, pkgs, tree.prefix + lic, False)
            self._banner_names(lic_text, pkgs, tree.prefix + lic, "name in the bundler's extracted license comments")

        # 4. inlined package.json objects anywhere (minified bundles keep them whole)
        if not marks:
            self._pkg_json_objects(text, pkgs, where)

        # 4b. string-literal fingerprints, when nothing delimits the modules
        if not marks and map_bytes is None and size >= MIN_FINGERPRINT:
            self._fingerprints(data, pkgs, where)

        # 5. retire.js signatures: within each package's own text when the modules are known,
        #    else over the whole bundle
        if marks or map_bytes is not None:
            for p in pkgs.values():
                for npm, v, _ in run_signatures("\n".join(p.content)[: MAX_CONTENT_PER_PACKAGE]):
                    if npm == p.name:
                        p.add_version(v, Evidence("source-code-analysis", CONF_SIGNATURE, where, "retire.js signature"))
        sig_text = data
        if len(data) > SIGNATURE_SPAN:
            half = SIGNATURE_SPAN // 2
            sig_text = data[:half] + b"\n" + data[-half:]
            tree.notices.append(Notice("bundle-signatures-limited", path, f"{len(data)} bytes: retire.js "
                                       f"signatures looked at the first and last {half // 1048576} MB only"))
        for npm, v, _ in run_signatures(sig_text):
            p = pkgs.get(npm)
            if p is None:
                p = pkgs[npm] = _Pkg(npm)
                p.evidence.append(Evidence("source-code-analysis", CONF_SIGNATURE, where, "retire.js signature"))
            p.add_version(v, Evidence("source-code-analysis", CONF_SIGNATURE, where, "retire.js signature"))

        # 6. a package's own version string, read only in its own code
        for p in pkgs.values():
            if p.versions or not p.content:
                continue
            found = {m.group(1) for c in p.content for m in _OWN_VERSION.finditer(c[:MAX_CONTENT_PER_PACKAGE])}
            if len(found) == 1:
                p.add_version(found.pop(), Evidence("source-code-analysis", CONF_BANNER, where, "version string in the package's own code"))

        self._narrow_ties(pkgs, where)
        self._emit(result, pkgs, where, path)
        if pkgs or marks or map_bytes is not None:
            attributed = sum(min(p.bytes, len(data)) for p in pkgs.values())
            result_attr = getattr(result, "attributed", None)
            if result_attr is not None:
                result_attr[tree.prefix + path] = (min(attributed, size), min(first_party, size), size)

    @staticmethod
    def _copies(p: _Pkg, tokens: TokenMatch, where: str) -> bool:
        """Two or more copies of a package, each naming its own release (and not all the same): one
        component per release."""
        per = tokens.copies(p.name, sorted(p.dirs))
        if len({v for v, _n in per.values()}) < 2:
            return False
        for d, (version, n) in per.items():
            p.copies.setdefault(version, []).append(Evidence(
                "hash-comparison", CONF_TOKENS, where, f"token fingerprints of {n} reprinted module(s) under "
                f"{scrub(d)}/ identical to {scrub(p.name)}@{scrub(version)} as published on the npm registry"))
        return True

    @staticmethod
    def _token_verdict(p: _Pkg, tokens: TokenMatch, where: str) -> bool:
        """Give p the release its modules' token fingerprints name (or their candidates); False when
        the fingerprints say nothing."""
        version, candidates, n = tokens.verdict(p.name)
        if version:
            kept = tokens.legal.get(p.name, 0)
            also = f" and {kept} kept license comment(s)" if kept else ""
            p.add_version(version, Evidence("hash-comparison", CONF_TOKENS, where,
                                            f"token fingerprints of {n} reprinted module(s){also} identical to "
                                            f"{scrub(p.name)}@{scrub(version)} as published on the npm registry"))
            return True
        if candidates:
            p.candidates = candidates
            return True
        return False

    @staticmethod
    def _literal_verdict(p: _Pkg, literals: LiteralMatch, where: str) -> None:
        version, candidates, n = literals.verdict(p.name)
        if version:
            p.add_version(version, Evidence("source-code-analysis", CONF_LITERALS, where,
                                            f"string literals of {n} reprinted module(s) found only in "
                                            f"{scrub(p.name)}@{scrub(version)} among its npm releases"))
        elif candidates and not p.candidates:
            p.candidates = candidates

    @staticmethod
    def _module_like(comment: bytes) -> bool:
        c = comment.strip()
        return b" " not in c and (b"/" in c or c.endswith((b".js", b".mjs", b".cjs", b".ts", b".json", b".jsx", b".tsx")))

    # ---------------------------------------------------------------------------- versions
    def _pkg_json_version(self, p: _Pkg, region: str, where: str, detail: str, conf: float) -> None:
        n = _PKG_JSON_NAME.search(region)
        v = _PKG_JSON_VERSION.search(region)
        if v is not None and (n is None or n.group(1) == p.name):
            p.add_version(v.group(1), Evidence("source-code-analysis", conf, where, detail))

    def _pkg_json_objects(self, text: str, pkgs: dict[str, _Pkg], where: str) -> None:
        for m in re.finditer(r'\{\s*(?:name|"name")\s*:\s*"([^"\\]{1,214})"\s*,\s*(?:version|"version")\s*:\s*"' + _VERSION + '"', text):
            name, version = m.group(1), m.group(2)
            if not valid_npm_name(name):
                continue
            p = pkgs.setdefault(name, _Pkg(name))
            p.evidence.append(Evidence("source-code-analysis", CONF_PKG_JSON, where, "package.json object inlined by the bundler"))
            p.add_version(version, Evidence("source-code-analysis", CONF_PKG_JSON, where, "package.json object inlined by the bundler"))

    def _fingerprints(self, data: bytes, pkgs: dict[str, _Pkg], where: str) -> None:
        table = fingerprints()
        if not table:
            return
        found = {(m.group(1) or m.group(2) or m.group(3) or b"").decode("utf-8", "replace")
                 for m in _LITERAL_B.finditer(data)}
        for name, lits in table.items():
            hits = [x for x in lits if x in found]
            if len(hits) >= min(2, len(lits)):
                p = pkgs.get(name)
                if p is None:
                    p = pkgs[name] = _Pkg(name)
                p.evidence.append(Evidence("source-code-analysis", CONF_FINGERPRINT, where,
                                           f"{len(hits)} of its distinctive string literals"))

    def _banner_names(self, text: str, pkgs: dict[str, _Pkg], where: str, detail: str) -> None:
        """A kept comment that opens with a known package's name (``/*! safe-buffer. MIT License``,
        ``@license Lodash <https://lodash.com/>``): the name, no version."""
        known = known_names()
        for m in _BANNER_NAME.finditer(text[:MAX_LICENSE_TXT]):
            name = m.group(1).lower().removesuffix(".js")
            if name in known and name not in pkgs:
                p = pkgs[name] = _Pkg(name)
                p.evidence.append(Evidence("source-code-analysis", CONF_BANNER, where, detail))

    def _banners(self, text: str, pkgs: dict[str, _Pkg], where: str, known_only: bool) -> None:
        scan = text if len(text) < 4 * 1024 * 1024 else text[:2 * 1024 * 1024] + text[-2 * 1024 * 1024:]
        for rx, detail in ((_BANNER_VERSION_LINE, "license banner (name, version line)"), (_BANNER, "license banner")):
            for m in rx.finditer(scan):
                name = m.group(1).lower()
                if name.endswith(".js"):
                    name = name[:-3]
                if not valid_npm_name(name) or name in ("version", "license", "copyright", "the"):
                    continue
                p = pkgs.get(name)
                if p is None:
                    if known_only:
                        continue
                    p = pkgs[name] = _Pkg(name)
                    p.evidence.append(Evidence("source-code-analysis", CONF_BANNER, where, detail))
                p.add_version(m.group(2), Evidence("source-code-analysis", CONF_BANNER, where, detail))

    # -------------------------------------------------------------------------- source maps
    def _source_map(self, tree: Tree, path: str, text: str, have: set[str], pkgs: dict[str, _Pkg],
                    where: str) -> tuple[int, int] | None:
        """Read the bundle's map; add its packages; return (third-party, own) original bytes."""
        raw: bytes | None = None
        map_where = ""
        i = text.rfind("sourceMappingURL=")
        url = ""
        if i >= 0 and text[max(0, i - 4):i].rstrip(" ").endswith(("#", "@")):
            m = _URL_CHARS.match(text, i + len("sourceMappingURL="))  # linear: one class, no backtracking
            url = m.group(0) if m else ""
        if url.startswith("data:"):
            head, _, payload = url.partition(",")
            if len(payload) > 4 * MAX_MAP // 3:
                tree.notices.append(Notice("source-map-too-large", path, "inline source map larger than the limit; not read"))
            else:
                try:
                    raw = base64.b64decode(payload, validate=False) if ";base64" in head else payload.encode()
                except (binascii.Error, ValueError):
                    tree.notices.append(Notice("source-map-unreadable", path, "inline source map is not valid base64"))
                map_where = where + " (inline source map)"
        else:
            cands = []
            if url and "://" not in url:
                d = dirname(path)
                cands.append(_join(d, url))
            cands.append(path + ".map")
            for c in cands:
                if c and c in have:
                    raw = tree.read_or_note(c, MAX_MAP)
                    map_where = tree.prefix + c
                    break
        if raw is None:
            return None
        try:
            sm = json.loads(decode_text(raw))
        except (ValueError, RecursionError):
            tree.notices.append(Notice("source-map-unreadable", map_where, "source map is not JSON"))
            return None
        if not isinstance(sm, dict):
            return None
        if isinstance(sm.get("sections"), list):  # an index map: its sections' maps
            srcs, contents = [], []
            for sec in sm["sections"][:1000]:
                inner = sec.get("map") if isinstance(sec, dict) else None
                if isinstance(inner, dict):
                    srcs += inner.get("sources") or []
                    contents += inner.get("sourcesContent") or [None] * len(inner.get("sources") or [])
        else:
            srcs, contents = sm.get("sources"), sm.get("sourcesContent")
        if not isinstance(srcs, list):
            return None
        if not isinstance(contents, list):
            contents = []
        if len(srcs) > MAX_SOURCES:
            tree.notices.append(Notice("source-map-limit", map_where, f"{len(srcs)} sources: the first {MAX_SOURCES} read"))
            srcs = srcs[:MAX_SOURCES]
        third = own = 0
        releases = ReleaseMatch()
        for idx, src in enumerate(srcs):
            if not isinstance(src, str):
                continue
            content = contents[idx] if idx < len(contents) and isinstance(contents[idx], str) else None
            n = len(content) if content is not None else 0
            hit = package_of(src) if "node_modules/" in src else None
            if hit is None:
                own += n
                continue
            third += n
            p = pkgs.get(hit[0])
            if p is None:
                p = pkgs[hit[0]] = _Pkg(hit[0])
            if hit[1] not in p.dirs:
                p.evidence.append(Evidence("source-code-analysis", CONF_MAP, map_where, f"source map source: {scrub(hit[1])}/"))
                p.dirs.add(hit[1])
            p.bytes += n
            if content is not None:
                releases.add(hit[0], src[len(hit[1]) + 1:], content)
            if content is not None and sum(len(c) for c in p.content) < MAX_CONTENT_PER_PACKAGE:
                p.content.append(content)
                if src.endswith("/package.json"):
                    self._pkg_json_version(p, content, map_where, "package.json in the source map's sourcesContent", CONF_MAP)
        for name, p in pkgs.items():
            version, candidates, n = releases.verdict(name)
            if version:
                p.add_version(version, Evidence("hash-comparison", CONF_HASH, map_where,
                                                f"sourcesContent of {n} module(s) identical to {scrub(name)}@{scrub(version)} "
                                                "as published on the npm registry"))
            elif candidates:
                p.candidates = candidates
        return third, own

    def _narrow_ties(self, pkgs: dict[str, _Pkg], where: str) -> None:
        """A package whose bundled code is identical in several releases, bundled once: the packages
        that require it were installed with a release in their dependency ranges."""
        may_be = {}
        for name, q in pkgs.items():
            version, _ = self._choose(q)
            may_be[name] = (version,) if version else q.candidates
        for name, p in pkgs.items():
            if not p.candidates or p.versions or len(p.dirs) != 1:
                continue
            base = next(iter(p.dirs))[: -len("node_modules/" + name)]
            # the packages that resolve this one to its bundled copy
            dependents = {n: vs for n, vs in may_be.items() if n != name and vs and pkgs[n].dirs and
                          all(d.startswith(base) for d in pkgs[n].dirs) and _loads(pkgs[n], p)}
            left, why = required_by(name, p.candidates, dependents)
            said = "; ".join(f"{scrub(n)} requires {scrub(r)}" for n, r in why)
            if len(left) == 1:
                p.add_version(left[0], Evidence("source-code-analysis", CONF_DEPENDENTS, where,
                                                f"the only one of {', '.join(scrub(v) for v in p.candidates)} "
                                                f"(identical bundled code) that the bundled dependency ranges "
                                                f"allow: {said}"))
            elif len(left) < len(p.candidates):
                p.candidates = left

    # -------------------------------------------------------------------------------- emit
    def _emit(self, result: CatalogResult, pkgs: dict[str, _Pkg], where: str, path: str) -> None:
        for name in sorted(pkgs):
            p = pkgs[name]
            for version in sorted(p.copies):  # copies of several releases: one component each
                result.installed.append(Installed(
                    ecosystem=NPM, name=scrub(name), version=scrub(version), location=where, root=dirname(path),
                    evidence=tuple(dict.fromkeys(p.evidence + p.copies[version])),
                    properties=(("pkgscan:bundled-in", where),)))
            if p.copies:
                continue
            version, ev = self._choose(p)
            props = [("pkgscan:bundled-in", where)]
            if not version and p.candidates:
                shown = ", ".join(scrub(v) for v in p.candidates[:SHOWN_CANDIDATES])
                more = f" and {len(p.candidates) - SHOWN_CANDIDATES} more" if len(p.candidates) > SHOWN_CANDIDATES else ""
                props.append(("pkgscan:version-unknown", "the bundled modules are identical in several releases"))
                props.append(("pkgscan:version-candidates", shown + more))
            elif not version:
                props.append(("pkgscan:version-unknown", "no version string found in the bundled code"))
            result.installed.append(Installed(
                ecosystem=NPM, name=scrub(name), version=scrub(version), location=where, root=dirname(path),
                evidence=tuple(dict.fromkeys(p.evidence + ev)), properties=tuple(props)))

    @staticmethod
    def _choose(p: _Pkg) -> tuple[str, list[Evidence]]:
        """The best-supported version: the highest confidence, then the most evidence; ties: none."""
        if not p.versions:
            return "", []
        ranked = sorted(p.versions.items(), key=lambda kv: (-max(e.confidence for e in kv[1]), -len(kv[1]), kv[0]))
        best = ranked[0]
        if len(ranked) > 1:
            second = ranked[1]
            if max(e.confidence for e in second[1]) == max(e.confidence for e in best[1]) and len(second[1]) == len(best[1]):
                return "", []  # two versions equally supported: do not pick one
        return best[0], list(dict.fromkeys(best[1]))


_REQUIRE_DEF = re.compile(r"\bvar (require_[\w$]+) = __commonJS\(")


def _loads(q: _Pkg, p: _Pkg) -> bool:
    """Whether q's bundled code loads p: it calls one of the ``require_x()`` functions esbuild made of
    p's modules, or (original text, from a source map) requires or imports p by name.  A package may
    declare a dependency its bundled files never load (a self-contained dist file, with its own
    nested copy that is not in the bundle): then its range says nothing about the bundled copy."""
    ids = {m.group(1) + "(" for c in p.content for m in _REQUIRE_DEF.finditer(c, 0, 4096)}
    by_name = re.compile(r"""(?:require\(\s*|\bfrom\s*|import\(\s*)['"]""" + re.escape(p.name) + r"""(?:/[^'"\n]*)?['"]""")
    return any(any(i in c for i in ids) or by_name.search(c) for c in q.content)


def _legal_block(text: str) -> list[tuple[str, str, list[str]]]:
    """esbuild's end-of-file block of kept comments: (package, file in it, its comments) per entry."""
    at = text.rfind("Bundled license information:")
    if at < 0:
        return []
    out = []
    for m in _LEGAL_ENTRY.finditer(text, at):
        comments = _LEGAL_COMMENT.findall(m.group(3))
        if comments and valid_npm_name(m.group(1)):
            out.append((m.group(1), m.group(2), comments))
    return out


def _join(d: str, rel: str) -> str:
    parts = (d.split("/") if d else []) + rel.split("/")
    out: list[str] = []
    for x in parts:
        if x in ("", "."):
            continue
        if x == "..":
            if not out:
                return ""
            out.pop()
        else:
            out.append(x)
    return "/".join(out)
