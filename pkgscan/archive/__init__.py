"""Safe, in-place, random-access reading of deployment packages (zips and directories)."""
from .limits import DEFAULT_LIMITS, Limits
from .source import ByteSource, BytesSource, FileSource
from .tree import DirTree, Tree, ZipTree, open_tree

__all__ = ["ByteSource", "BytesSource", "FileSource", "Limits", "DEFAULT_LIMITS", "Tree", "ZipTree", "DirTree", "open_tree"]
