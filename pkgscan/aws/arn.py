"""Amazon Resource Names: the one parser for every ARN the live scanner meets.

``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``; the resource may itself hold ``:`` (Lambda's
``function:NAME[:QUALIFIER]`` and ``layer:NAME:VERSION``) or ``/`` (Signer's
``/signing-profiles/NAME/VERSION`` and ``/signing-jobs/ID``, IAM's ``role/NAME``), so only the first
five separators split.  :func:`parse` is lenient about the fields' contents (a test endpoint may use
odd regions) and strict about the shape: anything that is not ``arn:`` plus six fields is ``None``,
never an exception.  The Signer helpers check what Signer itself guarantees (a 12-digit account).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_ACCOUNT = re.compile(r"\d{12}")
_PARTITION = re.compile(r"aws[a-zA-Z-]*")
_REGION = re.compile(r"[a-z0-9-]+")
_PROFILE = re.compile(r"/signing-profiles/([^/]+)/([^/]+)")
_JOB = re.compile(r"/signing-jobs/([^/]+)")


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str  # everything after the account field, as written

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def account_id(self) -> str | None:
        """The account when it is a real 12-digit account id (AWS-owned resources may leave it empty)."""
        return self.account if _ACCOUNT.fullmatch(self.account) else None

    # Lambda: function:NAME[:QUALIFIER], layer:NAME[:VERSION]
    def _lambda(self) -> list[str]:
        return self.resource.split(":") if self.service == "lambda" else []

    @property
    def resource_type(self) -> str:
        """``function`` / ``layer`` for Lambda ARNs, "" otherwise."""
        p = self._lambda()
        return p[0] if len(p) > 1 else ""

    @property
    def name(self) -> str:
        """The function's or layer's name ("" for other services)."""
        p = self._lambda()
        return p[1] if len(p) > 1 else ""

    @property
    def qualifier(self) -> str:
        """A function's version or alias, a layer's version; "" when absent."""
        p = self._lambda()
        return p[2] if len(p) > 2 else ""

    def unqualified(self) -> str:
        """A function ARN without its version/alias (code-signing configs and tags belong to that)."""
        if self.resource_type == "function" and self.qualifier:
            return str(Arn(self.partition, self.service, self.region, self.account, f"function:{self.name}"))
        return str(self)


#: what callers use in place of an ARN that did not parse: every field ""
NO_ARN = Arn("", "", "", "", "")


def parse(text: str | None) -> Arn | None:
    """``arn:P:S:R:A:RESOURCE`` -> :class:`Arn`; anything else (a bare name, "", None) -> None."""
    parts = (text or "").split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[5]:
        return None
    return Arn(*parts[1:])


def unqualified_function_arn(function_arn: str) -> str:
    """Drop a version/alias qualifier; text that is not a function ARN comes back unchanged."""
    a = parse(function_arn)
    return a.unqualified() if a else function_arn


# ------------------------------------------------------------------------------------------ Signer
@dataclass(frozen=True)
class ProfileArn:
    partition: str
    region: str
    account: str
    name: str
    version: str


@dataclass(frozen=True)
class JobArn:
    partition: str
    region: str
    account: str
    job_id: str


def _signer(text: str | None, resource: re.Pattern[str]) -> tuple[Arn, re.Match[str]] | None:
    a = parse(text)
    if (a is None or a.service != "signer" or not _PARTITION.fullmatch(a.partition)
            or not _REGION.fullmatch(a.region) or a.account_id is None):
        return None
    m = resource.fullmatch(a.resource)
    return (a, m) if m else None


def parse_profile_version_arn(text: str | None) -> ProfileArn | None:
    """``arn:aws:signer:REGION:ACCOUNT:/signing-profiles/NAME/VERSION`` -> parts, or None."""
    got = _signer(text, _PROFILE)
    return ProfileArn(got[0].partition, got[0].region, got[0].account, got[1][1], got[1][2]) if got else None


def parse_job_arn(text: str | None) -> JobArn | None:
    """``arn:aws:signer:REGION:ACCOUNT:/signing-jobs/JOBID`` -> parts, or None."""
    got = _signer(text, _JOB)
    return JobArn(got[0].partition, got[0].region, got[0].account, got[1][1]) if got else None
