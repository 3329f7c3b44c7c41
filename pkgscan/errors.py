"""Exceptions shared by the pipeline.  Anything that is the input's fault is an InputError."""


class PkgscanError(Exception):
    """Base class of pkgscan's own errors."""


class InputError(PkgscanError):
    """The input cannot be scanned at all (missing file, not an archive, a hard limit exceeded)."""


class ArchiveError(InputError):
    """The archive as a whole is unreadable or exceeds a hard limit."""


class EntryError(PkgscanError):
    """One entry of an archive or directory cannot be read; the rest of the scan goes on.

    ``code`` is a short machine-readable reason, ``suspicious`` marks likely attacks.
    """

    def __init__(self, code: str, message: str, suspicious: bool = False):
        super().__init__(message)
        self.code = code
        self.suspicious = suspicious
