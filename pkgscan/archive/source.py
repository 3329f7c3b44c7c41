"""Random-access byte sources: the one thing the archive reader needs from where the bytes live.

A zip is read from its end (the central directory) and then only at the offsets of the members
that are needed, so the same reader works for a local file, bytes in memory, or (later) an HTTP
object read with range requests.
"""
from __future__ import annotations

import os
from typing import Protocol


class ByteSource(Protocol):
    size: int

    def read_at(self, offset: int, length: int) -> bytes:
        """Return up to ``length`` bytes from ``offset`` (fewer only at the end of the source)."""
        ...

    def close(self) -> None: ...


class FileSource:
    """A local file read with positional reads (thread-safe, no shared file position)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = os.fspath(path)
        self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self.size = os.fstat(self._fd).st_size
        self.bytes_read = 0

    def read_at(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError("negative offset or length")
        length = max(0, min(length, self.size - offset))
        chunks = []
        while length > 0:
            chunk = os.pread(self._fd, min(length, 1 << 24), offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
            length -= len(chunk)
        data = b"".join(chunks)
        self.bytes_read += len(data)
        return data

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> "FileSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BytesSource:
    """Bytes already in memory."""

    def __init__(self, data: bytes):
        self._data = memoryview(data)
        self.size = len(data)

    def read_at(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError("negative offset or length")
        return bytes(self._data[offset : offset + length])

    def close(self) -> None:
        pass
