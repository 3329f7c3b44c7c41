"""A realistic account for end-to-end scans: ``build_account(emu) -> Manifest``.

Everything is created through boto3 against the emulator (S3, IAM, Lambda, Signer,
Organizations); only faults and the clock are set directly.  The manifest says, for
every function version and layer version, what a correct scan must report.

Layout (defaults: 200 functions, 20 layers, regions us-east-1 / eu-west-1 / ap-southeast-2):

* regions[0] ("primary"): ~55% of the functions, all code-signing cases, one container
  image function, published versions + aliases, and three functions whose first download
  fails (expired URL, corrupted bytes, dropped connection);
* regions[1] ("throttled"): ~30%; ListFunctions and GetFunction answer 429 twice each
  (boto3 standard retries absorb that); one container image function;
* regions[-1] ("denied"): ~15%; after the build every call in it is AccessDenied
  (an SCP-style region deny), so its functions are expected ``failed``/``access-denied``.

Code: 30 distinct function zips (18 from python-function.zip, 12 from node-function.zip,
each with one small extra handler file), shared by many functions; signed copies add
further hashes.  Layers: python-layer*.zip / node-layer*.zip, 1-3 versions each (each
version distinct), one signed layer version.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import time
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from .server import Emulator

SAMPLES = Path(__file__).resolve().parents[2] / "sample_packages"

#: AWS Lambda "deprecation date" (end of standard support) per runtime.
RUNTIME_DEPRECATION: dict[str, date] = {
    "python3.7": date(2023, 12, 4),
    "python3.8": date(2024, 10, 14),
    "python3.9": date(2025, 12, 15),
    "python3.12": date(2028, 10, 31),
    "python3.13": date(2029, 6, 30),
    "nodejs14.x": date(2023, 12, 4),
    "nodejs16.x": date(2024, 6, 12),
    "nodejs18.x": date(2025, 9, 1),
    "nodejs20.x": date(2026, 4, 30),
    "nodejs22.x": date(2027, 4, 30),
}
PY_RUNTIMES = ["python3.12", "python3.12", "python3.13", "python3.13", "python3.9", "python3.8", "python3.7"]
NODE_RUNTIMES = ["nodejs22.x", "nodejs22.x", "nodejs22.x", "nodejs20.x", "nodejs18.x", "nodejs16.x", "nodejs14.x"]
PARTNER_ACCOUNT = "210987654321"
N_PY_VARIANTS, N_NODE_VARIANTS = 18, 12
FIXED_DT = (2024, 1, 2, 3, 4, 6)

LAYER_SOURCES = [
    ("python-layer.zip", "python", ["python3.12", "python3.13", "python3.9"]),
    ("node-layer.zip", "nodejs", ["nodejs18.x", "nodejs20.x", "nodejs22.x"]),
    ("python-layer-sitepackages.zip", "python", ["python3.12"]),
    ("node-layer-node20.zip", "nodejs", ["nodejs20.x", "nodejs22.x"]),
]


# ----------------------------------------------------------------------------- manifest


@dataclass
class SigningExpectation:
    """What the signing checks must find for one function version.

    verdict, by precedence: ``no-config`` (no CSC, no signature), ``unsigned`` (CSC attached,
    no signature), ``job-revoked``, ``profile-revoked`` (revocation effective before the
    signing job), ``signature-expired``, ``untrusted-publisher`` (profile version not in the
    CSC's AllowedPublishers), ``cross-account-unverified`` (profile owned by another account,
    GetSigningProfile denied; job is fine), ``valid``.
    """

    code_signing_config_arn: str | None = None
    policy: str | None = None  # "Enforce" | "Warn" | None
    allowed_publishers: list[str] = field(default_factory=list)
    signed: bool = False  # SigningProfileVersionArn/SigningJobArn in the configuration
    signing_profile_version_arn: str | None = None
    signing_job_arn: str | None = None
    profile_name: str | None = None
    profile_owner: str | None = None
    cross_account: bool = False
    profile_readable: bool | None = None  # GetSigningProfile allowed for the scanning account
    profile_status: str | None = None  # Active | Revoked | Canceled (as the owner sees it)
    profile_revoked_before_signing: bool = False
    publisher_allowed: bool | None = None
    job_status: str | None = None
    job_revoked: bool = False
    signature_expired: bool = False
    verdict: str = "no-config"


@dataclass
class ExpectedFunction:
    name: str
    region: str
    account: str
    function_arn: str  # unqualified
    qualified_arn: str  # ...:$LATEST or ...:N
    version: str  # "$LATEST" or "N"
    is_latest: bool
    aliases: list[str]
    package_type: str  # "Zip" | "Image"
    runtime: str | None
    runtime_deprecation_date: str | None
    runtime_verdict: str | None  # "deprecated" | "supported" (as of Manifest.as_of)
    expected_status: str  # "scanned" | "not-scanned" | "failed"
    reason: str | None  # None | "access-denied"
    code_sha256: str  # base64, = CodeSha256 (image: digest hex)
    code_size: int
    code_variant: str | None  # e.g. "python-function#07", "python-function#03+signed"
    base_sample: str | None  # sample_packages zip whose *.expected.json lists the components
    image_uri: str | None
    layers: list[str]  # layer version ARNs
    signing: SigningExpectation
    faults: list[str]  # "throttled-region" | "expired-url" | "corrupt-download" | "dropped-download"


@dataclass
class ExpectedLayerVersion:
    layer_name: str
    region: str
    layer_arn: str
    layer_version_arn: str
    version: int
    code_sha256: str
    code_size: int
    base_sample: str
    compatible_runtimes: list[str]
    signing_profile_version_arn: str | None
    signing_job_arn: str | None
    used_by: list[str]  # qualified function ARNs
    expected_status: str  # "scanned" | "failed"
    reason: str | None


@dataclass
class Manifest:
    account_id: str
    regions: list[str]
    primary_region: str
    throttled_region: str | None
    denied_region: str | None
    as_of: str
    functions: list[ExpectedFunction] = field(default_factory=list)
    layers: list[ExpectedLayerVersion] = field(default_factory=list)
    code_signing_configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    signing_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # version ARN -> info
    signing_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # job ARN -> info
    faults: list[dict[str, Any]] = field(default_factory=list)
    organization_accounts: list[str] = field(default_factory=list)
    build_seconds: float = 0.0

    def function(self, arn: str) -> ExpectedFunction:
        """By qualified ARN, or unqualified ARN (= $LATEST)."""
        for f in self.functions:
            if f.qualified_arn == arn or (f.is_latest and f.function_arn == arn):
                return f
        raise KeyError(arn)

    def latest(self) -> list[ExpectedFunction]:
        return [f for f in self.functions if f.is_latest]

    def by_status(self, status: str) -> list[ExpectedFunction]:
        return [f for f in self.functions if f.expected_status == status]

    def scanned_code_hashes(self, include_layers: bool = True, latest_only: bool = False) -> set[str]:
        """Distinct zips a full scan has to download (each exactly once)."""
        out = {f.code_sha256 for f in self.functions  # zips: images are read blob by blob from ECR
               if f.expected_status == "scanned" and f.package_type == "Zip" and (f.is_latest or not latest_only)}
        if include_layers:
            out |= {l.code_sha256 for l in self.layers if l.expected_status == "scanned"
                    and (l.used_by or not latest_only)}
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), indent=kw.pop("indent", 2), sort_keys=True, **kw)


# ----------------------------------------------------------------------------- helpers


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def add_file(data: bytes, name: str, content: bytes) -> bytes:
    """Copy of zip ``data`` with one more (deterministic) member."""
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as z:
        zi = zipfile.ZipInfo(name, date_time=FIXED_DT)
        zi.external_attr = 0o644 << 16
        zi.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(zi, content)
    return buf.getvalue()


def _py_variant(base: bytes, i: int) -> bytes:
    src = (f'"""Handler helper, build variant {i}."""\n\nVARIANT = {i}\n\n\n'
           f"def handler(event, context):\n    return {{\"variant\": VARIANT}}\n").encode()
    return add_file(base, f"emulator_variant_{i:02d}.py", src)


def _node_variant(base: bytes, i: int) -> bytes:
    src = (f"// Handler helper, build variant {i}.\nexports.variant = {i};\n"
           f"exports.handler = async () => ({{ variant: {i} }});\n").encode()
    return add_file(base, f"emulator_variant_{i:02d}.js", src)


class _Builder:
    def __init__(self, emu: Emulator, functions: int, layers: int, regions: tuple[str, ...],
                 seed: int, org_accounts: int, as_of: date | None):
        if functions < 20:
            raise ValueError("build_account needs at least 20 functions")
        self.emu = emu
        self.n_functions = functions
        self.n_layers = layers
        self.regions = list(regions)
        self.rng = random.Random(seed)
        self.org_accounts = org_accounts
        self.account = emu.account_id
        self.primary = self.regions[0]
        self.throttled = self.regions[1] if len(self.regions) >= 2 else None
        self.denied = self.regions[-1] if len(self.regions) >= 3 else None
        self.as_of = as_of or emu.clock.now().date()
        self.m = Manifest(self.account, self.regions, self.primary, self.throttled, self.denied,
                          self.as_of.isoformat())
        self.clients: dict[tuple[str, str, str | None], Any] = {}
        self.role_arn = ""
        self.buckets: dict[str, str] = {}
        self.uploaded: dict[tuple[str, str], tuple[str, str]] = {}  # (region, variant) -> (key, version)
        self.variant_bytes: dict[str, bytes] = {}
        self.variant_sample: dict[str, str] = {}
        self.layer_versions: dict[str, ExpectedLayerVersion] = {}  # arn -> expected
        self.layers_by_region: dict[str, dict[str, list[str]]] = {}  # region -> family -> [arn]
        self.signed: dict[str, dict[str, Any]] = {}  # job arn -> info

    def c(self, service: str, region: str | None = None, account: str | None = None):
        key = (service, region or self.primary, account)
        if key not in self.clients:
            self.clients[key] = self.emu.client(service, region or self.primary, account=account)
        return self.clients[key]

    # ------------------------------------------------------------------ setup
    def base(self) -> None:
        self.role_arn = self.c("iam").create_role(
            RoleName="pkgscan-emu-lambda", Path="/service-role/",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
        for r in self.regions:
            bucket = f"pkgscan-emu-{self.account}-{r}"
            s3 = self.c("s3", r)
            kw = {} if r == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": r}}
            s3.create_bucket(Bucket=bucket, **kw)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            self.buckets[r] = bucket
        py = (SAMPLES / "python-function.zip").read_bytes()
        node = (SAMPLES / "node-function.zip").read_bytes()
        for i in range(N_PY_VARIANTS):
            v = f"python-function#{i:02d}"
            self.variant_bytes[v] = _py_variant(py, i)
            self.variant_sample[v] = "python-function.zip"
        for i in range(N_NODE_VARIANTS):
            v = f"node-function#{i:02d}"
            self.variant_bytes[v] = _node_variant(node, i)
            self.variant_sample[v] = "node-function.zip"

    def s3_code(self, region: str, variant: str) -> dict[str, str]:
        if (region, variant) not in self.uploaded:
            key = f"code/{variant.replace('#', '-')}.zip"
            r = self.c("s3", region).put_object(Bucket=self.buckets[region], Key=key,
                                                Body=self.variant_bytes[variant])
            self.uploaded[(region, variant)] = (key, r.get("VersionId", "null"))
        key, ver = self.uploaded[(region, variant)]
        return {"S3Bucket": self.buckets[region], "S3Key": key}

    # ------------------------------------------------------------------ signing
    def signing_setup(self) -> None:
        r = self.primary
        sg = self.c("signer", r)

        def profile(name: str, validity: dict[str, Any] | None = None, owner_client=None) -> str:
            client = owner_client or sg
            kw = {"signatureValidityPeriod": validity} if validity else {}
            res = client.put_signing_profile(profileName=name, platformId="AWSLambda-SHA384-ECDSA", **kw)
            return res["profileVersionArn"]

        self.p_app = profile("AppSigner")
        self.p_other = profile("OtherSigner")
        self.p_rev_early = profile("RevokedEarlySigner")
        self.p_rev_late = profile("RevokedLateSigner")
        self.p_short = profile("ShortLivedSigner", {"value": 1, "type": "DAYS"})
        partner = self.c("signer", r, PARTNER_ACCOUNT)
        self.p_partner = profile("PartnerSigner", owner_client=partner)
        partner.add_profile_permission(profileName="PartnerSigner", action="signer:StartSigningJob",
                                       principal=self.account, statementId="main-account-signs")
        lam = self.c("lambda", r)

        def csc(allowed: list[str], policy: str, desc: str) -> str:
            arn = lam.create_code_signing_config(
                Description=desc, AllowedPublishers={"SigningProfileVersionArns": allowed},
                CodeSigningPolicies={"UntrustedArtifactOnDeployment": policy},
            )["CodeSigningConfig"]["CodeSigningConfigArn"]
            self.m.code_signing_configs[arn] = {"region": r, "policy": policy, "allowed": allowed,
                                                "description": desc}
            return arn

        self.csc_enforce = csc([self.p_app, self.p_rev_early, self.p_rev_late, self.p_short,
                                self.p_partner], "Enforce", "enforce: trusted publishers")
        self.csc_warn = csc([self.p_app], "Warn", "warn only")
        self.csc_late = csc([self.p_app], "Enforce", "attached after deployment")
        for arn, name, owner in [(self.p_app, "AppSigner", None), (self.p_other, "OtherSigner", None),
                                 (self.p_rev_early, "RevokedEarlySigner", None),
                                 (self.p_rev_late, "RevokedLateSigner", None),
                                 (self.p_short, "ShortLivedSigner", None),
                                 (self.p_partner, "PartnerSigner", PARTNER_ACCOUNT)]:
            self.m.signing_profiles[arn] = {"name": name, "owner": owner or self.account,
                                            "region": r, "status": "Active",
                                            "readable": owner is None}

    def sign(self, region: str, data: bytes, label: str, profile_name: str,
             profile_owner: str | None = None) -> tuple[dict[str, str], str, bytes]:
        """Upload, StartSigningJob, return (Code/Content S3 spec, job ARN, signed bytes)."""
        s3 = self.c("s3", region)
        bucket = self.buckets[region]
        key = f"unsigned/{label}.zip"
        ver = s3.put_object(Bucket=bucket, Key=key, Body=data).get("VersionId", "null")
        kw = {"profileOwner": profile_owner} if profile_owner else {}
        sg = self.c("signer", region)
        job = sg.start_signing_job(
            source={"s3": {"bucketName": bucket, "key": key, "version": ver}},
            destination={"s3": {"bucketName": bucket, "prefix": "signed/"}},
            profileName=profile_name, **kw)
        d = sg.describe_signing_job(jobId=job["jobId"])
        skey = d["signedObject"]["s3"]["key"]
        signed = s3.get_object(Bucket=bucket, Key=skey)["Body"].read()
        job_arn = f"arn:aws:signer:{region}:{job['jobOwner']}:/signing-jobs/{job['jobId']}"
        self.signed[job_arn] = {"job_id": job["jobId"], "profile": profile_name,
                                "profile_owner": profile_owner or self.account,
                                "created_at": d["createdAt"], "expires_at": d["signatureExpiresAt"]}
        self.m.signing_jobs[job_arn] = {"job_id": job["jobId"], "profile_name": profile_name,
                                        "profile_owner": profile_owner or self.account,
                                        "status": d["status"], "revoked": False,
                                        "signature_expires_at": d["signatureExpiresAt"].isoformat()}
        return {"S3Bucket": bucket, "S3Key": skey}, job_arn, signed

    # ------------------------------------------------------------------ layers
    def make_layers(self) -> None:
        weights = [0.5, 0.3, 0.2] if len(self.regions) >= 3 else [1.0 / len(self.regions)] * len(self.regions)
        counts = [int(round(self.n_layers * w)) for w in weights[: len(self.regions)]]
        counts[0] += self.n_layers - sum(counts)
        sources = {name: (SAMPLES / name).read_bytes() for name, _, _ in LAYER_SOURCES}
        li = 0
        for region, count in zip(self.regions, counts):
            lam = self.c("lambda", region)
            self.layers_by_region[region] = {"python": [], "nodejs": []}
            for k in range(count):
                sample, family, runtimes = LAYER_SOURCES[li % len(LAYER_SOURCES)]
                name = f"{'py' if family == 'python' else 'node'}-{sample.split('.')[0].split('-', 1)[1]}-{li:02d}"
                nver = 1 + (li % 3)
                for v in range(1, nver + 1):
                    data = add_file(sources[sample], f"{family}/emulator_layer_{li:02d}_v{v}.txt",
                                    f"layer {name} version {v}\n".encode())
                    res = lam.publish_layer_version(
                        LayerName=name, Description=f"{sample} v{v}", Content={"ZipFile": data},
                        CompatibleRuntimes=runtimes, CompatibleArchitectures=["x86_64"],
                        LicenseInfo="MIT")
                    self._record_layer(res, region, name, sample, runtimes, data)
                li += 1
        # one signed layer version in the primary region (for the Enforce functions)
        src = add_file(sources["python-layer.zip"], "python/emulator_signed_layer.txt", b"signed\n")
        content, job_arn, signed = self.sign(self.primary, src, "layer-signed", "AppSigner")
        res = self.c("lambda", self.primary).publish_layer_version(
            LayerName="py-signed-common", Description="signed layer", Content=content,
            CompatibleRuntimes=["python3.12", "python3.13"], LicenseInfo="MIT")
        assert res["Content"].get("SigningJobArn") == job_arn, res["Content"]
        self.signed_layer = self._record_layer(res, self.primary, "py-signed-common",
                                               "python-layer.zip", ["python3.12", "python3.13"], signed,
                                               pool=False)

    def _record_layer(self, res, region, name, sample, runtimes, data, pool=True) -> str:
        arn = res["LayerVersionArn"]
        assert res["Content"]["CodeSha256"] == b64sha(data)
        denied = region == self.denied
        self.layer_versions[arn] = ExpectedLayerVersion(
            layer_name=name, region=region, layer_arn=res["LayerArn"], layer_version_arn=arn,
            version=res["Version"], code_sha256=res["Content"]["CodeSha256"],
            code_size=res["Content"]["CodeSize"], base_sample=sample, compatible_runtimes=runtimes,
            signing_profile_version_arn=res["Content"].get("SigningProfileVersionArn"),
            signing_job_arn=res["Content"].get("SigningJobArn"), used_by=[],
            expected_status="failed" if denied else "scanned", reason="access-denied" if denied else None)
        if pool:
            family = "python" if sample.startswith("python") else "nodejs"
            self.layers_by_region[region][family].append(arn)
        return arn

    # ------------------------------------------------------------------ functions
    def region_counts(self) -> list[int]:
        if len(self.regions) == 1:
            return [self.n_functions]
        if len(self.regions) == 2:
            w = [0.6, 0.4]
        else:
            w = [0.55, 0.30] + [0.15 / (len(self.regions) - 2)] * (len(self.regions) - 2)
        counts = [int(self.n_functions * x) for x in w]
        counts[0] += self.n_functions - sum(counts)
        return counts

    def create(self, region: str, name: str, *, variant: str | None, runtime: str | None,
               code: dict[str, Any] | None = None, layers: list[str] | None = None,
               csc: str | None = None, image: str | None = None, publish: bool = False) -> dict:
        kw: dict[str, Any] = {"FunctionName": name, "Role": self.role_arn, "Timeout": 10,
                              "MemorySize": 256, "Tags": {"app": "pkgscan-emulator"}}
        if image:
            kw.update(PackageType="Image", Code={"ImageUri": image})
        else:
            kw.update(Runtime=runtime, PackageType="Zip", Code=code or self.s3_code(region, variant),
                      Handler="lambda_function.handler" if runtime.startswith("python") else "index.handler")
        if layers:
            kw["Layers"] = layers
        if csc:
            kw["CodeSigningConfigArn"] = csc
        if publish:
            kw["Publish"] = True
        return self.c("lambda", region).create_function(**kw)

    def expect(self, region: str, cfg: dict, *, variant: str | None, aliases: list[str] | None = None,
               signing: SigningExpectation | None = None, faults: list[str] | None = None,
               qualified: str | None = None, version: str = "$LATEST") -> ExpectedFunction:
        name = cfg["FunctionName"]
        base = f"arn:aws:lambda:{region}:{self.account}:function:{name}"
        runtime = cfg.get("Runtime")
        image = cfg.get("PackageType") == "Image"
        dep = RUNTIME_DEPRECATION.get(runtime or "")
        if region == self.denied:
            status, reason = "failed", "access-denied"
        else:  # container images are scanned too (pushed to the emulated ECR)
            status, reason = "scanned", None
        ef = ExpectedFunction(
            name=name, region=region, account=self.account, function_arn=base,
            qualified_arn=qualified or f"{base}:{version}", version=version, is_latest=version == "$LATEST",
            aliases=aliases or [], package_type="Image" if image else "Zip", runtime=runtime,
            runtime_deprecation_date=dep.isoformat() if dep else None,
            runtime_verdict=(None if dep is None else ("deprecated" if self.as_of >= dep else "supported")),
            expected_status=status, reason=reason, code_sha256=cfg["CodeSha256"],
            code_size=cfg.get("CodeSize", 0), code_variant=variant,
            base_sample=self.variant_sample.get((variant or "").split("+")[0]) if not image else None,
            image_uri=None, layers=[l["Arn"] for l in cfg.get("Layers", [])],
            signing=signing or SigningExpectation(),
            faults=list(faults or []) + (["throttled-region"] if region == self.throttled else []))
        if not image and variant and "+" not in variant:
            assert ef.code_sha256 == b64sha(self.variant_bytes[variant]), (name, variant)
        for l in ef.layers:
            self.layer_versions[l].used_by.append(ef.qualified_arn)
        self.m.functions.append(ef)
        return ef

    def pick_layers(self, region: str, family: str) -> list[str]:
        pool = self.layers_by_region.get(region, {}).get(family, [])
        n = self.rng.choice([0, 0, 1, 1, 1, 2])
        if not pool or n == 0:
            return []
        chosen: list[str] = []
        for arn in self.rng.sample(pool, min(n, len(pool))):
            if arn.rsplit(":", 1)[0] not in {c.rsplit(":", 1)[0] for c in chosen}:
                chosen.append(arn)
        return chosen

    def ordinary_functions(self) -> None:
        counts = self.region_counts()
        # python #15-#17: only the download-fault targets; python #13-#14 and node #11: only the
        # throttled region (so a scanner that dedupes by CodeSha256 still has to GetFunction there)
        reserved = {f"python-function#{i:02d}" for i in (13, 14, 15, 16, 17)}
        exclusive = ["python-function#13", "python-function#14", "node-function#11"]
        general_py = [f"python-function#{i:02d}" for i in range(N_PY_VARIANTS)
                      if f"python-function#{i:02d}" not in reserved]
        general_node = [f"node-function#{i:02d}" for i in range(N_NODE_VARIANTS - 1)]
        specials = 15  # signing (11) + image + 3 fault targets in the primary region
        for ri, (region, count) in enumerate(zip(self.regions, counts)):
            n = count - (specials if region == self.primary else 0)
            if region == self.throttled:
                n -= 1  # its image function
                self.image_function(region, "img-worker")
            short = region.replace("-", "")[:6] + region[-1]
            py_pool, node_pool = list(general_py), list(general_node)
            if region == self.throttled or (self.throttled is None and region == self.primary):
                py_pool += exclusive[:2]
                node_pool += exclusive[2:]
            for i in range(n):
                family = "python" if self.rng.random() < 0.6 else "nodejs"
                if family == "python":
                    variant = py_pool[(i * 7 + ri) % len(py_pool)]
                    runtime = self.rng.choice(PY_RUNTIMES)
                else:
                    variant = node_pool[(i * 5 + ri) % len(node_pool)]
                    runtime = self.rng.choice(NODE_RUNTIMES)
                name = f"{'py' if family == 'python' else 'js'}-{short}-{i:03d}"
                layers = self.pick_layers(region, family)
                with_versions = region != self.denied and i % 10 == 3
                if not with_versions:
                    cfg = self.create(region, name, variant=variant, runtime=runtime, layers=layers)
                    self.expect(region, cfg, variant=variant)
                    continue
                # published versions 1 and 2 (different code), $LATEST with a third, aliases
                pool = py_pool if family == "python" else node_pool
                v2 = pool[(pool.index(variant) + 1) % len(pool)]
                v3 = pool[(pool.index(variant) + 2) % len(pool)]
                lam = self.c("lambda", region)
                c1 = self.create(region, name, variant=variant, runtime=runtime, layers=layers, publish=True)
                c2 = lam.update_function_code(FunctionName=name, Publish=True, **self.s3_code(region, v2))
                c3 = lam.update_function_code(FunctionName=name, **self.s3_code(region, v3))
                lam.create_alias(FunctionName=name, Name="live", FunctionVersion=c2["Version"])
                lam.create_alias(FunctionName=name, Name="previous", FunctionVersion=c1["Version"])
                self.expect(region, c1, variant=variant, aliases=["previous"], version=c1["Version"])
                self.expect(region, c2, variant=v2, aliases=["live"], version=c2["Version"])
                self.expect(region, c3, variant=v3)

    def image_function(self, region: str, name: str) -> None:
        # a real image in the emulated ECR (tests/aws_emulator/oci_images.py): the function's code
        # (python-function.zip) in /var/task over a base layer; pkgscan scans it
        from .oci_images import layer as oci_layer, image as oci_image, zip_files

        top = oci_image([oci_layer({"var/task/README": b"base layer\n"}),
                         oci_layer(zip_files(SAMPLES / "python-function.zip", "var/task"))])
        digest = self.emu.ecr.push(top, f"pkgscan-{name}", region=region).split(":", 1)[1]
        uri = f"{self.account}.dkr.ecr.{region}.amazonaws.com/pkgscan-{name}@sha256:{digest}"
        cfg = self.create(region, name, variant=None, runtime=None, image=uri)
        assert cfg["CodeSha256"] == digest
        ef = self.expect(region, cfg, variant=None)
        ef.image_uri = uri

    def fault_targets(self) -> None:
        r = self.primary
        for kind, variant in (("expired-url", "python-function#15"),
                              ("corrupt-download", "python-function#16"),
                              ("dropped-download", "python-function#17")):
            name = f"py-{kind}"
            cfg = self.create(r, name, variant=variant, runtime="python3.12")
            self.expect(r, cfg, variant=variant, faults=[kind])

    def signing_functions(self) -> None:
        r = self.primary
        lam = self.c("lambda", r)
        sg = self.c("signer", r)
        py = lambda i: f"python-function#{i:02d}"  # noqa: E731

        def signed_fn(name: str, variant: str, profile: str, csc: str | None, *, owner=None,
                      layers=None, runtime="python3.12"):
            data = self.variant_bytes[variant]
            code, job_arn, signed = self.sign(r, data, name, profile, owner)
            cfg = self.create(r, name, variant=None, runtime=runtime, code=code, layers=layers, csc=csc)
            assert cfg["CodeSha256"] == b64sha(signed)
            assert cfg.get("SigningJobArn") == job_arn, cfg
            return cfg, job_arn

        def sig(csc: str, cfg: dict, job_arn: str | None, verdict: str, **kw) -> SigningExpectation:
            info = self.m.code_signing_configs[csc]
            prof_arn = cfg.get("SigningProfileVersionArn")
            pinfo = self.m.signing_profiles.get(prof_arn or "", {})
            return SigningExpectation(
                code_signing_config_arn=csc, policy=info["policy"], allowed_publishers=info["allowed"],
                signed=job_arn is not None, signing_profile_version_arn=prof_arn, signing_job_arn=job_arn,
                profile_name=pinfo.get("name"), profile_owner=pinfo.get("owner"),
                cross_account=bool(pinfo) and pinfo.get("owner") != self.account,
                profile_readable=pinfo.get("readable") if pinfo else None,
                profile_status="Active" if pinfo else None,
                publisher_allowed=(prof_arn in info["allowed"]) if prof_arn else None,
                job_status="Succeeded" if job_arn else None, verdict=verdict, **kw)

        made: list[tuple[str, dict, SigningExpectation, str]] = []
        # valid, Enforce (one with the signed layer)
        for name, v, layers in (("sig-valid", py(0), None), ("sig-valid-layer", py(1), [self.signed_layer])):
            cfg, job = signed_fn(name, v, "AppSigner", self.csc_enforce, layers=layers)
            made.append((name, cfg, sig(self.csc_enforce, cfg, job, "valid"), f"{v}+signed"))
        # Warn: unsigned code deployed anyway
        cfg = self.create(r, "sig-warn-unsigned", variant=py(2), runtime="python3.12", csc=self.csc_warn)
        made.append(("sig-warn-unsigned", cfg, sig(self.csc_warn, cfg, None, "unsigned"), py(2)))
        # Warn: signed by a profile that is not an allowed publisher
        cfg, job = signed_fn("sig-warn-untrusted", py(3), "OtherSigner", self.csc_warn)
        made.append(("sig-warn-untrusted", cfg, sig(self.csc_warn, cfg, job, "untrusted-publisher"),
                     f"{py(3)}+signed"))
        # Enforce CSC attached after an unsigned deployment
        cfg = self.create(r, "sig-csc-after-deploy", variant=py(4), runtime="python3.12")
        lam.put_function_code_signing_config(CodeSigningConfigArn=self.csc_late,
                                             FunctionName="sig-csc-after-deploy")
        made.append(("sig-csc-after-deploy", cfg, sig(self.csc_late, cfg, None, "unsigned"), py(4)))
        # revoked signing job
        cfg, job = signed_fn("sig-job-revoked", py(5), "AppSigner", self.csc_enforce)
        sg.revoke_signature(jobId=self.signed[job]["job_id"], reason="key compromise drill")
        self.m.signing_jobs[job]["revoked"] = True
        made.append(("sig-job-revoked", cfg, sig(self.csc_enforce, cfg, job, "job-revoked", job_revoked=True),
                     f"{py(5)}+signed"))
        # revoked profile, revocation effective before the job
        cfg, job = signed_fn("sig-profile-revoked", py(6), "RevokedEarlySigner", self.csc_enforce)
        ver = self.p_rev_early.rsplit("/", 1)[1]
        sg.revoke_signing_profile(profileName="RevokedEarlySigner", profileVersion=ver,
                                  reason="compromised", effectiveTime=self.signed[job]["created_at"] - timedelta(days=1))
        self.m.signing_profiles[self.p_rev_early]["status"] = "Revoked"
        e = sig(self.csc_enforce, cfg, job, "profile-revoked", profile_revoked_before_signing=True)
        e.profile_status = "Revoked"
        made.append(("sig-profile-revoked", cfg, e, f"{py(6)}+signed"))
        # revoked profile, but revocation effective only after the job (signature stays valid)
        self.emu.clock.advance(-2 * 86400)
        try:
            cfg, job = signed_fn("sig-profile-revoked-later", py(7), "RevokedLateSigner", self.csc_enforce)
        finally:
            self.emu.clock.advance(2 * 86400)
        ver = self.p_rev_late.rsplit("/", 1)[1]
        sg.revoke_signing_profile(profileName="RevokedLateSigner", profileVersion=ver,
                                  reason="rotated", effectiveTime=self.signed[job]["created_at"] + timedelta(days=1))
        self.m.signing_profiles[self.p_rev_late]["status"] = "Revoked"
        e = sig(self.csc_enforce, cfg, job, "valid")
        e.profile_status = "Revoked"
        made.append(("sig-profile-revoked-later", cfg, e, f"{py(7)}+signed"))
        # expired signature: signed and deployed "5 days ago" with a 1-day validity
        self.emu.clock.advance(-5 * 86400)
        try:
            cfg, job = signed_fn("sig-expired", py(8), "ShortLivedSigner", self.csc_enforce)
        finally:
            self.emu.clock.advance(5 * 86400)
        made.append(("sig-expired", cfg, sig(self.csc_enforce, cfg, job, "signature-expired",
                                             signature_expired=True), f"{py(8)}+signed"))
        # cross-account signing profile (GetSigningProfile is not shared with us)
        cfg, job = signed_fn("sig-cross-account", py(9), "PartnerSigner", self.csc_enforce,
                             owner=PARTNER_ACCOUNT)
        made.append(("sig-cross-account", cfg, sig(self.csc_enforce, cfg, job, "cross-account-unverified"),
                     f"{py(9)}+signed"))
        # node function signed, valid
        cfg, job = signed_fn("sig-valid-node", "node-function#00", "AppSigner", self.csc_enforce,
                             runtime="nodejs22.x")
        made.append(("sig-valid-node", cfg, sig(self.csc_enforce, cfg, job, "valid"), "node-function#00+signed"))
        for name, cfg, e, variant in made:
            self.expect(r, cfg, variant=variant, signing=e)
        assert len(made) == 11

    def organization(self) -> None:
        if self.org_accounts <= 0:
            return
        org = self.c("organizations", "us-east-1")
        org.create_organization(FeatureSet="ALL")
        for i in range(self.org_accounts):
            org.create_account(AccountName=f"member-{i:02d}", Email=f"member-{i:02d}@example.com")
        ids = []
        for page in org.get_paginator("list_accounts").paginate():
            ids += [a["Id"] for a in page["Accounts"]]
        self.m.organization_accounts = sorted(ids)

    def faults(self) -> None:
        m = self.m
        if self.throttled:
            for op in ("ListFunctions", "GetFunction"):
                m.faults.append({"kind": "throttle", "service": "lambda", "operation": op,
                                 "region": self.throttled, "times": 2})
        if self.denied:
            m.faults.append({"kind": "deny", "region": self.denied, "times": None})
        base = f"arn:aws:lambda:{self.primary}:{self.account}:function:"
        for kind in ("expired-url", "corrupt-download", "dropped-download"):
            m.faults.append({"kind": kind, "resource": base + f"py-{kind}", "times": 1})
        arm_faults(self.emu, m)

    def run(self) -> Manifest:
        t0 = time.perf_counter()
        self.base()
        self.signing_setup()
        self.make_layers()
        self.signing_functions()
        self.image_function(self.primary, "img-api")
        self.fault_targets()
        self.ordinary_functions()
        self.organization()
        self.m.layers = sorted(self.layer_versions.values(), key=lambda l: (l.region, l.layer_version_arn))
        self.m.functions.sort(key=lambda f: (f.region, f.name, f.version != "$LATEST",
                                             int(f.version) if f.version.isdigit() else 0))
        self.faults()
        self.emu.log.clear()
        self.m.build_seconds = round(time.perf_counter() - t0, 2)
        return self.m


def build_account(emu: Emulator, *, functions: int = 200, layers: int = 20,
                  regions: tuple[str, ...] = ("us-east-1", "eu-west-1", "ap-southeast-2"),
                  seed: int = 20240601, org_accounts: int = 24, as_of: date | None = None) -> Manifest:
    """Create the account in ``emu`` and return what a correct scan must report.

    Faults are armed and the request log is cleared at the end, so the log then holds
    only the scan's own traffic.
    """
    return _Builder(emu, functions, layers, tuple(regions), seed, org_accounts, as_of).run()


def arm_faults(emu: Emulator, manifest: Manifest) -> None:
    """(Re-)arm the scenario's faults, e.g. before a second scan of the same account."""
    f = emu.faults
    f.clear()
    for spec in manifest.faults:
        kind = spec["kind"]
        if kind == "throttle":
            f.throttle(spec["times"], service=spec["service"], operation=spec["operation"],
                       region=spec["region"], retry_after=1)
        elif kind == "deny":
            f.deny_region(spec["region"])
        elif kind == "expired-url":
            f.expire_download(spec["resource"], times=spec["times"])
        elif kind == "corrupt-download":
            f.corrupt_download(spec["resource"], times=spec["times"])
        elif kind == "dropped-download":
            f.drop_download(spec["resource"], times=spec["times"])
