"""AWS access: the boto3 credential chain, profiles, assumed roles, endpoints, retries, call counts.

Every client comes from one ``AwsContext`` so that retry mode, endpoint and credentials are the same
everywhere, and so that API calls can be counted (through botocore's public event system) for the
benchmark and for the least-privilege test.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

import boto3
from botocore.config import Config

from .. import __version__


_RESOLVED: dict[str, bool] = {}


def _resolvable(endpoint_url: str) -> None:
    """Fail at once, naming the host, when the endpoint's name does not resolve (no network, no DNS,
    a typo in --endpoint-url or --region): botocore would retry the connection for minutes."""
    import socket
    from urllib.parse import urlsplit

    host = urlsplit(endpoint_url).hostname or ""
    if not host or host in _RESOLVED:
        return
    try:
        socket.getaddrinfo(host, None)
        _RESOLVED[host] = True
    except socket.gaierror:
        from botocore.exceptions import EndpointConnectionError

        raise EndpointConnectionError(endpoint_url=endpoint_url,
                                      error=f"the name {host} does not resolve") from None


@dataclass
class AwsOptions:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    role_session_name: str = "pkgscan"
    retry_mode: str = "standard"  # or "adaptive": client-side rate limiting after throttling
    max_attempts: int = 10
    max_pool: int = 32


@dataclass
class AwsContext:
    options: AwsOptions
    session: boto3.session.Session = field(init=False)
    calls: Counter = field(default_factory=Counter)
    _clients: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _calls_lock: threading.Lock = field(default_factory=threading.Lock)  # shared with for_role contexts

    def __post_init__(self) -> None:
        o = self.options
        base = boto3.session.Session(profile_name=o.profile, region_name=o.region)
        if o.role_arn:
            self.session = self._assume(base, o.role_arn, o.external_id)
        else:
            self.session = base
        self._config = Config(
            retries={"mode": o.retry_mode, "max_attempts": o.max_attempts},
            max_pool_connections=o.max_pool,
            user_agent_extra=f"pkgscan/{__version__}",
            connect_timeout=10,
            read_timeout=60,
        )

    def _assume(self, base: boto3.session.Session, role_arn: str, external_id: str | None) -> boto3.session.Session:
        region = self.options.region or base.region_name or "us-east-1"
        sts = base.client("sts", region_name=region, endpoint_url=self.options.endpoint_url)
        self._count(sts)
        kwargs = {"RoleArn": role_arn, "RoleSessionName": self.options.role_session_name}
        if external_id:
            kwargs["ExternalId"] = external_id
        creds = sts.assume_role(**kwargs)["Credentials"]
        return boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=region,
        )

    def for_role(self, role_arn: str, external_id: str | None = None) -> "AwsContext":
        """A context for another account, assuming ``role_arn`` from this one's credentials."""
        opts = AwsOptions(**{**self.options.__dict__, "role_arn": None})
        ctx = AwsContext.__new__(AwsContext)
        ctx.options = opts
        ctx.calls = self.calls
        ctx._calls_lock = self._calls_lock
        ctx._clients = {}
        ctx._lock = threading.Lock()
        ctx._config = self._config
        ctx.session = self._assume(self.session, role_arn, external_id)
        return ctx

    @property
    def default_region(self) -> str:
        return self.options.region or self.session.region_name or "us-east-1"

    def client(self, service: str, region: str | None = None):
        region = region or self.default_region
        key = (service, region)
        with self._lock:
            c = self._clients.get(key)
            if c is None:
                c = self.session.client(service, region_name=region, endpoint_url=self.options.endpoint_url,
                                        config=self._config)
                _resolvable(c.meta.endpoint_url)
                self._count(c)
                self._clients[key] = c
        return c

    def _count(self, client) -> None:
        service = client.meta.service_model.service_name

        def hook(model, **_kw):
            with self._calls_lock:
                self.calls[f"{service}:{model.name}"] += 1

        client.meta.events.register("before-call", hook)

    def call_counts(self) -> dict[str, int]:
        """A consistent snapshot of the API calls made so far (by this context and its role contexts)."""
        with self._calls_lock:
            return dict(sorted(self.calls.items()))

    def account_id(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]

    @property
    def partition(self) -> str:
        """The ARN partition of the default region (``aws``, ``aws-cn``, ``aws-us-gov``, ...), from
        botocore's endpoint data: no call."""
        try:
            return self.session.get_partition_for_region(self.default_region) or "aws"
        except Exception:  # noqa: BLE001 - a region botocore does not know: the commercial partition
            return "aws"
