"""File-system access for output, cache and merge directories that someone else may have prepared.

Every path pkgscan writes is ``root / <components>``: each component is checked (no separator, no
``.``/``..``, no control characters) and each directory below ``root`` is entered with
``O_NOFOLLOW`` relative to its parent's descriptor, so a symbolic link planted anywhere under the
root is never followed: a linked directory is replaced by a real one, a linked file is replaced
(``rename`` over it replaces the link, never its target).  Files are read only when they are regular
files (no FIFO, no device), with a size checked before reading.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from ..errors import InputError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)

ACCOUNT_RE = re.compile(r"\A[0-9]{12}\Z")
# aws partitions: us-east-1, us-gov-west-1, cn-north-1, eu-isoe-west-1, us-isob-east-1 ...
REGION_RE = re.compile(r"\A[a-z]{2}(-[a-z]+){1,3}-[0-9]{1,2}\Z")
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=,-]+")


class UnsafePath(InputError):
    """A path component or a planted file-system object pkgscan refuses to use."""


def valid_account(account: str) -> bool:
    return isinstance(account, str) and bool(ACCOUNT_RE.match(account))


def valid_region(region: str) -> bool:
    return isinstance(region, str) and bool(REGION_RE.match(region))


def account_component(account: str) -> str:
    """The directory name of an account: its 12 digits, or ``invalid-<sanitized>`` (never a path)."""
    if not account:
        return "unknown"
    return account if valid_account(account) else "invalid-" + component(account)


def region_component(region: str) -> str:
    if not region:
        return "unknown"
    return region if valid_region(region) else "invalid-" + component(region)


def component(text: str, max_len: int = 200) -> str:
    """One safe file-name component made from an API value: readable, never empty, ``.`` or ``..``,
    never starting with a dot (no hidden files), no separators or control characters."""
    s = str(text).replace("$LATEST", "latest")
    s = _UNSAFE.sub("_", s)
    s = re.sub(r"\.{2,}", "_", s)  # no '..' anywhere
    s = s.lstrip(".") or "_"
    return s[:max_len]


def check_component(name: str) -> str:
    if (not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name
            or any(ord(ch) < 32 for ch in name)):
        raise UnsafePath(f"unsafe path component {name!r}")
    return name


def _open_root(root: Path, create: bool) -> int:
    if create:
        root.mkdir(parents=True, exist_ok=True)
    try:
        return os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except OSError as exc:
        raise InputError(f"{root}: cannot open directory: {exc.strerror}") from None


def _enter(fd: int, name: str, create: bool, where: str) -> int:
    """Open subdirectory ``name`` of ``fd`` without following a link; with ``create``, make it (and
    replace a planted link or file of that name by a real directory)."""
    check_component(name)
    for _attempt in range(3):
        try:
            return os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise
            try:
                os.mkdir(name, 0o755, dir_fd=fd)
            except FileExistsError:
                pass
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            if not create:
                raise UnsafePath(f"{where}/{name}: not a directory (a symbolic link or another file); not followed") from None
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                raise
            os.unlink(name, dir_fd=fd)  # the link itself (or a stray file of ours), never its target
    raise UnsafePath(f"{where}/{name}: could not be made a directory")


def open_dir(root: str | os.PathLike[str], parts: tuple[str, ...] | list[str], create: bool = False) -> int:
    """A descriptor of ``root/parts...``, each component entered without following links."""
    root = Path(root)
    fd = _open_root(root, create)
    where = str(root)
    try:
        for p in parts:
            nfd = _enter(fd, p, create, where)
            os.close(fd)
            fd = nfd
            where = f"{where}/{p}"
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_bytes(root: str | os.PathLike[str], rel: str | tuple[str, ...] | list[str], data: bytes | str,
                mode: int = 0o644) -> Path:
    """Write ``root/rel`` atomically: directories entered without following links, the file written to
    a fresh temporary name (O_EXCL) and renamed over whatever was there (a planted link is replaced,
    its target untouched).  Returns the path written."""
    parts = tuple(rel.split("/")) if isinstance(rel, str) else tuple(rel)
    for p in parts:
        check_component(p)
    if isinstance(data, str):
        data = data.encode("utf-8")
    dfd = open_dir(root, parts[:-1], create=True)
    name = parts[-1]
    tmp = f".{name}.{os.getpid()}.{id(data):x}.tmp"
    try:
        ffd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode, dir_fd=dfd)
        try:
            view = memoryview(data)
            while view:
                n = os.write(ffd, view)
                view = view[n:]
        finally:
            os.close(ffd)
        try:
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                raise UnsafePath(f"{Path(root).joinpath(*parts)}: a directory is in the way")
        except FileNotFoundError:
            pass
        os.replace(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dfd)
        except OSError:
            pass
        raise
    finally:
        os.close(dfd)
    return Path(root).joinpath(*parts)


def read_regular(path: str | os.PathLike[str], max_bytes: int, *, dir_fd: int | None = None) -> bytes:
    """The bytes of a regular file, opened without following a link and without blocking (a FIFO);
    refused (OSError / InputError) when it is anything else or larger than ``max_bytes``."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(f"{path}: not a regular file")
        if st.st_size > max_bytes:
            raise UnsafePath(f"{path}: {st.st_size} bytes, over the limit of {max_bytes}")
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise UnsafePath(f"{path}: grew past the limit of {max_bytes} while read")
        return data
    finally:
        os.close(fd)


def read_under(root: str | os.PathLike[str], rel: str | tuple[str, ...], max_bytes: int) -> bytes:
    """``read_regular`` of ``root/rel`` with every directory below ``root`` entered without following links."""
    parts = tuple(rel.split("/")) if isinstance(rel, str) else tuple(rel)
    dfd = open_dir(root, parts[:-1])
    try:
        return read_regular(check_component(parts[-1]), max_bytes, dir_fd=dfd)
    finally:
        os.close(dfd)


def list_regular(root: str | os.PathLike[str], rel: str | tuple[str, ...], suffix: str = "",
                 recursive: bool = False, max_depth: int = 8) -> list[tuple[str, ...]]:
    """Relative paths (tuples of components) of the regular files under ``root/rel`` ending with
    ``suffix``; links and special files are skipped, directories are entered without following links."""
    parts = tuple(p for p in (rel.split("/") if isinstance(rel, str) else rel) if p)
    out: list[tuple[str, ...]] = []
    try:
        fd = open_dir(root, parts)
    except (FileNotFoundError, NotADirectoryError, UnsafePath):
        return out

    def walk(dfd: int, prefix: tuple[str, ...], depth: int) -> None:
        with os.scandir(dfd) as it:
            entries = sorted((e.name, e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False)) for e in it)
        for name, is_dir, is_file in entries:
            if is_file and name.endswith(suffix) and not name.startswith("."):
                out.append(prefix + (name,))
            elif is_dir and recursive and depth < max_depth:
                try:
                    sub = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=dfd)
                except OSError:
                    continue
                try:
                    walk(sub, prefix + (name,), depth + 1)
                finally:
                    os.close(sub)

    try:
        walk(fd, parts, 0)
    finally:
        os.close(fd)
    return out


def is_regular_under(root: str | os.PathLike[str], rel: tuple[str, ...]) -> bool:
    try:
        dfd = open_dir(root, rel[:-1])
    except (OSError, UnsafePath):
        return False
    try:
        st = os.stat(rel[-1], dir_fd=dfd, follow_symlinks=False)
        return stat.S_ISREG(st.st_mode)
    except OSError:
        return False
    finally:
        os.close(dfd)


def unlink_under(root: str | os.PathLike[str], rel: tuple[str, ...]) -> bool:
    """Remove the regular file ``root/rel`` (never through a link; a link itself is not followed)."""
    try:
        dfd = open_dir(root, rel[:-1])
    except (OSError, UnsafePath):
        return False
    try:
        st = os.stat(rel[-1], dir_fd=dfd, follow_symlinks=False)
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            return False
        os.unlink(rel[-1], dir_fd=dfd)
        return True
    except OSError:
        return False
    finally:
        os.close(dfd)


def one_line(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
    return " ".join(str(text).split())[:300]


def shared_dir_problem(path: str | os.PathLike[str]) -> str | None:
    """Why a directory pkgscan trusts (the cache) must not be used, or None: it is a link, not a
    directory, owned by another user, or writable by other users (anyone could plant entries)."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot inspect it ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a directory"
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return f"it is owned by another user (uid {st.st_uid})"
    if st.st_mode & 0o002:
        return f"it is writable by every user (mode {stat.S_IMODE(st.st_mode):o})"
    return None


__all__ = ["UnsafePath", "valid_account", "valid_region", "account_component", "region_component", "component",
           "check_component", "open_dir", "write_bytes", "read_regular", "read_under", "list_regular",
           "is_regular_under", "unlink_under", "shared_dir_problem", "one_line"]
