"""Go programs: the modules, the standard library and the functions compiled into a Go binary.

Lambda's OS-only runtimes (``provided.al2``, ``provided.al2023``) start an executable named
``bootstrap`` at the function root, usually a Go program; layers carry programs in ``bin/`` and
extensions in ``extensions/``, and npm and PyPI packages ship Go binaries too (esbuild).  Such files
have no telling name, so this cataloger is offered every path (``any_path``) and picks candidates from
the path and size alone: not a known text, source, data or library file, and at least
:data:`MIN_SIZE` bytes (no Go program is smaller).  It then reads the first bytes only (a zip member
is decompressed only that far) and reads the whole file only when they say ELF, PE or Mach-O.

From a Go binary (see :mod:`.gobinary`, which never executes anything):

- each dependency module as a component (``golang``, ``v1.2.3``; a ``=>`` replacement is what is
  linked, so the replacement module@version is the component and the original is kept in the
  property ``pkgscan:go:replaces``; a replacement by a local directory has no version: the original
  module@version is reported with confidence 0.5 and ``pkgscan:go:replaced-by``);
- the Go toolchain as the component ``stdlib``, versioned as OSV writes Go releases (``go1.21.3`` ->
  ``1.21.3``, purl ``pkg:golang/stdlib@1.21.3`` as syft writes it), with the build settings
  (``-ldflags``, ``GOOS``, ``GOARCH``, ``vcs.revision``...) as ``pkgscan:go:build:<key>`` properties;
- the main module as a component when it has a version.  A main module built from a work tree says
  ``(devel)``: that is no version a vulnerability range can be compared with (an empty or unknown
  version would be inside every ``introduced: 0`` range), so it is **not** a component; its path is
  the property ``pkgscan:go:main-module`` of the binary's other components.  govulncheck, too,
  never reports the main module;
- the function names (ELF ``.symtab`` and the Go function table) per package, as
  :class:`pkgscan.model.BinarySymbols`, for :mod:`pkgscan.vulns.reachability`.

Evidence: ``binary-analysis``, confidence 1.0, location = the binary's path.
"""
from __future__ import annotations

from ..archive import Tree
from ..ecosystems import GOLANG
from ..errors import EntryError
from ..model import BinarySymbols, Evidence, Notice
from . import gobinary
from .base import CatalogResult, Installed, scrub

#: no Go program is smaller (a stripped "hello world" is about 800 KB); smaller files are not sniffed
MIN_SIZE = 256 * 1024

#: endings of files that are never executables worth sniffing (text, source, data, archives, and
#: shared libraries: Python/Node native extensions are C code and .NET assemblies are PE .dll files,
#: reading every one would cost much)
SKIP_SUFFIXES = frozenset("""
py pyc pyo pyi pyx pxd pyd pth typed js mjs cjs ts mts cts jsx tsx map json json5 md markdown txt rst
html htm css scss less svg png jpg jpeg gif ico webp bmp tif tiff yml yaml toml cfg ini conf lock xml
csv tsv h hpp hh c cc cpp cxx go mod sum rs java class jar war ear rb gemspec sh bash zsh ps1 bat cmd
pem crt cer key der gz tgz zip whl egg tar bz2 xz zst lz4 7z a o obj lib so dylib node wasm mo po pot
db sqlite sqlite3 proto graphql gql flow snap coffee vue svelte woff woff2 ttf eot otf mp3 mp4 wav ogg
pdf patch diff cmake pc la properties tmpl jinja j2 npz npy pkl pickle parquet arrow feather onnx pt
bin-map ipynb tcl tk pl pm rake erb mustache hbs ejs pug ldif dic aff hyb dat
dll pdb nupkg deps runtimeconfig gem jmod
""".split())


#: build settings kept per binary, and the length of each (a hostile binary could carry megabytes)
MAX_SETTINGS = 256
MAX_VALUE = 4096


def _cap(value: str) -> str:
    value = scrub(value)
    return value if len(value) <= MAX_VALUE else value[:MAX_VALUE] + "..."


def _suffix(basename: str) -> str:
    i = basename.rfind(".")
    return basename[i + 1:].lower() if i > 0 else ""


def _is_so(basename: str) -> bool:
    """libfoo.so, libfoo.so.1, libfoo.so.1.2.3"""
    i = basename.find(".so")
    return i > 0 and (len(basename) == i + 3 or basename[i + 3] == ".")


class GoBinaryCataloger:
    name = "go-binary"
    names = frozenset({"bootstrap"})
    suffixes = ()
    any_path = True

    def wants(self, path: str, basename: str) -> bool:
        suffix = _suffix(basename)
        return not (suffix in SKIP_SUFFIXES or _is_so(basename))

    def catalog(self, tree: Tree, paths: list[str], result: CatalogResult) -> None:
        limit = tree.limits.max_member_size
        for path in paths:
            size = tree.size(path)
            if size < MIN_SIZE:
                continue
            try:
                head = tree.read_head(path, gobinary.HEAD_SIZE)
            except EntryError as exc:
                tree.notices.append(Notice(exc.code, path, str(exc), exc.suspicious))
                continue
            kind = gobinary.is_executable_head(head)
            if not kind:
                continue
            if size > limit:
                tree.notices.append(Notice("member-too-large", path, f"executable of {size} bytes is over the "
                                           f"limit of {limit}; not searched for Go build information"))
                continue
            data = tree.read_or_note(path, limit)
            if data is None:
                continue
            try:
                binary = gobinary.parse(data)
            except Exception as exc:  # a parser bug must not stop the scan  # pragma: no cover
                tree.notices.append(Notice("go-binary-error", path, f"Go binary not read: {type(exc).__name__}: {exc}"))
                continue
            finally:
                del data
            self._record(path, binary, tree.notices, result)

    def _record(self, path: str, binary: gobinary.GoBinary, notices: list[Notice], result: CatalogResult) -> None:
        info = binary.buildinfo
        if info is None:
            if binary.problems:
                notices.append(Notice("unreadable-executable", path, "; ".join(binary.problems)))
            return
        problems = binary.problems + info.problems
        if problems:
            notices.append(Notice("go-buildinfo-partial", path, "; ".join(problems)))
        evidence = (gobinary_evidence(path),)
        common: list[tuple[str, str]] = []
        main = info.main
        main_component = main is not None and main.path and main.version and main.version != "(devel)"
        if main is not None and main.path and not main_component:
            common.append(("pkgscan:go:main-module", scrub(main.path)))
        build = [("pkgscan:go:toolchain", scrub(info.go_version))] if info.go_version else []
        for k, v in info.settings[:MAX_SETTINGS]:
            build.append((f"pkgscan:go:build:{_cap(k)}", _cap(v)))
        experiment = info.go_version.partition(" X:")[2]
        if experiment:
            build.append(("pkgscan:go:experiment", scrub(experiment)))
        requires: list[str] = []
        for m in info.deps:
            inst = _module(path, m, evidence, common)
            if inst is not None:
                result.installed.append(inst)
                requires.append(inst.name)
        std = gobinary.stdlib_version(info.go_version)
        if std:
            result.installed.append(Installed(GOLANG, "stdlib", std, path, path, evidence=evidence,
                                              properties=tuple(common + build)))
            requires.append("stdlib")
        else:
            notices.append(Notice("go-toolchain-version", path, f"Go toolchain version {info.go_version!r} is no "
                                  "release: no stdlib component"))
        if main_component:
            props = [("pkgscan:go:main-module", "true")] + build
            if main.replace is not None:
                props.append(("pkgscan:go:replaced-by", scrub(f"{main.replace.path} {main.replace.version}".strip())))
            result.installed.append(Installed(GOLANG, scrub(main.path), scrub(main.version), path, path,
                                              evidence=evidence, requires=tuple(requires), properties=tuple(props)))
        result.binaries.append(BinarySymbols(
            location=path,
            source=binary.symbol_source,
            names=binary.names,
        ))


def gobinary_evidence(path: str, confidence: float = 1.0, detail: str = "Go build info") -> Evidence:
    return Evidence("binary-analysis", confidence, path, detail)


def _module(path: str, m: gobinary.Module, evidence: tuple[Evidence, ...], common: list) -> Installed | None:
    props = list(common)
    linked = m
    if m.replace is not None:
        r = m.replace
        if r.version:  # a module replaced by another module@version: that is what is linked
            linked = r
            props.append(("pkgscan:go:replaces", scrub(f"{m.path}@{m.version}" if m.version else m.path)))
        else:  # a local directory: its code has no version; the original is the best name
            props.append(("pkgscan:go:replaced-by", scrub(r.path)))
            evidence = (gobinary_evidence(path, 0.5, "Go build info (module replaced by a local directory)"),)
    name, version = scrub(linked.path), scrub(linked.version)
    if not name:
        return None
    if linked.sum:
        props.append(("pkgscan:go:sum", scrub(linked.sum)))
    return Installed(GOLANG, name, version, path, path, evidence=evidence, properties=tuple(props))
