"""Emulator clock, fault injection and request log."""

from __future__ import annotations

import fnmatch
import hashlib
import string
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable


class Clock:
    """Wall clock plus an adjustable offset (seconds). Drives URL expiry and Signer times."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=timezone.utc)

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def set_offset(self, delta: float | timedelta) -> None:
        self.offset = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)


class Ids:
    """Resource ids that look like AWS's but are the same on every run: the n-th id of a kind in an
    account is derived from (account, kind, n), never drawn at random."""

    def __init__(self, account: Callable[[], str]):
        self._account = account
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _digest(self, kind: str) -> bytes:
        with self._lock:
            self._counts[kind] += 1
            n = self._counts[kind]
        return hashlib.sha256(f"{self._account()}/{kind}/{n}".encode()).digest()

    def uuid(self, kind: str) -> str:
        return str(uuid.UUID(bytes=self._digest(kind)[:16], version=4))

    def chars(self, kind: str, length: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
        number = int.from_bytes(self._digest(kind), "big")
        out = []
        for _ in range(length):
            number, i = divmod(number, len(alphabet))
            out.append(alphabet[i])
        return "".join(out)


# ------------------------------------------------------------------------------ faults

API_FAULTS = ("throttle", "server_error", "deny", "drop_api")
DOWNLOAD_FAULTS = ("expire", "corrupt", "drop")


@dataclass
class Fault:
    """One fault rule. ``None`` filters match anything; strings are fnmatch patterns.

    ``resource`` matches a function name / function ARN (qualified or not) / layer
    version ARN / layer name involved in the request or download.
    ``times`` is how many matching requests it fires on (``None`` = forever).
    """

    kind: str
    service: str | None = None
    operation: str | None = None
    region: str | None = None
    resource: str | None = None
    times: int | None = 1
    status: int = 500
    retry_after: float | None = 1
    hits: int = 0

    def matches(self, service, operation, region, resources: Iterable[str]) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        for pat, val in ((self.service, service), (self.operation, operation), (self.region, region)):
            if pat is not None and not fnmatch.fnmatchcase(val or "", pat):
                return False
        if self.resource is not None:
            if not any(fnmatch.fnmatchcase(r, self.resource) for r in resources if r):
                return False
        return True

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times


class Faults:
    """Fault injection rules, checked in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    # API faults --------------------------------------------------------------
    def throttle(self, times: int | None = 1, *, service=None, operation=None, region=None,
                 resource=None, retry_after: float | None = 1) -> Fault:
        """``times`` x 429 TooManyRequestsException (per-protocol throttling code) with Retry-After."""
        return self.add(Fault("throttle", service, operation, region, resource, times,
                              retry_after=retry_after))

    def server_error(self, times: int | None = 1, *, status: int = 500, service=None,
                     operation=None, region=None, resource=None) -> Fault:
        """``times`` x 5xx (ServiceException / InternalError...)."""
        return self.add(Fault("server_error", service, operation, region, resource, times,
                              status=status))

    def deny(self, *, service=None, operation=None, region=None, resource=None,
             times: int | None = None) -> Fault:
        """AccessDenied(Exception) for matching calls (forever by default)."""
        return self.add(Fault("deny", service, operation, region, resource, times))

    def deny_region(self, region: str) -> Fault:
        """Every API call in ``region`` is denied (as by an SCP region restriction)."""
        return self.deny(region=region)

    def drop_api(self, times: int | None = 1, *, service=None, operation=None, region=None,
                 resource=None) -> Fault:
        """Close the connection without answering an API call."""
        return self.add(Fault("drop_api", service, operation, region, resource, times))

    # download faults -------------------------------------------------------------
    def expire_download(self, resource: str, times: int | None = 1) -> Fault:
        """Download of ``resource`` answers 403 'Request has expired' (``times`` times)."""
        return self.add(Fault("expire", resource=resource, times=times))

    def corrupt_download(self, resource: str, times: int | None = 1) -> Fault:
        """Download of ``resource`` serves the right length with flipped bytes."""
        return self.add(Fault("corrupt", resource=resource, times=times))

    def drop_download(self, resource: str, times: int | None = 1) -> Fault:
        """Download of ``resource`` sends headers and half the body, then drops the connection."""
        return self.add(Fault("drop", resource=resource, times=times))

    def fire(self, kinds: Iterable[str], service, operation, region, resources) -> Fault | None:
        resources = list(resources)
        with self._lock:
            for f in self.rules:
                if f.kind in kinds and f.matches(service, operation, region, resources):
                    f.hits += 1
                    return f
        return None


# ---------------------------------------------------------------------------- request log


@dataclass
class ApiCall:
    time: float
    service: str | None
    operation: str | None
    region: str | None
    account: str
    params: dict[str, Any]
    status: int = 0
    error: str | None = None
    fault: str | None = None
    handled_by: str = ""  # "emulator" | "moto" | "fault"

    @property
    def iam_action(self) -> str:
        from .protocol import iam_action, iam_prefix

        return f"{iam_prefix(self.service)}:{iam_action(self.service, self.operation)}"


@dataclass
class Download:
    time: float
    token: str
    kind: str | None  # "function" | "layer" | None (unknown token)
    target: str | None  # qualified function ARN or layer version ARN
    function_name: str | None
    region: str | None
    code_sha256: str | None  # base64, as in CodeSha256
    size: int = 0
    bytes_sent: int = 0
    status: int = 0
    error: str | None = None
    fault: str | None = None

    @property
    def complete(self) -> bool:
        """A full, untampered 200 body was sent."""
        return self.status == 200 and self.fault is None and self.bytes_sent == self.size


@dataclass
class RequestLog:
    calls: list[ApiCall] = field(default_factory=list)
    downloads: list[Download] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_call(self, call: ApiCall) -> ApiCall:
        with self._lock:
            self.calls.append(call)
        return call

    def add_download(self, d: Download) -> Download:
        with self._lock:
            self.downloads.append(d)
        return d

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
            self.downloads.clear()

    def api_calls(self, service=None, operation=None, region=None, status=None) -> list[ApiCall]:
        with self._lock:
            calls = list(self.calls)
        return [
            c for c in calls
            if (service is None or c.service == service)
            and (operation is None or c.operation == operation)
            and (region is None or c.region == region)
            and (status is None or c.status == status)
        ]

    def count(self, service=None, operation=None, region=None, status=None) -> int:
        return len(self.api_calls(service, operation, region, status))

    def operations(self) -> Counter:
        """Counter of (service, operation)."""
        return Counter((c.service, c.operation) for c in self.api_calls())

    def iam_actions(self) -> set[str]:
        """IAM actions the calls needed, e.g. {'lambda:ListFunctions', 'signer:GetSigningProfile'}."""
        return {c.iam_action for c in self.api_calls()}

    def download_list(self, kind=None, status=None) -> list[Download]:
        with self._lock:
            ds = list(self.downloads)
        return [d for d in ds if (kind is None or d.kind == kind) and (status is None or d.status == status)]

    def completed_downloads_by_hash(self) -> Counter:
        """CodeSha256 -> number of complete, untampered downloads of that content."""
        return Counter(d.code_sha256 for d in self.download_list() if d.complete)
