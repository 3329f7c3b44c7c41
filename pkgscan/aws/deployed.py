"""The code a Lambda function runs now: its hash at once, its inventory when asked for.

``pkgscan verify --function`` compares an SBOM's artifact hash with the deployed ``CodeSha256``
first and only downloads and inventories the code when the hashes differ, so the download is a
callable.  The presigned code URL from the first ``GetFunction`` is used once; a later download
asks for a fresh one (they expire after ten minutes).
"""
from __future__ import annotations

from dataclasses import replace

import os
from typing import Callable

from ..model import Inventory
from .arn import NO_ARN, parse as parse_arn
from .download import Downloader
from .session import AwsContext


def deployed_code(ctx: AwsContext, function: str, qualifier: str | None = None,
                  downloader: Downloader | None = None) -> tuple[str, Callable[[], Inventory]]:
    """(``CodeSha256`` as Lambda reports it (base64), a function returning the code's inventory).

    ``function`` is a name or an ARN (its region is then the one asked); ``qualifier`` a version or
    alias.  AWS errors propagate as botocore exceptions, download failures as ``DownloadError``."""
    from ..scan import scan_path

    lam = ctx.client("lambda", (parse_arn(function) or NO_ARN).region or None)
    kw = {"FunctionName": function, **({"Qualifier": qualifier} if qualifier else {})}
    first = lam.get_function(**kw)
    sha = first["Configuration"].get("CodeSha256", "")
    state = {"loc": first.get("Code", {}).get("Location")}

    def location() -> str:
        loc, state["loc"] = state["loc"], None
        return loc or lam.get_function(**kw)["Code"]["Location"]

    def inventory() -> Inventory:
        got = (downloader or Downloader()).fetch(location, sha, function)
        try:
            inv = scan_path(got.path, layout="function")
            # the deployed function, not the temporary file it was downloaded to, is what was compared
            return replace(inv, artifact=replace(inv.artifact, name=function, path=f"lambda:{function}"))
        finally:
            os.unlink(got.path)

    return sha, inventory
