"""Code-signing verification for a Lambda function and each of its layers.

Two parts:

* :func:`verify` — pure verdict logic over the frozen dataclasses below.  It never calls AWS.
* :class:`SigningLookup` — a small, thread-safe, caching fetcher over boto3 Lambda / Signer clients
  that produces those dataclasses, or :class:`Unknown` for anything it could not read.

Checks (``Check.name``), each ending ``pass``, ``fail`` (with a severity and a plain reason) or
``unknown`` — never a silent pass.  ``pass`` checks carry severity ``info``; ``unknown`` checks carry
``medium`` (a security control we could not verify).

``config-attached`` (functions only; a layer is governed by the *function's* config, which
``verify`` takes for the layer's publisher check):
    no config -> fail/low (nothing is enforced: Lambda accepts any code; low because most functions
    have none and nothing here says the code is bad); policy ``Warn`` -> fail/medium (untrusted code
    would deploy with a warning only); ``Enforce`` -> pass; unreadable -> unknown.
``signed``:
    a SigningProfileVersionArn or SigningJobArn is recorded -> pass.  Unsigned under a config ->
    fail/high (unsigned code deployed before the config was attached keeps running: Lambda checks
    signatures only at deployment).  Unsigned, no config -> fail/low.  Unsigned, config unreadable
    -> fail/medium.
    When the code is unsigned the checks below are omitted (``signed`` already fails).
``allowed-publisher``:
    the SigningProfileVersionArn is in the config's AllowedPublishers -> pass; not in it -> fail/high
    (the reason says when it is another version of an allowed profile); no config -> fail/low (no
    allow-list, any signer's signature would do); config unreadable -> unknown.
``profile-status``:
    Active -> pass; Canceled -> fail/medium (retired publisher; its existing signatures stay valid
    until they expire); Revoked -> fail/critical when ``revocationEffectiveFrom`` <= the signing
    job's ``createdAt`` (Signer: signatures made after the effective time are not trusted), pass
    when the code was signed before it (the signature stays valid; the reason names the revocation), fail/high when the
    effective time or the signing time is unknown.  A profile we cannot read -> unknown, and the
    reason says so when the profile belongs to another account than the resource.
``job-status``:
    job revoked (``revocationRecord``) -> fail/critical; Succeeded -> pass, unless the job used a
    different profile/version than the resource records -> fail/high; Failed -> fail/high;
    InProgress -> fail/medium; unreadable -> unknown (cross-account noted).
``signature-expiry``:
    ``signatureExpiresAt`` <= now -> fail/high; within ``expiry_warn_days`` (30) -> fail/low (a
    separate low finding rather than a pass with a warning, so it cannot be overlooked); later ->
    pass; no expiry recorded or job unreadable -> unknown.

``SigningReport.verdict``: ``fail`` if any check fails, else ``unknown`` if any is unknown, else ``pass``.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Hashable, Mapping

from .arn import parse as parse_arn, parse_job_arn, parse_profile_version_arn, unqualified_function_arn

try:  # the verdict logic works without botocore; the fetcher needs it
    from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError, ReadTimeoutError
except ImportError:  # pragma: no cover - botocore is installed wherever the fetcher is used
    BotoCoreError = ClientError = ConnectTimeoutError = ReadTimeoutError = ()  # type: ignore[assignment,misc]
    EndpointConnectionError = NoCredentialsError = ()  # type: ignore[assignment,misc]

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
VERDICTS = (PASS, FAIL, UNKNOWN)
SEVERITIES = ("critical", "high", "medium", "low", "info")
KINDS = ("function", "layer")
EXPIRY_WARN_DAYS = 30
#: severity given to ``unknown`` checks
UNKNOWN_SEVERITY = "medium"

CHECK_NAMES = ("config-attached", "signed", "allowed-publisher", "profile-status", "job-status",
               "signature-expiry")


# ------------------------------------------------------------------------------------ data types
@dataclass(frozen=True)
class Unknown:
    """Something we could not read: AccessDenied, no Signer in the region, a cross-account
    profile, throttling after botocore's retries, ...  ``code`` is the AWS error code if any."""

    reason: str
    code: str = ""
    #: worth asking again later (throttling, timeouts, 5xx); such results are not cached
    transient: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class CodeSigningConfig:
    arn: str
    #: signing profile VERSION ARNs (AllowedPublishers.SigningProfileVersionArns)
    allowed_publishers: tuple[str, ...]
    #: CodeSigningPolicies.UntrustedArtifactOnDeployment: "Warn" | "Enforce"
    policy: str


@dataclass(frozen=True)
class SigningProfileInfo:
    profile_name: str
    profile_version_arn: str | None
    #: "Active" | "Canceled" | "Revoked"
    status: str
    revocation_effective_from: datetime | None = None
    revoked_at: datetime | None = None
    #: e.g. "135 MONTHS"
    signature_validity_period: str | None = None
    owner_account: str | None = None


@dataclass(frozen=True)
class SigningJobInfo:
    job_id: str
    #: "InProgress" | "Failed" | "Succeeded"
    status: str
    revoked: bool = False
    revocation_reason: str | None = None
    revoked_at: datetime | None = None
    signature_expires_at: datetime | None = None
    profile_name: str | None = None
    profile_version: str | None = None
    job_owner: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str
    severity: str
    reason: str


_SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
#: (check, severity) -> the class of problem shown to people
_CLASSES = {
    ("config-attached", "medium"): "Warn only (not enforced)",
    ("signed", "high"): "unsigned under a config",
    ("signed", "medium"): "unsigned (config unreadable)",
    ("allowed-publisher", "high"): "publisher not allowed",
    ("profile-status", "critical"): "profile revoked",
    ("profile-status", "high"): "profile revoked (time unknown)",
    ("profile-status", "medium"): "profile canceled",
    ("job-status", "critical"): "signing job revoked",
    ("job-status", "high"): "signing job failed or mismatched",
    ("job-status", "medium"): "signing job in progress",
    ("signature-expiry", "high"): "signature expired",
    ("signature-expiry", "low"): "signature expires soon",
}


@dataclass(frozen=True)
class SigningReport:
    resource_arn: str
    kind: str
    checks: tuple[Check, ...]

    @property
    def verdict(self) -> str:
        verdicts = {c.verdict for c in self.checks}
        if FAIL in verdicts:
            return FAIL
        if UNKNOWN in verdicts or not self.checks:
            return UNKNOWN
        return PASS

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.verdict == FAIL)

    def summary(self) -> tuple[str, str]:
        """(severity, what class of problem) for people: "none configured" (no code signing config:
        low) is not "profile revoked" (critical), though both are a ``fail``."""
        fails = self.failures
        if not fails:
            return ("info", "verified") if self.verdict == PASS else ("medium", "could not be verified")
        worst = max(fails, key=lambda c: _SEVERITY_RANK.get(c.severity, 0))
        if all(c.severity == "low" and c.name in ("config-attached", "signed", "allowed-publisher") for c in fails):
            return "low", "none configured"
        return worst.severity, _CLASSES.get((worst.name, worst.severity), worst.name.replace("-", " "))

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource_arn": self.resource_arn,
            "kind": self.kind,
            "verdict": self.verdict,
            "checks": [{"name": c.name, "verdict": c.verdict, "severity": c.severity, "reason": c.reason}
                       for c in self.checks],
        }


def _account(arn: str | None) -> str | None:
    a = parse_arn(arn)
    return a.account_id if a else None


def _region(arn: str | None) -> str | None:
    a = parse_arn(arn)
    return (a.region or None) if a else None


# ------------------------------------------------------------------------------------ verdicts
def _aware(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _ts(value: datetime | None) -> str:
    return _aware(value).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "unknown"


def _pass(name: str, reason: str) -> Check:
    return Check(name, PASS, "info", reason)


def _fail(name: str, severity: str, reason: str) -> Check:
    return Check(name, FAIL, severity, reason)


def _unknown(name: str, reason: str) -> Check:
    return Check(name, UNKNOWN, UNKNOWN_SEVERITY, reason)


def _cross_account_note(owner: str | None, resource_account: str | None) -> str:
    if owner and resource_account and owner != resource_account:
        return f"cross-account (owned by {owner}, read from account {resource_account}) "
    return ""


def _check_config(config: CodeSigningConfig | Unknown | None) -> Check:
    name = "config-attached"
    if isinstance(config, Unknown):
        return _unknown(name, f"could not read the function's code-signing config: {config.reason}")
    if config is None:
        return _fail(name, "low", "no code-signing config attached: nothing is enforced, Lambda accepts any code, "
                                  "signed or not")
    if config.policy == "Enforce":
        return _pass(name, f"code-signing config {config.arn} attached with policy Enforce: Lambda blocks "
                           "deployments that fail signature validation")
    if config.policy == "Warn":
        return _fail(name, "medium", f"code-signing config {config.arn} uses policy Warn: untrusted code would deploy "
                                     "with a warning only (a SignatureValidationErrors metric and a CloudTrail "
                                     "entry), not be blocked")
    return _unknown(name, f"code-signing config {config.arn} has an unrecognised policy {config.policy!r}")


def _check_signed(kind: str, profile_arn: str | None, job_arn: str | None,
                  config: CodeSigningConfig | Unknown | None) -> Check:
    name = "signed"
    what = "function code" if kind == "function" else "layer version"
    if profile_arn or job_arn:
        missing = []
        if not profile_arn:
            missing.append("no SigningProfileVersionArn")
        if not job_arn:
            missing.append("no SigningJobArn")
        extra = f" ({', '.join(missing)} recorded)" if missing else ""
        return _pass(name, f"{what} is signed: profile version {profile_arn or '-'}, job {job_arn or '-'}{extra}")
    governed = "the function's" if kind == "layer" else "its"
    if isinstance(config, CodeSigningConfig):
        return _fail(name, "high", f"unsigned {what} under {governed} code-signing config {config.arn} (policy "
                                   f"{config.policy}): unsigned code deployed before the config was attached keeps "
                                   "running - Lambda checks signatures only at deployment")
    if isinstance(config, Unknown):
        return _fail(name, "medium", f"unsigned {what}; {governed} code-signing config could not be read "
                                     f"({config.reason})")
    return _fail(name, "low", f"unsigned {what} and no code-signing config: nothing vouches for who published "
                              "this code")


def _check_publisher(kind: str, profile_arn: str | None, config: CodeSigningConfig | Unknown | None) -> Check:
    name = "allowed-publisher"
    governed = "the function's" if kind == "layer" else "the"
    if not profile_arn:
        return _unknown(name, "no SigningProfileVersionArn recorded, so the publisher cannot be compared with "
                              "AllowedPublishers")
    if isinstance(config, Unknown):
        return _unknown(name, f"{governed} code-signing config could not be read: {config.reason}")
    if config is None:
        return _fail(name, "low", f"no code-signing config, so no allow-list: a signature by any profile, including "
                                  f"{profile_arn}, would be accepted")
    if profile_arn in config.allowed_publishers:
        return _pass(name, f"signed by {profile_arn}, an allowed publisher in {config.arn}")
    mine = parse_profile_version_arn(profile_arn)
    siblings = []
    if mine is not None:
        for allowed in config.allowed_publishers:
            other = parse_profile_version_arn(allowed)
            if other and (other.partition, other.account, other.name) == (mine.partition, mine.account, mine.name):
                siblings.append(other.version)
    if siblings:
        return _fail(name, "high", f"signed by profile {mine.name} version {mine.version}, but {config.arn} allows only "
                                   f"version(s) {', '.join(sorted(siblings))} of that profile: the code was signed "
                                   "by a superseded profile version")
    return _fail(name, "high", f"signing profile version {profile_arn} is not in AllowedPublishers of {config.arn} "
                               f"(policy {config.policy}): the code would be rejected or flagged on its next "
                               "deployment - it was deployed before the allow-list changed or under Warn")


def _check_profile(profile_arn: str | None, profile: SigningProfileInfo | Unknown | None,
                   job: SigningJobInfo | Unknown | None, resource_account: str | None) -> Check:
    name = "profile-status"
    if not profile_arn:
        return _unknown(name, "no SigningProfileVersionArn recorded, so the signing profile cannot be checked")
    owner = _account(profile_arn)
    if isinstance(profile, Unknown):
        return _unknown(name, f"{_cross_account_note(owner, resource_account)}signing profile {profile_arn} could "
                              f"not be read: {profile.reason}")
    if profile is None:
        return _unknown(name, f"signing profile {profile_arn} was not looked up")
    if profile.profile_version_arn and profile.profile_version_arn != profile_arn:
        return _unknown(name, f"Signer describes profile version {profile.profile_version_arn} (status "
                              f"{profile.status}); the code was signed with {profile_arn}, whose status that "
                              "lookup does not show")
    if profile.status == "Active":
        return _pass(name, f"signing profile {profile.profile_name} is Active")
    if profile.status == "Canceled":
        return _fail(name, "medium", f"signing profile {profile.profile_name} is Canceled: the publisher was retired "
                                     "and signs nothing new; signatures it made stay valid until they expire")
    if profile.status == "Revoked":
        effective = profile.revocation_effective_from
        signed_at = job.created_at if isinstance(job, SigningJobInfo) else None
        revoked = f"signing profile {profile.profile_name} was revoked (revoked at {_ts(profile.revoked_at)}"
        if effective is None:
            return _fail(name, "high", f"{revoked}, no effective time recorded): whether this signature is still "
                                       "trusted cannot be told")
        revoked += f", effective from {_ts(effective)})"
        if signed_at is None:
            why = job.reason if isinstance(job, Unknown) else "no signing job to read"
            return _fail(name, "high", f"{revoked}; the signing time is unknown ({why}), so it cannot be told "
                                       "whether this signature predates the revocation")
        if _aware(effective) <= _aware(signed_at):
            return _fail(name, "critical", f"{revoked}; this code was signed at {_ts(signed_at)}, after the revocation "
                                           "took effect: its signature is not trusted")
        # Signer and Lambda keep trusting signatures made before the effective time: a pass, whose
        # reason still tells that the publisher is revoked.
        return _pass(name, f"{revoked}; this code was signed at {_ts(signed_at)}, before the revocation took "
                           "effect, so its signature stays valid (new code from this publisher is not trusted)")
    return _unknown(name, f"signing profile {profile.profile_name} has an unrecognised status {profile.status!r}")


def _check_job(job_arn: str | None, job: SigningJobInfo | Unknown | None, profile_arn: str | None,
               resource_account: str | None) -> Check:
    name = "job-status"
    if not job_arn:
        return _unknown(name, "no SigningJobArn recorded, so the signing job cannot be checked")
    if isinstance(job, Unknown):
        owner = _account(job_arn)
        return _unknown(name, f"{_cross_account_note(owner, resource_account)}signing job {job_arn} could not be "
                              f"read: {job.reason}")
    if job is None:
        return _unknown(name, f"signing job {job_arn} was not looked up")
    if job.revoked:
        return _fail(name, "critical", f"the signature of job {job.job_id} was revoked at {_ts(job.revoked_at)} "
                                       f"(reason: {job.revocation_reason or 'none given'}): this code must not be "
                                       "trusted")
    if job.status == "Succeeded":
        mine = parse_profile_version_arn(profile_arn)
        if mine and job.profile_name and (job.profile_name != mine.name or
                                          (job.profile_version and job.profile_version != mine.version)):
            return _fail(name, "high", f"signing job {job.job_id} used profile {job.profile_name} version "
                                       f"{job.profile_version or '?'}, but the resource records {profile_arn}: the "
                                       "signing metadata does not agree")
        return _pass(name, f"signing job {job.job_id} succeeded (created {_ts(job.created_at)})")
    if job.status == "Failed":
        return _fail(name, "high", f"signing job {job.job_id} is recorded as Failed: it cannot have produced a valid "
                                   "signature for this code")
    if job.status == "InProgress":
        return _fail(name, "medium", f"signing job {job.job_id} is still InProgress: it cannot have produced the "
                                     "signature of deployed code")
    return _unknown(name, f"signing job {job.job_id} has an unrecognised status {job.status!r}")


def _check_expiry(job_arn: str | None, job: SigningJobInfo | Unknown | None, now: datetime,
                  warn_days: int) -> Check:
    name = "signature-expiry"
    if not job_arn:
        return _unknown(name, "no SigningJobArn recorded, so the signature expiry cannot be read")
    if isinstance(job, Unknown):
        return _unknown(name, f"signature expiry unknown: the signing job could not be read ({job.reason})")
    if job is None:
        return _unknown(name, "signature expiry unknown: the signing job was not looked up")
    expires = job.signature_expires_at
    if expires is None:
        return _unknown(name, f"signing job {job.job_id} records no signature expiry")
    expires = _aware(expires)
    if expires <= now:
        return _fail(name, "high", f"signature expired at {_ts(expires)}: Lambda rejects (Enforce) or flags (Warn) "
                                   "this artifact at its next deployment; the running code keeps running")
    left = expires - now
    if left <= timedelta(days=warn_days):
        return _fail(name, "low", f"signature expires at {_ts(expires)}, in {left.days} day(s): re-sign before "
                                  "then or deployments of this artifact will fail validation")
    return _pass(name, f"signature valid until {_ts(expires)}")


def verify(kind: str, arn: str, *, signing_profile_version_arn: str | None, signing_job_arn: str | None,
           config: CodeSigningConfig | Unknown | None, profile: SigningProfileInfo | Unknown | None,
           job: SigningJobInfo | Unknown | None, now: datetime,
           expiry_warn_days: int = EXPIRY_WARN_DAYS, account: str | None = None) -> SigningReport:
    """Verdict on one function (``kind="function"``) or one layer version (``kind="layer"``).

    For a layer pass the *function's* code-signing config: it is what Lambda validates layers
    against.  ``None`` for ``profile`` / ``job`` means "not looked up"; ``None`` for ``config``
    means "no config attached".  ``now`` should be timezone-aware (naive is taken as UTC).
    ``account`` is the account whose credentials read Signer - the function's; it defaults to the
    account in ``arn`` (pass the function's account for a layer published by another account).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    now = _aware(now)
    resource_account = account or _account(arn)
    profile_arn = signing_profile_version_arn or None
    job_arn = signing_job_arn or None
    checks: list[Check] = []
    if kind == "function":
        checks.append(_check_config(config))
    checks.append(_check_signed(kind, profile_arn, job_arn, config))
    if profile_arn or job_arn:
        checks.append(_check_publisher(kind, profile_arn, config))
        checks.append(_check_profile(profile_arn, profile, job, resource_account))
        checks.append(_check_job(job_arn, job, profile_arn, resource_account))
        checks.append(_check_expiry(job_arn, job, now, expiry_warn_days))
    return SigningReport(resource_arn=arn, kind=kind, checks=tuple(checks))


# ------------------------------------------------------------------------------------ fetcher
_THROTTLE_CODES = {"Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
                   "RequestLimitExceeded", "SlowDown", "RequestThrottled", "RequestThrottledException"}
_AUTH_CODES = {"UnauthorizedOperation", "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
               "ExpiredTokenException", "AuthFailure", "SignatureDoesNotMatch", "MissingAuthenticationToken"}


def unknown_from_error(exc: BaseException, what: str) -> Unknown:
    """Map a botocore error (already retried by botocore) to an :class:`Unknown` with a plain reason."""
    if ClientError and isinstance(exc, ClientError):
        error = exc.response.get("Error", {}) or {}
        code = str(error.get("Code", "") or "")
        message = str(error.get("Message", "") or "").strip()
        status = (exc.response.get("ResponseMetadata", {}) or {}).get("HTTPStatusCode")
        detail = f": {message}" if message else ""
        if code.startswith("AccessDenied") or code in _AUTH_CODES or status == 403:
            return Unknown(f"access denied on {what} ({code or status}){detail}", code)
        if code in _THROTTLE_CODES or "Throttl" in code or status == 429:
            return Unknown(f"throttled on {what} even after retries ({code or status})", code, transient=True)
        if "NotFound" in code or status == 404:
            return Unknown(f"not found on {what} ({code or status}){detail}", code)
        return Unknown(f"{what} failed ({code or status}){detail}", code,
                       transient=isinstance(status, int) and status >= 500)
    if EndpointConnectionError and isinstance(exc, EndpointConnectionError):
        return Unknown(f"could not reach the endpoint for {what} - the service may not be offered in this "
                       f"region ({exc})", "EndpointConnectionError")
    if (ConnectTimeoutError or ReadTimeoutError) and isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)):
        return Unknown(f"timed out on {what} ({exc})", type(exc).__name__, transient=True)
    if NoCredentialsError and isinstance(exc, NoCredentialsError):
        return Unknown(f"no AWS credentials for {what}", "NoCredentialsError")
    return Unknown(f"{what} failed: {exc}", type(exc).__name__)


class _Memo:
    """Thread-safe memo: each key is computed once even when asked for from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[Hashable, Any] = {}
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._values:
                return self._values[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = compute()
            if not (isinstance(value, Unknown) and value.transient):
                with self._lock:
                    self._values[key] = value
            return value


ClientFactory = Callable[[str], Any]


class SigningLookup:
    """Reads code-signing facts from Lambda and Signer, caching per ARN; safe to share between threads.

    ``lambda_client_factory(region)`` / ``signer_client_factory(region)`` return boto3 clients; each
    is called once per region.  Every method returns :class:`Unknown` instead of raising for what
    AWS would not tell us (errors after botocore's own retries).  Transient failures (throttling,
    timeouts, 5xx) are not cached.
    """

    def __init__(self, lambda_client_factory: ClientFactory, signer_client_factory: ClientFactory):
        self._factories = {"lambda": lambda_client_factory, "signer": signer_client_factory}
        self._clients: dict[tuple[str, str], Any] = {}
        self._clients_lock = threading.Lock()
        self._memo = _Memo()

    def _client(self, service: str, region: str) -> Any:
        with self._clients_lock:
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = self._factories[service](region)
            return self._clients[key]

    def _call(self, service: str, region: str, operation: str, what: str, **params: Any) -> Any:
        """-> the response dict, or Unknown."""
        try:
            client = self._client(service, region)
            return getattr(client, operation)(**params)
        except Exception as exc:  # noqa: BLE001 - mapped below; anything non-botocore re-raised
            if (BotoCoreError and isinstance(exc, BotoCoreError)) or (ClientError and isinstance(exc, ClientError)):
                return unknown_from_error(exc, what)
            raise

    # -- Lambda
    def function_config(self, region: str, function_arn: str) -> CodeSigningConfig | Unknown | None:
        """The code-signing config attached to a function, None when none is attached."""
        name = unqualified_function_arn(function_arn)
        what = f"lambda:GetFunctionCodeSigningConfig for {name}"
        resp = self._memo.get(("function-config", region, name),
                              lambda: self._call("lambda", region, "get_function_code_signing_config", what,
                                                 FunctionName=name))
        if isinstance(resp, Unknown):
            if resp.code == "CodeSigningConfigNotFoundException":
                return Unknown(f"the function references a code-signing config that does not exist ({resp.reason})",
                               resp.code)
            return resp
        arn = str(resp.get("CodeSigningConfigArn") or "").strip()
        if not arn:
            return None
        return self.code_signing_config(arn, region)

    def code_signing_config(self, config_arn: str, region: str | None = None) -> CodeSigningConfig | Unknown:
        """GetCodeSigningConfig, cached per config ARN (queried in the ARN's region)."""
        region = _region(config_arn) or region
        if not region:
            return Unknown(f"cannot tell the region of code-signing config {config_arn!r}")

        def fetch() -> CodeSigningConfig | Unknown:
            resp = self._call("lambda", region, "get_code_signing_config",
                              f"lambda:GetCodeSigningConfig for {config_arn}", CodeSigningConfigArn=config_arn)
            if isinstance(resp, Unknown):
                return resp
            body = resp.get("CodeSigningConfig") or {}
            publishers = (body.get("AllowedPublishers") or {}).get("SigningProfileVersionArns") or []
            policy = (body.get("CodeSigningPolicies") or {}).get("UntrustedArtifactOnDeployment") or "Warn"
            return CodeSigningConfig(arn=body.get("CodeSigningConfigArn") or config_arn,
                                     allowed_publishers=tuple(publishers), policy=policy)

        return self._memo.get(("csc", config_arn), fetch)

    # -- Signer
    def profile(self, profile_version_arn: str) -> SigningProfileInfo | Unknown:
        """GetSigningProfile for the profile in the ARN (``profileOwner`` = the ARN's account), cached."""
        parsed = parse_profile_version_arn(profile_version_arn)
        if parsed is None:
            return Unknown(f"not a signing profile version ARN: {profile_version_arn!r}")

        def fetch() -> SigningProfileInfo | Unknown:
            resp = self._call("signer", parsed.region, "get_signing_profile",
                              f"signer:GetSigningProfile for {parsed.name} (owner {parsed.account})",
                              profileName=parsed.name, profileOwner=parsed.account)
            if isinstance(resp, Unknown):
                return resp
            record = resp.get("revocationRecord") or {}
            period = resp.get("signatureValidityPeriod") or {}
            validity = (f"{period.get('value')} {period.get('type')}"
                        if period.get("value") is not None and period.get("type") else None)
            return SigningProfileInfo(
                profile_name=resp.get("profileName") or parsed.name,
                profile_version_arn=resp.get("profileVersionArn"),
                status=resp.get("status") or "",
                revocation_effective_from=record.get("revocationEffectiveFrom"),
                revoked_at=record.get("revokedAt"),
                signature_validity_period=validity,
                owner_account=_account(resp.get("profileVersionArn")) or parsed.account,
            )

        return self._memo.get(("profile", profile_version_arn), fetch)

    def job(self, job_arn: str) -> SigningJobInfo | Unknown:
        """DescribeSigningJob for the job in the ARN, cached.  (The API takes only ``jobId``: a job
        owned by another account is generally not readable and comes back Unknown.)"""
        parsed = parse_job_arn(job_arn)
        if parsed is None:
            return Unknown(f"not a signing job ARN: {job_arn!r}")

        def fetch() -> SigningJobInfo | Unknown:
            resp = self._call("signer", parsed.region, "describe_signing_job",
                              f"signer:DescribeSigningJob for {parsed.job_id} (account {parsed.account})",
                              jobId=parsed.job_id)
            if isinstance(resp, Unknown):
                return resp
            record = resp.get("revocationRecord") or None
            return SigningJobInfo(
                job_id=resp.get("jobId") or parsed.job_id,
                status=resp.get("status") or "",
                revoked=bool(record),
                revocation_reason=(record or {}).get("reason"),
                revoked_at=(record or {}).get("revokedAt"),
                signature_expires_at=resp.get("signatureExpiresAt"),
                profile_name=resp.get("profileName"),
                profile_version=resp.get("profileVersion"),
                job_owner=resp.get("jobOwner") or parsed.account,
                created_at=resp.get("createdAt"),
            )

        return self._memo.get(("job", job_arn), fetch)


def check_function(lookup: SigningLookup, region: str, configuration: Mapping[str, Any],
                   now: datetime) -> tuple[SigningReport, ...]:
    """Reports for a function and each of its layers, from a ``FunctionConfiguration`` dict (as
    GetFunction / GetFunctionConfiguration / ListFunctions return it).

    Container image functions (``PackageType == "Image"``) get no report: Lambda code signing
    applies to .zip packages and layers only.
    """
    if configuration.get("PackageType") == "Image":
        return ()
    function_arn = configuration["FunctionArn"]
    config = lookup.function_config(region, function_arn)

    def facts(profile_arn: str | None, job_arn: str | None):
        return (lookup.profile(profile_arn) if profile_arn else None,
                lookup.job(job_arn) if job_arn else None)

    profile_arn, job_arn = configuration.get("SigningProfileVersionArn"), configuration.get("SigningJobArn")
    profile, job = facts(profile_arn, job_arn)
    reports = [verify("function", function_arn, signing_profile_version_arn=profile_arn,
                      signing_job_arn=job_arn, config=config, profile=profile, job=job, now=now)]
    for layer in configuration.get("Layers") or []:
        l_profile_arn, l_job_arn = layer.get("SigningProfileVersionArn"), layer.get("SigningJobArn")
        l_profile, l_job = facts(l_profile_arn, l_job_arn)
        reports.append(verify("layer", layer["Arn"], signing_profile_version_arn=l_profile_arn,
                              signing_job_arn=l_job_arn, config=config, profile=l_profile, job=l_job, now=now,
                              account=_account(function_arn)))
    return tuple(reports)
