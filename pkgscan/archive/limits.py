"""Resource limits for reading untrusted archives.  Defaults follow Lambda's own limits."""
from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    #: Lambda: 250 MB unzipped for a function and all its layers together.
    max_total_uncompressed: int = 250 * MiB
    #: the largest single member pkgscan will decompress (metadata and lockfiles are small).
    max_member_size: int = 64 * MiB
    #: entries in one archive; more is refused before the central directory is parsed.
    max_entries: int = 500_000
    #: uncompressed/compressed ratio above which a member is treated as a bomb
    #: (checked for members larger than ``ratio_min_size``: tiny files compress well legitimately).
    max_ratio: int = 200
    ratio_min_size: int = 1 * MiB
    #: path components in one entry name / directory depth below the root.
    max_depth: int = 128
    #: zip files (the archive itself): Lambda accepts 50 MB direct upload, 250 MB unzipped; a
    #: bigger zip is still read (only the central directory and metadata), up to this size.
    max_archive_size: int = 2048 * MiB
    #: archives inside archives (jars in jars, wheels and zips in a package): how deep to open them.
    max_nesting: int = 8

    def with_overrides(self, **kw: int | None) -> "Limits":
        from dataclasses import replace

        return replace(self, **{k: v for k, v in kw.items() if v is not None})


DEFAULT_LIMITS = Limits()
