"""A read-only file tree over a zip or a directory: list paths first, read the few you need.

Catalogers never touch the file system or the zip directly: they get the list of paths (one pass
over the central directory or one directory walk) and ask for the contents of the members they
chose.  Every read is bounded by the limits, and every problem becomes a Notice.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import ArchiveError, EntryError, InputError
from ..model import Notice
from .limits import DEFAULT_LIMITS, Limits
from .source import ByteSource, FileSource
from .ziparchive import ZipReader, safe_path


class Tree:
    """Common interface: ``paths`` (regular files, '/'-separated, relative) and ``read``."""

    kind = "tree"

    def __init__(self, limits: Limits):
        self.limits = limits
        self.notices: list[Notice] = []
        self.bytes_decompressed = 0
        self._sizes: dict[str, int] = {}
        #: nested archives: the outermost tree (whose budget every nested read spends), the tree
        #: this one was opened from, the path prefix of its members ("lib/a.jar!/") and its depth
        self.outer: Tree = self
        self.parent: Tree | None = None
        self.prefix = ""
        self.depth = 0
        self._nested_consumed = 0
        self._nested_entries = 0
        self._inner_links: list[tuple[str, str]] = []

    @property
    def paths(self) -> list[str]:
        return list(self._sizes)

    def offered_paths(self, catalogers: tuple) -> list[str]:
        """The paths a catalog pass offers to these catalogers' ``wants``: all of them here; a tree
        that already asked them (an image's layer pass) narrows it to what they asked for."""
        return self.paths

    def size(self, path: str) -> int:
        return self._sizes[path]

    def __contains__(self, path: str) -> bool:
        return path in self._sizes

    def entry_count(self) -> int:
        return len(self._sizes)

    def read(self, path: str, max_size: int | None = None) -> bytes:
        """Contents of one file; raises EntryError (recorded by the caller as a notice)."""
        if path not in self._sizes:
            raise EntryError("missing", "no such file in the package")
        root = self.outer
        cap = min(max_size or self.limits.max_member_size, self.limits.max_member_size)
        budget = root.limits.max_total_uncompressed - root._total_consumed()
        if self._sizes[path] > budget:
            raise EntryError("size-limit", "total uncompressed size limit reached; entry not read", True)
        before = self._consumed()
        try:
            data = self._read(path, min(cap, budget))
            self.bytes_decompressed += len(data)
        finally:
            if root is not self:  # a nested archive spends the outermost archive's budget
                root._nested_consumed += self._consumed() - before
        return data

    def _consumed(self) -> int:
        """Bytes produced so far, failed reads included (what the total budget limits)."""
        return self.bytes_decompressed

    def _total_consumed(self) -> int:
        return self._consumed() + self._nested_consumed

    def open_nested(self, path: str, max_size: int | None = None) -> "ZipTree | None":
        """Open a zip member that is itself a zip (a jar, a wheel, a nested ``.zip``) as a Tree.

        Read in memory through the same bounded reader: the outermost archive's byte budget and
        entry limit cover every nested archive, and nesting deeper than ``limits.max_nesting`` is
        refused.  Its members' notices reach this tree, prefixed ``<path>!/``, when it is closed.
        Returns None (with a notice) when the member cannot be opened.
        """
        root = self.outer
        if self.depth + 1 > self.limits.max_nesting:
            self.notices.append(Notice("nesting-limit", path, f"archive nested more than {self.limits.max_nesting} "
                                       "deep; not opened", True))
            return None
        data = self.read_or_note(path, max_size)
        if data is None:
            return None
        from dataclasses import replace as _replace

        from .source import BytesSource

        left = root.limits.max_entries - root.entry_count() - root._nested_entries
        limits = _replace(self.limits, max_entries=max(0, left))
        try:
            nested = ZipTree(BytesSource(data), limits)
        except (ArchiveError, EntryError) as exc:
            self.notices.append(Notice("nested-archive-unreadable", path, f"not a readable archive: {exc}"))
            return None
        nested.outer, nested.parent, nested.depth = root, self, self.depth + 1
        nested.prefix = f"{self.prefix}{path}!/"
        root._nested_entries += nested.entry_count()
        return nested

    def read_head(self, path: str, n: int) -> bytes:
        """The first ``n`` bytes of a file (all of it when shorter), to tell what it is: a zip member
        is decompressed only as far as needed.  Raises EntryError like ``read``."""
        if path not in self._sizes:
            raise EntryError("missing", "no such file in the package")
        n = max(0, min(n, self._sizes[path], self.limits.max_member_size))
        return self._read_head(path, n)[:n]

    def _read_head(self, path: str, n: int) -> bytes:  # pragma: no cover - overridden
        return self.read(path)[:n]

    def read_or_note(self, path: str, max_size: int | None = None) -> bytes | None:
        """Like read, but a failure becomes a notice and None."""
        try:
            return self.read(path, max_size)
        except EntryError as exc:
            self.notices.append(Notice(exc.code, path, str(exc), exc.suspicious))
            return None

    def _read(self, path: str, max_size: int) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        self._hand_notices_up()

    # Links are never followed.  One that points outside the package is a suspicious notice of its
    # own; links that stay inside (pnpm's node_modules/.pnpm layout makes hundreds) are expected and
    # summarized in one notice: their targets are in the package and read there.
    def _note_link(self, name: str, target: str) -> None:
        if not target or _link_escapes(name, target):
            msg = f"symbolic link not followed (-> {target!r})" if target else "symbolic link not followed"
            self.notices.append(Notice("symlink", name, msg, suspicious=True))
        else:
            self._inner_links.append((name, target))

    def _summarize_links(self) -> None:
        links = getattr(self, "_inner_links", [])
        if not links:
            return
        first = ", ".join(f"{n} -> {t}" for n, t in sorted(links)[:3])
        more = f" and {len(links) - 3} more" if len(links) > 3 else ""
        noun = "link" if len(links) == 1 else "links"
        self.notices.append(Notice("symlinks-inside", "", f"{len(links)} symbolic {noun} within the package not "
                                   f"followed (their targets are read where they are): {first}{more}"))

    def _hand_notices_up(self) -> None:
        if self.parent is not None and self.notices:
            prefix = f"{self.prefix[len(self.parent.prefix):-2]}!/"
            self.parent.notices.extend(Notice(n.code, prefix + n.path if n.path else prefix[:-2], n.message, n.suspicious)
                                       for n in self.notices)
            self.notices = []

    def __enter__(self) -> "Tree":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ZipTree(Tree):
    kind = "zip"

    def __init__(self, source: ByteSource, limits: Limits = DEFAULT_LIMITS, owns_source: bool = True):
        super().__init__(limits)
        self.source = source
        self._owns = owns_source
        self.zip = ZipReader(source, limits, self.notices)
        self._sizes = {name: m.size for name, m in self.zip.members.items() if not m.is_dir}
        for name, m in self.zip.symlinks.items():
            target = ""
            if m.size <= 4096:
                try:
                    target = self.zip.read(m, 4096).decode("utf-8", "replace")
                except EntryError:
                    target = ""
            self._note_link(name, target)
        self._summarize_links()

    def _read(self, path: str, max_size: int) -> bytes:
        return self.zip.read(self.zip.members[path], max_size)

    def _read_head(self, path: str, n: int) -> bytes:
        return self.zip.read_head(self.zip.members[path], n)

    def _consumed(self) -> int:
        return self.zip.bytes_inflated

    def close(self) -> None:
        self._hand_notices_up()
        if self._owns:
            self.source.close()


def _link_escapes(name: str, target: str) -> bool:
    """True when a link target points outside the tree (absolute, or too many '..')."""
    if not target or target.startswith("/") or (len(target) > 1 and target[1] == ":"):
        return True
    depth = name.count("/")  # directories above the link
    for part in target.replace("\\", "/").split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


class DirTree(Tree):
    """An unpacked package on disk.  Symbolic links are listed as notices, never followed."""

    kind = "directory"

    def __init__(self, root: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS):
        super().__init__(limits)
        self.root = os.path.abspath(os.fspath(root))
        self._walk()

    def _walk(self) -> None:
        root = self.root
        count = 0
        total = 0
        stack = [("", root)]
        while stack:
            rel_dir, abs_dir = stack.pop()
            try:
                it = os.scandir(abs_dir)
            except OSError as exc:
                self.notices.append(Notice("unreadable", rel_dir, f"directory not readable: {exc.strerror}"))
                continue
            with it:
                for de in it:
                    rel = f"{rel_dir}/{de.name}" if rel_dir else de.name
                    count += 1
                    if count > self.limits.max_entries:
                        raise ArchiveError(f"directory has more than {self.limits.max_entries} entries")
                    try:
                        st = de.stat(follow_symlinks=False)
                    except OSError as exc:
                        self.notices.append(Notice("unreadable", rel, f"not readable: {exc.strerror}"))
                        continue
                    if stat.S_ISLNK(st.st_mode):
                        try:
                            target = os.readlink(de.path)
                        except OSError:
                            target = ""
                        self._note_link(rel, target)
                    elif stat.S_ISDIR(st.st_mode):
                        if rel.count("/") + 1 >= self.limits.max_depth:
                            self.notices.append(Notice("too-deep", rel, f"directory deeper than {self.limits.max_depth} levels skipped", True))
                            continue
                        stack.append((rel, de.path))
                    elif stat.S_ISREG(st.st_mode):
                        self._sizes[rel] = st.st_size
                        total += st.st_size
                    else:
                        self.notices.append(Notice("special-file", rel, "not a regular file; skipped", True))
        if total > self.limits.max_total_uncompressed:
            self.notices.append(
                Notice("size-limit", "", f"total size {total} exceeds {self.limits.max_total_uncompressed} (Lambda's unzipped limit)", True)
            )
        self._sizes = dict(sorted(self._sizes.items()))
        self._summarize_links()

    def _read_head(self, path: str, n: int) -> bytes:
        ffd = self._open(path)
        try:
            data = os.read(ffd, n) if n else b""
            self.bytes_decompressed += len(data)
            return data
        finally:
            os.close(ffd)

    def _read(self, path: str, max_size: int) -> bytes:
        ffd = self._open(path)
        try:
            st = os.fstat(ffd)
            if st.st_size > max_size:
                raise EntryError("member-too-large", f"file is {st.st_size} bytes, over the limit of {max_size}")
            chunks = []
            left = max_size + 1
            while left > 0:
                chunk = os.read(ffd, min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            data = b"".join(chunks)
            if len(data) > max_size:
                raise EntryError("member-too-large", f"file grew past the limit of {max_size} while read")
            return data
        finally:
            os.close(ffd)

    def _open(self, path: str) -> int:
        """A descriptor of the regular file at ``path``, opened without following links."""
        # Walk down from the root one component at a time with O_NOFOLLOW, so that a directory
        # swapped for a symbolic link after the listing is not followed out of the tree, and open
        # the file non-blocking, so that a file swapped for a FIFO cannot hang the scan.
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        parts = path.split("/")
        try:
            fd = os.open(self.root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError as exc:
            raise EntryError("unreadable", f"cannot open: {exc.strerror}") from None
        try:
            for part in parts[:-1]:
                nfd = os.open(part, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | nofollow, dir_fd=fd)
                os.close(fd)
                fd = nfd
            ffd = os.open(parts[-1], os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0), dir_fd=fd)
        except OSError as exc:
            raise EntryError("unreadable", f"cannot open: {exc.strerror}", suspicious=exc.errno == getattr(__import__("errno"), "ELOOP", -1)) from None
        finally:
            os.close(fd)
        try:
            if not stat.S_ISREG(os.fstat(ffd).st_mode):
                raise EntryError("special-file", "not a regular file", True)
        except BaseException:
            os.close(ffd)
            raise
        return ffd


def open_tree(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> Tree:
    """Open a zip file or a directory as a Tree; raises InputError for anything else."""
    p = Path(path)
    # container images: an OCI image layout directory or a `docker save` tarball (pkgscan.image)
    from ..image.local import open_image

    image = open_image(p, limits)
    if image is not None:
        return image
    if p.is_dir():
        return DirTree(p, limits)
    if not p.exists():
        raise InputError(f"{path}: no such file or directory")
    if not p.is_file():
        raise InputError(f"{path}: not a regular file or directory")
    try:
        source = FileSource(p)
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror}") from None
    try:
        return ZipTree(source, limits)
    except ArchiveError as exc:
        source.close()
        raise ArchiveError(f"{path}: {exc}") from None
    except Exception:
        source.close()
        raise


__all__ = ["Tree", "ZipTree", "DirTree", "open_tree", "safe_path"]
