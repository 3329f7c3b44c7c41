"""A container image's file system as a Tree: layers indexed one pass each, applied in order with
OCI whiteouts, the kept members served from memory.

Only what a Lambda image runs is inventoried: the function code (``/var/task``), what the image put
in ``/opt`` (layers and extensions), the runtime's own packages (``/var/lang``, ``/var/runtime``), and
the base image's rpm database.  Paths are relative to the image root ("var/task/app.py").
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import BinaryIO, Callable, Iterable

from ..archive.limits import DEFAULT_LIMITS, Limits
from ..archive.tar import DIR, FILE, SYMLINK, TarEntry, TarIndex, TarLimits, index_tar
from ..archive.tree import Tree, _link_escapes
from ..errors import EntryError
from ..model import Notice
from .runtime import RUNTIME_FILES, infer

#: where a Lambda container image keeps what it runs
ROOTS = ("var/task", "opt", "var/lang", "var/runtime")
#: the rpm database: Amazon Linux 2023 (sqlite; rpm >= 4.16 may use /usr/lib/sysimage/rpm) and AL2 (Berkeley DB)
RPMDB_PATHS = ("var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite", "var/lib/rpm/Packages")
#: roots whose symbolic links are the image author's (noted one by one); links elsewhere are counted
_NOTED_LINK_ROOTS = ("var/task", "opt")


#: directories above the roots: replacing one (by a link, a file, a whiteout) hides what is below
ROOT_ANCESTORS = frozenset({"var", "var/lib", "var/lib/rpm", "usr", "usr/lib", "usr/lib/sysimage",
                            "usr/lib/sysimage/rpm", "etc"})


def recorded(path: str) -> bool:
    """Entries a layer index keeps listed (the rest of the image's file system is not needed)."""
    return path in ROOT_ANCESTORS or in_scope(path)


_SPECIAL = frozenset(RPMDB_PATHS + RUNTIME_FILES)


def in_scope(path: str, roots: tuple[str, ...] = ROOTS) -> bool:
    return path.startswith(_under(roots)) or path in _SPECIAL or path in roots


@lru_cache(maxsize=8)
def _under(roots: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(r + "/" for r in roots)


def keep_predicate(catalogers: Iterable | None = None, roots: tuple[str, ...] = ROOTS) -> Callable[[str], bool]:
    """Which members a layer pass keeps: in scope, and declared (name or ending) by a cataloger that
    wants it -- decided from the path alone, as ``pkgscan.inventory.catalog`` decides."""
    if catalogers is None:
        from ..inventory import CATALOGERS as catalogers  # noqa: N811
    from ..inventory.base import Offers

    offers = Offers(catalogers)
    cats, wants = offers.catalogers, offers.wants

    def keep(path: str) -> bool:  # (keep.catalogers: who was asked)
        if path in RUNTIME_FILES:  # which runtime the image brings (pkgscan.image.runtime)
            return True
        if not in_scope(path, roots):
            return False
        base, offer = offers(path)
        try:
            return any(wants[i](path, base) for i in offer)
        except Exception:  # a cataloger's filter never sinks the layer pass
            return True

    keep.catalogers = cats
    return keep


@dataclass
class LayerInfo:
    digest: str
    media_type: str
    compressed_size: int
    uncompressed_size: int
    entries: int
    kept: int
    unreadable: str = ""


@dataclass
class ImageInfo:
    """What the image is: its manifest digest, platform, config and layers."""

    reference: str = ""
    manifest_digest: str = ""
    architecture: str = ""
    os: str = ""
    layers: list[LayerInfo] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def merge(layers: list[TarIndex]) -> tuple[dict[str, TarEntry], dict[str, bytes]]:
    """Apply the layers in order (lowest first) with OCI whiteouts: the image's final file system."""
    state: dict[str, TarEntry] = {}
    content: dict[str, bytes] = {}
    for layer in layers:
        deleted = set(layer.whiteouts)
        opaque = set(layer.opaque)
        # a directory replaced by a non-directory (or the reverse) drops what the lower one held
        for p, e in layer.entries.items():
            prev = state.get(p)
            if prev is not None and prev.kind == DIR and e.kind != DIR:
                deleted.add(p)
        if "" in opaque:
            state.clear()
            content.clear()
        elif deleted or opaque:
            for p in [p for p in state if _hidden(p, deleted, opaque)]:
                del state[p]
                content.pop(p, None)
        for p, e in layer.entries.items():
            state[p] = e
            data = layer.kept.get(p)
            if data is not None:
                content[p] = data
            else:
                content.pop(p, None)
    return state, content


def _hidden(path: str, deleted: set[str], opaque: set[str]) -> bool:
    if path in deleted:
        return True
    i = path.find("/")
    while i >= 0:
        anc = path[:i]
        if anc in deleted or anc in opaque:
            return True
        i = path.find("/", i + 1)
    return False


class ImageTree(Tree):
    """The merged file system of an image (only ``ROOTS`` and the rpm database are listed)."""

    kind = "image"

    def __init__(self, layers: list[TarIndex], info: ImageInfo | None = None, limits: Limits = DEFAULT_LIMITS,
                 roots: tuple[str, ...] = ROOTS, asked: tuple = ()):
        """``asked``: the catalogers the layer passes' ``keep`` asked (``keep_predicate(...).catalogers``)."""
        super().__init__(limits)
        self.info = info or ImageInfo()
        self.notices.extend(self.info.notices)
        for layer in layers:
            self.notices.extend(layer.notices)
        state, self._content = merge(layers)
        links_elsewhere = 0
        sizes: dict[str, int] = {}
        for p, e in state.items():
            if not in_scope(p, roots):
                continue
            if e.kind == FILE:
                sizes[p] = e.size
            elif e.kind == SYMLINK:
                if p.startswith(_NOTED_LINK_ROOTS) and in_scope(p, _NOTED_LINK_ROOTS):
                    self.notices.append(Notice("symlink", p, f"symbolic link not followed (-> {e.link!r})",
                                               _link_escapes(p, e.link) and not e.link.startswith("/")))
                else:
                    links_elsewhere += 1
        if links_elsewhere:
            self.notices.append(Notice("symlink", "", f"{links_elsewhere} symbolic links in the runtime's "
                                       "directories not followed"))
        self._sizes = dict(sorted(sizes.items()))
        # what the layer passes' catalogers asked for (a path-only decision): a catalog pass by the
        # same catalogers need not ask again about the other files
        self._asked = asked
        self._wanted: list[str] | None = None
        if asked and all(layer.wanted is not None for layer in layers):
            wanted = set().union(*(layer.wanted for layer in layers))
            self._wanted = [p for p in self._sizes if p in wanted]
        self.unreadable = [layer.unreadable for layer in layers if layer.unreadable]
        found = infer(self._sizes, self._content.get)
        self.runtime = found[0] if found else ""
        if found:
            self.notices.append(Notice("image-runtime", found[1], f"{found[0]}: the runtime this image brings "
                                       "(inferred from its base image)"))

    def offered_paths(self, catalogers: tuple) -> list[str]:
        if self._wanted is not None and tuple(catalogers) == self._asked:
            return self._wanted
        return self.paths

    def _read(self, path: str, max_size: int) -> bytes:
        data = self._content.get(path)
        if data is None:
            raise EntryError("not-retained", "not kept from the image layers (only files the catalogers declare are read)")
        if len(data) > max_size:
            raise EntryError("member-too-large", f"file is {len(data)} bytes, over the limit of {max_size}")
        self.bytes_decompressed += len(data)
        return data


@dataclass
class LayerSource:
    """One layer to read: a function opening its (compressed) bytes, and what it should be."""

    digest: str
    media_type: str
    open: Callable[[], BinaryIO]
    verify: str = ""  # sha256 hex the bytes read must have ("" = not checked here)


def index_layers(sources: list[LayerSource], keep: Callable[[str], bool], tar_limits: TarLimits = TarLimits(),
                 workers: int = 2, cache: dict | None = None) -> list[TarIndex]:
    """Index each layer (in parallel: zlib runs without the GIL); ``cache`` maps digest -> TarIndex."""

    def one(src: LayerSource) -> TarIndex:
        if cache is not None and src.digest in cache:
            return cache[src.digest]
        try:
            fh = src.open()
        except OSError as exc:
            idx = TarIndex(unreadable=f"{src.digest}: cannot open: {exc}")
            idx.notices.append(Notice("layer-unreadable", src.digest, f"cannot open: {exc}"))
            return idx
        with fh:
            idx = index_tar(fh, keep, tar_limits, hash_input=bool(src.verify), label=src.digest, record=recorded)
        if src.verify and idx.sha256 and idx.sha256 != src.verify and not idx.unreadable:
            idx.unreadable = f"{src.digest}: content does not match its digest (got sha256:{idx.sha256})"
            idx.notices.append(Notice("digest-mismatch", src.digest, "layer content does not match its digest", True))
        if cache is not None and not idx.unreadable:
            cache[src.digest] = idx
        return idx

    if workers <= 1 or len(sources) <= 1:
        return [one(s) for s in sources]
    with ThreadPoolExecutor(max_workers=min(workers, len(sources)), thread_name_prefix="pkgscan-layer") as pool:
        return list(pool.map(one, sources))
