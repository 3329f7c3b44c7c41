"""AWS Signer, implemented by the emulator (moto's Signer only knows profiles, not jobs).

Signing a Lambda artifact really happens: StartSigningJob reads the source object from
moto's S3, writes ``<prefix><jobId>.zip`` (the same zip with a signature record in the
zip comment, so its SHA-256 differs) and remembers that content hash, so Lambda (see
``lambda_api``) can recognise signed code by hash, as real Lambda does by the signature.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import string
import threading
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta

from .protocol import ApiError, RequestInfo

if TYPE_CHECKING:  # pragma: no cover
    from .server import Emulator

LAMBDA_PLATFORM = "AWSLambda-SHA384-ECDSA"


def _platforms() -> list[dict[str, Any]]:
    try:
        from moto.signer.models import SignerBackend

        return list(SignerBackend.platforms)
    except Exception:  # pragma: no cover
        return [{"platformId": LAMBDA_PLATFORM, "displayName": "AWS Lambda", "partner": "AWSLambda",
                 "target": "SHA384-ECDSA", "category": "AWS"}]


def _display_name(platform_id: str) -> str | None:
    for p in _platforms():
        if p["platformId"] == platform_id:
            return p.get("displayName")
    return None


def _ts(dt: datetime | None) -> float | None:
    return None if dt is None else dt.timestamp()


def _parse_ts(v: Any) -> datetime:
    if isinstance(v, (int, float)):
        return datetime.fromtimestamp(float(v), tz=timezone.utc)
    s = str(v)
    try:
        return datetime.fromtimestamp(float(s), tz=timezone.utc)
    except ValueError:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
        return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


@dataclass
class SigningProfile:
    account: str
    region: str
    name: str
    platform_id: str
    validity: dict[str, Any]
    created_at: datetime
    version: str = ""  # SignerService.put_profile gives every profile version its (emulator-derived) id
    signing_material: dict[str, str] | None = None
    signing_parameters: dict[str, str] | None = None
    overrides: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "Active"
    status_reason: str | None = None
    revocation: dict[str, Any] | None = None  # revocationEffectiveFrom / revokedAt / revokedBy (datetimes)
    permissions: list[dict[str, str]] = field(default_factory=list)
    revision_id: str = ""

    @property
    def arn(self) -> str:
        return f"arn:aws:signer:{self.region}:{self.account}:/signing-profiles/{self.name}"

    @property
    def version_arn(self) -> str:
        return f"{self.arn}/{self.version}"

    def expiry_for(self, signed_at: datetime) -> datetime:
        v = int(self.validity.get("value", 135))
        t = self.validity.get("type", "MONTHS")
        delta = {"DAYS": relativedelta(days=v), "MONTHS": relativedelta(months=v),
                 "YEARS": relativedelta(years=v)}[t]
        return signed_at + delta

    def allows(self, caller: str, action: str) -> bool:
        if caller == self.account:
            return True
        for p in self.permissions:
            if p.get("action") not in (action, "signer:*"):
                continue
            principal = p.get("principal", "")
            if principal in ("*", caller) or principal.startswith(f"arn:aws:iam::{caller}:"):
                return True
        return False

    def summary(self) -> dict[str, Any]:
        """SigningProfile list item / GetSigningProfile body."""
        out = {
            "profileName": self.name,
            "profileVersion": self.version,
            "profileVersionArn": self.version_arn,
            "signingMaterial": self.signing_material,
            "signatureValidityPeriod": self.validity,
            "platformId": self.platform_id,
            "platformDisplayName": _display_name(self.platform_id),
            "signingParameters": self.signing_parameters,
            "status": self.status,
            "arn": self.arn,
            "tags": self.tags or None,
        }
        return _drop_none(out)


@dataclass
class SigningJob:
    job_id: str
    owner: str
    invoker: str
    region: str
    profile: SigningProfile
    created_at: datetime
    expires_at: datetime
    source: dict[str, Any]
    signed_object: dict[str, Any] | None
    requested_by: str
    status: str = "Succeeded"
    status_reason: str | None = None
    completed_at: datetime | None = None
    revocation: dict[str, Any] | None = None  # reason / revokedAt (datetime) / revokedBy
    signed_sha256: str | None = None  # base64, like Lambda's CodeSha256

    @property
    def arn(self) -> str:
        return f"arn:aws:signer:{self.region}:{self.owner}:/signing-jobs/{self.job_id}"


@dataclass
class Verification:
    """What Lambda's code-signing check would conclude about one artifact."""

    signed: bool
    job: SigningJob | None = None
    trusted_publisher: bool = False
    expired: bool = False
    job_revoked: bool = False
    profile_revoked: bool = False

    @property
    def ok(self) -> bool:
        return (self.signed and self.trusted_publisher and not self.expired
                and not self.job_revoked and not self.profile_revoked)

    @property
    def reason(self) -> str:
        if not self.signed:
            return "unsigned"
        if self.job_revoked:
            return "job-revoked"
        if self.profile_revoked:
            return "profile-revoked"
        if self.expired:
            return "signature-expired"
        if not self.trusted_publisher:
            return "untrusted-publisher"
        return "valid"


def embed_signature(data: bytes, record: dict[str, Any]) -> bytes:
    """Return ``data`` (a zip) with a signature record as its zip comment."""
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as z:
        z.comment = ("aws-signer:" + json.dumps(record, sort_keys=True)).encode()[:65535]
    return buf.getvalue()


def b64sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class SignerService:
    def __init__(self, emu: "Emulator"):
        self.emu = emu
        self._lock = threading.RLock()
        self.profiles: dict[tuple[str, str, str], SigningProfile] = {}
        self.profile_versions: dict[str, SigningProfile] = {}  # version ARN -> profile
        self.jobs: dict[str, SigningJob] = {}
        self.artifacts: dict[str, SigningJob] = {}  # signed content sha256 (b64) -> job

    # ------------------------------------------------------------------ helpers
    def _now(self) -> datetime:
        return self.emu.clock.now()

    def _caller_arn(self, account: str) -> str:
        return f"arn:aws:iam::{account}:user/pkgscan-test"

    def get_profile(self, account: str, region: str, name: str) -> SigningProfile:
        p = self.profiles.get((account, region, name))
        if p is None:
            raise ApiError("ResourceNotFoundException",
                           f"Signing profile {name} does not exist", 404)
        return p

    def _profile_version(self, p: SigningProfile, version: str | None) -> SigningProfile:
        if not version or version == p.version:
            return p
        arn = f"{p.arn}/{version}"
        if arn in self.profile_versions:
            return self.profile_versions[arn]
        raise ApiError("ResourceNotFoundException", f"Profile version {version} does not exist", 404)

    # -------------------------------------------------------- direct (seeding) API
    def put_profile(self, account: str, region: str, name: str, *,
                    platform_id: str = LAMBDA_PLATFORM,
                    validity: dict[str, Any] | None = None,
                    signing_material: dict[str, str] | None = None,
                    tags: dict[str, str] | None = None,
                    signing_parameters: dict[str, str] | None = None,
                    overrides: dict[str, Any] | None = None) -> SigningProfile:
        if platform_id not in {p["platformId"] for p in _platforms()}:
            raise ApiError("ValidationException", f"Unknown platform {platform_id}", 400)
        prof = SigningProfile(account, region, name, platform_id,
                              validity or {"value": 135, "type": "MONTHS"}, self._now(),
                              signing_material=signing_material, tags=dict(tags or {}),
                              signing_parameters=signing_parameters, overrides=overrides,
                              version=self.emu.ids.chars("profile-version", 10, string.ascii_letters + string.digits),
                              revision_id=self.emu.ids.uuid("profile-revision"))
        with self._lock:
            self.profiles[(account, region, name)] = prof
            self.profile_versions[prof.version_arn] = prof
        return prof

    def sign_bytes(self, caller: str, region: str, profile_name: str, data: bytes, *,
                   profile_owner: str | None = None, source: dict[str, Any] | None = None,
                   destination: dict[str, Any] | None = None) -> tuple[SigningJob, bytes]:
        owner = profile_owner or caller
        prof = self.get_profile(owner, region, profile_name)
        if not prof.allows(caller, "signer:StartSigningJob"):
            raise ApiError("AccessDeniedException",
                           f"User: {self._caller_arn(caller)} is not authorized to perform: "
                           f"signer:StartSigningJob on resource: {prof.arn}", 403)
        if prof.status != "Active":
            raise ApiError("ValidationException",
                           f"Signing profile {profile_name} is {prof.status}", 400)
        now = self._now()
        job_id = self.emu.ids.uuid("signing-job")
        record = {"jobId": job_id, "profileVersionArn": prof.version_arn,
                  "signedAt": now.isoformat(), "platformId": prof.platform_id}
        signed = embed_signature(data, record)
        job = SigningJob(
            job_id=job_id, owner=caller, invoker=caller, region=region, profile=prof,
            created_at=now, completed_at=now, expires_at=prof.expiry_for(now),
            source=source or {}, signed_object=None, requested_by=self._caller_arn(caller),
            signed_sha256=b64sha256(signed),
        )
        if destination is not None:
            job.signed_object = destination
        with self._lock:
            self.jobs[job_id] = job
            self.artifacts[job.signed_sha256] = job
        return job, signed

    def revoke_signature(self, caller: str, job_id: str, reason: str) -> SigningJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError("ResourceNotFoundException", f"Job {job_id} does not exist", 404)
        if caller not in (job.owner, job.invoker) and not job.profile.allows(caller, "signer:RevokeSignature"):
            raise ApiError("AccessDeniedException", "Not authorized to revoke this signature", 403)
        job.revocation = {"reason": reason, "revokedAt": self._now(), "revokedBy": self._caller_arn(caller)}
        return job

    def revoke_profile(self, caller: str, region: str, name: str, version: str, reason: str,
                       effective: datetime) -> SigningProfile:
        prof = self._profile_version(self.get_profile(caller, region, name), version)
        prof.status = "Revoked"
        prof.status_reason = reason
        prof.revocation = {"revocationEffectiveFrom": effective, "revokedAt": self._now(),
                           "revokedBy": self._caller_arn(caller)}
        return prof

    def verify(self, sha256_b64: str | None, allowed_version_arns: list[str],
               at: datetime | None = None) -> Verification:
        at = at or self._now()
        job = self.artifacts.get(sha256_b64 or "")
        if job is None:
            return Verification(signed=False)
        prof = job.profile
        rev = prof.revocation
        return Verification(
            signed=True, job=job,
            trusted_publisher=prof.version_arn in allowed_version_arns,
            expired=job.expires_at <= at,
            job_revoked=job.revocation is not None,
            profile_revoked=bool(rev and rev["revocationEffectiveFrom"] <= job.created_at),
        )

    # --------------------------------------------------------------- wire API
    def handle(self, info: RequestInfo) -> tuple[int, dict[str, str], bytes]:
        op = info.operation
        fn = getattr(self, f"op_{op}", None)
        if fn is None:
            raise ApiError("ValidationException", f"Operation {op} is not supported by the emulator", 400)
        with self._lock:
            result = fn(info)
        status = 200
        if isinstance(result, tuple):
            status, result = result
        return status, {"Content-Type": "application/json"}, json.dumps(result or {}).encode()

    def op_ListSigningPlatforms(self, info):
        return {"platforms": _platforms()}

    def op_GetSigningPlatform(self, info):
        pid = info.path_params["platformId"]
        for p in _platforms():
            if p["platformId"] == pid:
                return p
        raise ApiError("ResourceNotFoundException", f"Platform {pid} not found", 404)

    def op_PutSigningProfile(self, info):
        body = info.json()
        prof = self.put_profile(
            info.account, info.region, info.path_params["profileName"],
            platform_id=body.get("platformId") or "",
            validity=body.get("signatureValidityPeriod"),
            signing_material=body.get("signingMaterial"), tags=body.get("tags"),
            signing_parameters=body.get("signingParameters"), overrides=body.get("overrides"))
        return {"arn": prof.arn, "profileVersion": prof.version, "profileVersionArn": prof.version_arn}

    def op_GetSigningProfile(self, info):
        owner = info.q("profileOwner") or info.account
        prof = self.get_profile(owner, info.region, info.path_params["profileName"])
        if not prof.allows(info.account, "signer:GetSigningProfile"):
            raise ApiError("AccessDeniedException",
                           f"User: {self._caller_arn(info.account)} is not authorized to perform: "
                           f"signer:GetSigningProfile on resource: {prof.arn}", 403)
        out = prof.summary()
        if prof.overrides:
            out["overrides"] = prof.overrides
        if prof.status_reason:
            out["statusReason"] = prof.status_reason
        if prof.revocation:
            out["revocationRecord"] = {k: _ts(v) if isinstance(v, datetime) else v
                                       for k, v in prof.revocation.items()}
        return out

    def op_CancelSigningProfile(self, info):
        prof = self.get_profile(info.account, info.region, info.path_params["profileName"])
        prof.status = "Canceled"
        return {}

    def op_RevokeSigningProfile(self, info):
        body = info.json()
        for k in ("profileVersion", "reason", "effectiveTime"):
            if k not in body:
                raise ApiError("ValidationException", f"{k} is required", 400)
        self.revoke_profile(info.account, info.region, info.path_params["profileName"],
                            body["profileVersion"], body["reason"], _parse_ts(body["effectiveTime"]))
        return {}

    def op_ListSigningProfiles(self, info):
        include_canceled = (info.q("includeCanceled") or "false").lower() == "true"
        statuses = info.query.get("statuses") or []
        platform = info.q("platformId")
        profs = sorted((p for (a, r, _), p in self.profiles.items()
                        if a == info.account and r == info.region), key=lambda p: p.name)
        profs = [p for p in profs
                 if (include_canceled or p.status != "Canceled")
                 and (not statuses or p.status in statuses)
                 and (not platform or p.platform_id == platform)]
        page, token = _paginate(profs, info.q("nextToken"), info.q("maxResults"), 25)
        out: dict[str, Any] = {"profiles": [p.summary() for p in page]}
        if token:
            out["nextToken"] = token
        return out

    def op_AddProfilePermission(self, info):
        prof = self.get_profile(info.account, info.region, info.path_params["profileName"])
        body = info.json()
        stmt = {"action": body.get("action", ""), "principal": body.get("principal", ""),
                "statementId": body.get("statementId", ""),
                "profileVersion": body.get("profileVersion") or prof.version}
        prof.permissions.append(stmt)
        prof.revision_id = self.emu.ids.uuid("profile-revision")
        return {"revisionId": prof.revision_id}

    def op_ListProfilePermissions(self, info):
        prof = self.get_profile(info.account, info.region, info.path_params["profileName"])
        return {"revisionId": prof.revision_id, "permissions": list(prof.permissions),
                "policySizeBytes": len(json.dumps(prof.permissions))}

    def op_RemoveProfilePermission(self, info):
        prof = self.get_profile(info.account, info.region, info.path_params["profileName"])
        sid = info.path_params["statementId"]
        prof.permissions = [p for p in prof.permissions if p.get("statementId") != sid]
        prof.revision_id = self.emu.ids.uuid("profile-revision")
        return {"revisionId": prof.revision_id}

    def op_StartSigningJob(self, info):
        body = info.json()
        src = (body.get("source") or {}).get("s3") or {}
        dst = (body.get("destination") or {}).get("s3") or {}
        if not src.get("bucketName") or not src.get("key") or not dst.get("bucketName"):
            raise ApiError("ValidationException", "source.s3 and destination.s3 are required", 400)
        data = self.emu.s3_get(info.account, src["bucketName"], src["key"], src.get("version"))
        if data is None:
            raise ApiError("ValidationException",
                           f"Unable to read s3://{src['bucketName']}/{src['key']}", 400)
        job, signed = self.sign_bytes(info.account, info.region, body.get("profileName", ""), data,
                                      profile_owner=body.get("profileOwner"), source={"s3": src})
        key = f"{dst.get('prefix') or ''}{job.job_id}.zip"
        self.emu.s3_put(info.account, dst["bucketName"], key, signed)
        job.signed_object = {"s3": {"bucketName": dst["bucketName"], "key": key}}
        return {"jobId": job.job_id, "jobOwner": job.owner}

    def _visible_job(self, info, job_id: str) -> SigningJob:
        job = self.jobs.get(job_id)
        if job is None or info.account not in (job.owner, job.invoker):
            raise ApiError("ResourceNotFoundException", f"Job {job_id} does not exist", 404)
        return job

    def op_DescribeSigningJob(self, info):
        job = self._visible_job(info, info.path_params["jobId"])
        prof = job.profile
        out = {
            "jobId": job.job_id,
            "source": job.source,
            "signingMaterial": prof.signing_material,
            "platformId": prof.platform_id,
            "platformDisplayName": _display_name(prof.platform_id),
            "profileName": prof.name,
            "profileVersion": prof.version,
            "overrides": prof.overrides,
            "signingParameters": prof.signing_parameters,
            "createdAt": _ts(job.created_at),
            "completedAt": _ts(job.completed_at),
            "signatureExpiresAt": _ts(job.expires_at),
            "requestedBy": job.requested_by,
            "status": job.status,
            "statusReason": job.status_reason,
            "signedObject": job.signed_object,
            "jobOwner": job.owner,
            "jobInvoker": job.invoker,
        }
        if job.revocation:
            out["revocationRecord"] = {k: _ts(v) if isinstance(v, datetime) else v
                                       for k, v in job.revocation.items()}
        return _drop_none(out)

    def op_RevokeSignature(self, info):
        body = info.json()
        if "reason" not in body:
            raise ApiError("ValidationException", "reason is required", 400)
        self.revoke_signature(info.account, info.path_params["jobId"], body["reason"])
        return {}

    def op_ListSigningJobs(self, info):
        q = info.q
        jobs = sorted((j for j in self.jobs.values()
                       if j.region == info.region and info.account in (j.owner, j.invoker)),
                      key=lambda j: (j.created_at, j.job_id))
        if q("status"):
            jobs = [j for j in jobs if j.status == q("status")]
        if q("platformId"):
            jobs = [j for j in jobs if j.profile.platform_id == q("platformId")]
        if q("isRevoked") is not None:
            want = q("isRevoked").lower() == "true"
            jobs = [j for j in jobs if (j.revocation is not None) == want]
        page, token = _paginate(jobs, q("nextToken"), q("maxResults"), 25)
        out: dict[str, Any] = {"jobs": [_drop_none({
            "jobId": j.job_id, "source": j.source, "signedObject": j.signed_object,
            "signingMaterial": j.profile.signing_material, "createdAt": _ts(j.created_at),
            "status": j.status, "isRevoked": j.revocation is not None,
            "profileName": j.profile.name, "profileVersion": j.profile.version,
            "platformId": j.profile.platform_id,
            "platformDisplayName": _display_name(j.profile.platform_id),
            "signatureExpiresAt": _ts(j.expires_at), "jobOwner": j.owner, "jobInvoker": j.invoker,
        }) for j in page]}
        if token:
            out["nextToken"] = token
        return out

    def op_ListTagsForResource(self, info):
        arn = info.path_params.get("resourceArn", "")
        for p in self.profiles.values():
            if p.arn == arn:
                return {"tags": p.tags}
        raise ApiError("NotFoundException", f"{arn} not found", 404)


def _paginate(items: list, token: str | None, max_results: str | None, default: int):
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except Exception:
            raise ApiError("ValidationException", "Invalid nextToken", 400)
    n = default
    if max_results:
        n = max(1, min(int(max_results), 25))
    page = items[start : start + n]
    nxt = None
    if start + n < len(items):
        nxt = base64.urlsafe_b64encode(str(start + n).encode()).decode()
    return page, nxt
