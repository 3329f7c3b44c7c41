"""Credentials out of everything pkgscan echoes: requirement lines, index URLs, lockfile values.

``redact(text)`` works on free text (a warning, a requirement line, a URL): every URL's userinfo
(``scheme://user:password@host``; the whole userinfo up to the *last* ``@`` of the authority, so a
password holding an ``@`` is not half-shown) becomes ``***``, and so do the values of credential-like
query parameters (``?token=``, ``&access_key=``, ``X-Amz-Signature=`` ...).  Redact before cutting a
value short: a cut can separate a token from the ``@`` that marks it.
"""
from __future__ import annotations

import re

# scheme://<userinfo>@ : the authority ends at the first '/', '?', '#' or whitespace; the userinfo is
# everything in it up to its last '@'
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#\s@]*(?:@[^/?#\s@]*)*)@")
_SECRET_KEY = (r"[A-Za-z0-9_.\-]*(?:token|secret|passw(?:or)?d|pwd|pass|auth|key|signature|sig|credential|session"
               r"|security|apikey|private|bearer|code)[A-Za-z0-9_.\-]*")
_QUERY = re.compile(rf"(?P<lead>[?&;])(?P<key>{_SECRET_KEY})=(?P<value>[^&#\s'\"]*)", re.IGNORECASE)
# "user:password@host" with no scheme (pip --trusted-host, some lockfile fields)
_BARE = re.compile(r"(?<![\w/@:.])(?P<user>[A-Za-z0-9_.\-~%]+):(?P<pw>[^\s/@:]+)@(?=[A-Za-z][A-Za-z0-9\-]*\.[A-Za-z])")

MARK = "***"


def redact(text: str) -> str:
    if not isinstance(text, str) or ("@" not in text and "=" not in text):
        return text
    out = _USERINFO.sub(lambda m: f"{m.group('scheme')}{MARK}@", text)
    out = _QUERY.sub(lambda m: f"{m.group('lead')}{m.group('key')}={MARK}" if m.group("value") else m.group(0), out)
    out = _BARE.sub(f"{MARK}@", out)
    return out


__all__ = ["redact", "MARK"]
