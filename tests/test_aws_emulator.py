"""Tests of the AWS emulator itself (tests/aws_emulator), with plain boto3 over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from botocore.exceptions import ClientError

from tests.aws_emulator import Emulator, arm_faults

REGION = "us-east-1"


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def tiny_zip(tag: str, prefix: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo(f"{prefix}handler_{tag}.py", (2024, 1, 1, 0, 0, 0)),
                   f"def handler(e, c):\n    return {tag!r}\n")
    return buf.getvalue()


def error_code(exc: ClientError) -> str:
    return exc.response["Error"]["Code"]


@pytest.fixture(scope="module")
def emu():
    with Emulator() as e:
        iam = e.client("iam")
        e.role = iam.create_role(RoleName="emu-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        yield e
        assert not e.bugs, e.bugs


@pytest.fixture(autouse=True)
def _reset(request):
    yield
    if "emu" in request.fixturenames:
        e = request.getfixturevalue("emu")
        e.faults.clear()
        e.clock.set_offset(0)
        e.allowed_actions = None


def make_fn(emu, name, *, region=REGION, data=None, runtime="python3.12", **kw):
    lam = emu.client("lambda", region)
    return lam.create_function(FunctionName=name, Runtime=runtime, Role=emu.role, Handler="h.handler",
                               Code={"ZipFile": data if data is not None else tiny_zip(name)}, **kw)


# ----------------------------------------------------------------------------- basics


def test_sts_ec2_and_log_basics(emu):
    emu.log.clear()
    assert emu.client("sts").get_caller_identity()["Account"] == emu.account_id
    regions = {r["RegionName"] for r in emu.client("ec2").describe_regions()["Regions"]}
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= regions
    ops = emu.log.operations()
    assert ops[("sts", "GetCallerIdentity")] == 1 and ops[("ec2", "DescribeRegions")] == 1
    assert {"sts:GetCallerIdentity", "ec2:DescribeRegions"} <= emu.log.iam_actions()
    call = emu.log.api_calls(service="ec2")[0]
    assert call.region == REGION and call.status == 200 and call.handled_by == "moto"


def test_list_functions_pagination(emu):
    region = "eu-north-1"
    lam = emu.client("lambda", region)
    for i in range(57):
        make_fn(emu, f"pg-{i:02d}", region=region)
    lam.publish_version(FunctionName="pg-03")
    emu.log.clear()
    first = lam.list_functions(MaxItems=7)
    assert len(first["Functions"]) == 7 and first["NextMarker"]
    capped = lam.list_functions(MaxItems=500)
    assert len(capped["Functions"]) == 50 and "NextMarker" in capped
    names = [f["FunctionName"] for p in lam.get_paginator("list_functions").paginate(
        PaginationConfig={"PageSize": 8}) for f in p["Functions"]]
    assert names == sorted(f"pg-{i:02d}" for i in range(57))
    assert emu.log.count(operation="ListFunctions") == 2 + 8
    all_arns = [f["FunctionArn"] for p in lam.get_paginator("list_functions").paginate(FunctionVersion="ALL")
                for f in p["Functions"]]
    assert len(all_arns) == 58 == len(set(all_arns))
    assert [a for a in all_arns if ":pg-03:" in a] == [
        f"arn:aws:lambda:{region}:{emu.account_id}:function:pg-03:$LATEST",
        f"arn:aws:lambda:{region}:{emu.account_id}:function:pg-03:1"]
    unqualified = lam.list_functions(MaxItems=1)["Functions"][0]
    assert unqualified["FunctionArn"].endswith(":function:pg-00") and unqualified["Version"] == "$LATEST"
    with pytest.raises(ClientError) as ei:
        lam.list_functions(Marker="not-a-marker")
    assert error_code(ei.value) == "InvalidParameterValueException"


def test_versions_and_aliases_pagination(emu):
    lam = emu.client("lambda")
    make_fn(emu, "versioned")
    for i in range(5):
        lam.update_function_code(FunctionName="versioned", ZipFile=tiny_zip(f"v{i}"), Publish=True)
    lam.create_alias(FunctionName="versioned", Name="live", FunctionVersion="5")
    lam.create_alias(FunctionName="versioned", Name="old", FunctionVersion="1")
    pages = list(lam.get_paginator("list_versions_by_function").paginate(
        FunctionName="versioned", PaginationConfig={"PageSize": 2}))
    versions = [v["Version"] for p in pages for v in p["Versions"]]
    assert len(pages) == 3 and versions == ["$LATEST", "1", "2", "3", "4", "5"]
    assert pages[0]["Versions"][0]["FunctionArn"].endswith(":versioned:$LATEST")
    hashes = [v["CodeSha256"] for p in pages for v in p["Versions"]]
    assert hashes[1] == b64sha(tiny_zip("v0")) and hashes[5] == b64sha(tiny_zip("v4"))
    aliases = [a["Name"] for p in lam.get_paginator("list_aliases").paginate(
        FunctionName="versioned", PaginationConfig={"PageSize": 1}) for a in p["Aliases"]]
    assert aliases == ["live", "old"]
    by_alias = lam.get_function(FunctionName="versioned", Qualifier="live")
    assert by_alias["Configuration"]["Version"] == "5"
    assert by_alias["Configuration"]["CodeSha256"] == b64sha(tiny_zip("v4"))
    assert requests.get(by_alias["Code"]["Location"]).content == tiny_zip("v4")


# ----------------------------------------------------------------------------- downloads


def test_presigned_download_and_hash(emu):
    from tests.aws_emulator.scenario import SAMPLES

    data = (SAMPLES / "node-function.zip").read_bytes()
    make_fn(emu, "dl-node", data=data, runtime="nodejs22.x")
    emu.log.clear()
    res = emu.client("lambda").get_function(FunctionName="dl-node")
    loc = res["Code"]["Location"]
    assert res["Code"]["RepositoryType"] == "S3"
    q = parse_qs(urlsplit(loc).query)
    assert urlsplit(loc).path.startswith("/download/")
    assert q["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and q["X-Amz-Expires"] == ["600"]
    assert {"X-Amz-Date", "X-Amz-Signature", "X-Amz-Credential"} <= set(q)
    r = requests.get(loc)
    assert r.status_code == 200 and r.content == data
    assert b64sha(r.content) == res["Configuration"]["CodeSha256"] == b64sha(data)
    assert res["Configuration"]["CodeSize"] == len(data)
    part = requests.get(loc, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == data[:100]
    d = emu.log.download_list()[0]
    assert d.complete and d.kind == "function" and d.code_sha256 == b64sha(data)
    assert d.target.endswith(":function:dl-node:$LATEST")
    assert emu.log.completed_downloads_by_hash()[b64sha(data)] == 1


def test_download_expiry_tamper_and_auth(emu):
    make_fn(emu, "dl-expire")
    loc = emu.client("lambda").get_function(FunctionName="dl-expire")["Code"]["Location"]
    parts = urlsplit(loc)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}

    tampered = urlunsplit(parts._replace(query=urlencode({**q, "X-Amz-Expires": "86400"})))
    r = requests.get(tampered)
    assert r.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in r.content
    other_token = urlunsplit(parts._replace(path="/download/someoneelse"))
    assert requests.get(other_token).status_code == 403
    r = requests.get(loc, headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x/y"})
    assert r.status_code == 400 and b"InvalidArgument" in r.content

    emu.clock.advance(601)
    r = requests.get(loc)
    assert r.status_code == 403
    assert b"<Code>AccessDenied</Code>" in r.content and b"Request has expired" in r.content
    emu.clock.set_offset(0)
    assert requests.get(loc).status_code == 200
    fresh = emu.client("lambda").get_function(FunctionName="dl-expire")["Code"]["Location"]
    assert fresh != loc


def test_download_faults(emu):
    lam = emu.client("lambda")
    for n in ("f-exp", "f-cor", "f-drop"):
        make_fn(emu, n)
    arn = f"arn:aws:lambda:{REGION}:{emu.account_id}:function:"
    emu.faults.expire_download(arn + "f-exp")
    emu.faults.corrupt_download("f-cor")
    emu.faults.drop_download(arn + "f-drop")
    emu.log.clear()

    loc = lam.get_function(FunctionName="f-exp")["Code"]["Location"]
    r = requests.get(loc)
    assert r.status_code == 403 and b"Request has expired" in r.content
    assert requests.get(loc).content == tiny_zip("f-exp")  # only the first download fails

    loc = lam.get_function(FunctionName="f-cor")["Code"]["Location"]
    bad = requests.get(loc).content
    assert len(bad) == len(tiny_zip("f-cor")) and bad != tiny_zip("f-cor")
    assert requests.get(loc).content == tiny_zip("f-cor")

    loc = lam.get_function(FunctionName="f-drop")["Code"]["Location"]
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(loc).content
    assert requests.get(loc).content == tiny_zip("f-drop")

    faults = [(d.function_name, d.fault, d.complete) for d in emu.log.download_list()]
    assert faults == [("f-exp", "expire", False), ("f-exp", None, True), ("f-cor", "corrupt", False),
                      ("f-cor", None, True), ("f-drop", "drop", False), ("f-drop", None, True)]


# ----------------------------------------------------------------------------- layers


def test_layers(emu):
    region = "ca-central-1"
    lam = emu.client("lambda", region)
    for i in range(4):
        for v in range(3):
            lam.publish_layer_version(LayerName=f"lay-{i}", Content={"ZipFile": tiny_zip(f"{i}.{v}", "python/")},
                                      CompatibleRuntimes=["python3.12"] if i % 2 else ["nodejs22.x"])
    layers = [l for p in lam.get_paginator("list_layers").paginate(PaginationConfig={"PageSize": 3})
              for l in p["Layers"]]
    assert [l["LayerName"] for l in layers] == ["lay-0", "lay-1", "lay-2", "lay-3"]
    assert layers[1]["LatestMatchingVersion"]["Version"] == 3
    assert layers[1]["LatestMatchingVersion"]["CompatibleRuntimes"] == ["python3.12"]
    py = lam.list_layers(CompatibleRuntime="python3.12")["Layers"]
    assert [l["LayerName"] for l in py] == ["lay-1", "lay-3"]
    pages = list(lam.get_paginator("list_layer_versions").paginate(LayerName="lay-1",
                                                                   PaginationConfig={"PageSize": 2}))
    assert [v["Version"] for p in pages for v in p["LayerVersions"]] == [3, 2, 1] and len(pages) == 2
    arn = pages[0]["LayerVersions"][1]["LayerVersionArn"]
    assert arn == f"arn:aws:lambda:{region}:{emu.account_id}:layer:lay-1:2"
    by_arn = lam.get_layer_version_by_arn(Arn=arn)
    by_name = lam.get_layer_version(LayerName="lay-1", VersionNumber=2)
    for lv in (by_arn, by_name):
        assert lv["LayerVersionArn"] == arn and lv["Version"] == 2
        assert lv["Content"]["CodeSha256"] == b64sha(tiny_zip("1.1", "python/"))
        assert requests.get(lv["Content"]["Location"]).content == tiny_zip("1.1", "python/")
    with pytest.raises(ClientError) as ei:
        lam.get_layer_version_by_arn(Arn=arn[:-1] + "9")
    assert error_code(ei.value) == "ResourceNotFoundException"
    fn = make_fn(emu, "with-layers", region=region, Layers=[arn])
    assert fn["Layers"] == [{"Arn": arn, "CodeSize": len(tiny_zip("1.1", "python/"))}]


def test_image_function(emu):
    digest = "ab" * 32
    uri = f"{emu.account_id}.dkr.ecr.{REGION}.amazonaws.com/app@sha256:{digest}"
    emu.client("lambda").create_function(FunctionName="img", Role=emu.role, PackageType="Image",
                                         Code={"ImageUri": uri})
    res = emu.client("lambda").get_function(FunctionName="img")
    assert res["Configuration"]["PackageType"] == "Image"
    assert res["Configuration"]["CodeSha256"] == digest
    assert res["Code"] == {"RepositoryType": "ECR", "ImageUri": uri, "ResolvedImageUri": uri}


# ----------------------------------------------------------------------------- code signing


def _signed_upload(emu, s3, bucket, key, data):
    ver = s3.put_object(Bucket=bucket, Key=key, Body=data)["VersionId"]
    return {"s3": {"bucketName": bucket, "key": key, "version": ver}}


def test_signer_and_code_signing_round_trip(emu):
    region = "eu-central-1"
    lam, sg, s3 = (emu.client(s, region) for s in ("lambda", "signer", "s3"))
    bucket = f"sign-{emu.account_id}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

    prof = sg.put_signing_profile(profileName="Rt_Signer", platformId="AWSLambda-SHA384-ECDSA",
                                  signatureValidityPeriod={"value": 6, "type": "MONTHS"})
    assert prof["profileVersionArn"] == f"{prof['arn']}/{prof['profileVersion']}"
    assert prof["arn"] == f"arn:aws:signer:{region}:{emu.account_id}:/signing-profiles/Rt_Signer"
    got = sg.get_signing_profile(profileName="Rt_Signer")
    assert got["status"] == "Active" and got["signatureValidityPeriod"] == {"value": 6, "type": "MONTHS"}
    assert "revocationRecord" not in got

    csc = lam.create_code_signing_config(
        AllowedPublishers={"SigningProfileVersionArns": [prof["profileVersionArn"]]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"})["CodeSigningConfig"]
    assert csc["CodeSigningConfigArn"].startswith(f"arn:aws:lambda:{region}:{emu.account_id}:code-signing-config:csc-")
    assert lam.get_code_signing_config(CodeSigningConfigArn=csc["CodeSigningConfigArn"])["CodeSigningConfig"] == csc

    # unsigned code is blocked under Enforce
    with pytest.raises(ClientError) as ei:
        lam.create_function(FunctionName="cs-unsigned", Runtime="python3.12", Role=emu.role, Handler="h.h",
                            Code={"ZipFile": tiny_zip("u")}, CodeSigningConfigArn=csc["CodeSigningConfigArn"])
    assert error_code(ei.value) == "CodeVerificationFailedException"

    job = sg.start_signing_job(source=_signed_upload(emu, s3, bucket, "src/a.zip", tiny_zip("a")),
                               destination={"s3": {"bucketName": bucket, "prefix": "signed/"}},
                               profileName="Rt_Signer")
    assert job["jobOwner"] == emu.account_id
    desc = sg.describe_signing_job(jobId=job["jobId"])
    assert desc["status"] == "Succeeded" and desc["profileName"] == "Rt_Signer"
    assert desc["profileVersion"] == prof["profileVersion"] and desc["jobOwner"] == emu.account_id
    assert desc["platformId"] == "AWSLambda-SHA384-ECDSA"
    assert timedelta(days=180) <= desc["signatureExpiresAt"] - desc["createdAt"] <= timedelta(days=185)
    key = desc["signedObject"]["s3"]["key"]
    assert key == f"signed/{job['jobId']}.zip"
    signed = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert signed != tiny_zip("a") and zipfile.ZipFile(io.BytesIO(signed)).read("handler_a.py")

    fn = lam.create_function(FunctionName="cs-signed", Runtime="python3.12", Role=emu.role, Handler="h.h",
                             Code={"S3Bucket": bucket, "S3Key": key},
                             CodeSigningConfigArn=csc["CodeSigningConfigArn"])
    job_arn = f"arn:aws:signer:{region}:{emu.account_id}:/signing-jobs/{job['jobId']}"
    assert fn["SigningProfileVersionArn"] == prof["profileVersionArn"] and fn["SigningJobArn"] == job_arn
    assert fn["CodeSha256"] == b64sha(signed)
    for cfg in (lam.get_function(FunctionName="cs-signed")["Configuration"],
                lam.get_function_configuration(FunctionName="cs-signed"),
                [f for f in lam.list_functions()["Functions"] if f["FunctionName"] == "cs-signed"][0]):
        assert cfg["SigningProfileVersionArn"] == prof["profileVersionArn"] and cfg["SigningJobArn"] == job_arn
    fcsc = lam.get_function_code_signing_config(FunctionName="cs-signed")
    assert (fcsc["CodeSigningConfigArn"], fcsc["FunctionName"]) == (csc["CodeSigningConfigArn"], "cs-signed")

    # no config attached: empty ARN, as real Lambda answers
    lam.create_function(FunctionName="cs-none", Runtime="python3.12", Role=emu.role, Handler="h.h",
                        Code={"ZipFile": tiny_zip("n")})
    none = lam.get_function_code_signing_config(FunctionName="cs-none")
    assert none["CodeSigningConfigArn"] == "" and none["FunctionName"] == "cs-none"
    assert "SigningJobArn" not in lam.get_function_configuration(FunctionName="cs-none")
    lam.put_function_code_signing_config(CodeSigningConfigArn=csc["CodeSigningConfigArn"], FunctionName="cs-none")
    assert lam.get_function_code_signing_config(FunctionName="cs-none")["CodeSigningConfigArn"] == csc["CodeSigningConfigArn"]
    assert sorted(lam.list_functions_by_code_signing_config(
        CodeSigningConfigArn=csc["CodeSigningConfigArn"])["FunctionArns"]) == [
        f"arn:aws:lambda:{region}:{emu.account_id}:function:cs-none",
        f"arn:aws:lambda:{region}:{emu.account_id}:function:cs-signed"]

    # revocations
    sg.revoke_signature(jobId=job["jobId"], reason="test revoke")
    rr = sg.describe_signing_job(jobId=job["jobId"])["revocationRecord"]
    assert rr["reason"] == "test revoke" and rr["revokedBy"] and isinstance(rr["revokedAt"], datetime)
    eff = datetime.now(timezone.utc) - timedelta(days=1)
    sg.revoke_signing_profile(profileName="Rt_Signer", profileVersion=prof["profileVersion"],
                              reason="compromised", effectiveTime=eff)
    got = sg.get_signing_profile(profileName="Rt_Signer")
    assert got["status"] == "Revoked" and got["statusReason"] == "compromised"
    assert abs((got["revocationRecord"]["revocationEffectiveFrom"] - eff).total_seconds()) < 1
    assert set(got["revocationRecord"]) == {"revocationEffectiveFrom", "revokedAt", "revokedBy"}
    jobs = sg.list_signing_jobs(isRevoked=True)["jobs"]
    assert [j["jobId"] for j in jobs] == [job["jobId"]]
    with pytest.raises(ClientError) as ei:
        sg.describe_signing_job(jobId="00000000-0000-0000-0000-000000000000")
    assert error_code(ei.value) == "ResourceNotFoundException"


def test_warn_policy_and_cross_account_profile(emu):
    region = "eu-west-3"
    partner_account = "210987654321"
    lam, sg, s3 = (emu.client(s, region) for s in ("lambda", "signer", "s3"))
    partner = emu.client("signer", region, account=partner_account)
    bucket = f"xacct-{emu.account_id}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    pp = partner.put_signing_profile(profileName="Partner", platformId="AWSLambda-SHA384-ECDSA")
    src = _signed_upload(emu, s3, bucket, "x.zip", tiny_zip("x"))
    dst = {"s3": {"bucketName": bucket, "prefix": "s/"}}
    with pytest.raises(ClientError) as ei:
        sg.start_signing_job(source=src, destination=dst, profileName="Partner", profileOwner=partner_account)
    assert error_code(ei.value) == "AccessDeniedException"
    partner.add_profile_permission(profileName="Partner", action="signer:StartSigningJob",
                                   principal=emu.account_id, statementId="s1")
    job = sg.start_signing_job(source=src, destination=dst, profileName="Partner", profileOwner=partner_account)
    with pytest.raises(ClientError) as ei:
        sg.get_signing_profile(profileName="Partner", profileOwner=partner_account)
    assert error_code(ei.value) == "AccessDeniedException"
    partner.add_profile_permission(profileName="Partner", action="signer:GetSigningProfile",
                                   principal=emu.account_id, statementId="s2")
    assert sg.get_signing_profile(profileName="Partner", profileOwner=partner_account)["profileVersionArn"] == \
        pp["profileVersionArn"]
    own = sg.put_signing_profile(profileName="Own", platformId="AWSLambda-SHA384-ECDSA")
    warn = lam.create_code_signing_config(
        AllowedPublishers={"SigningProfileVersionArns": [own["profileVersionArn"]]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"})["CodeSigningConfig"]["CodeSigningConfigArn"]
    key = sg.describe_signing_job(jobId=job["jobId"])["signedObject"]["s3"]["key"]
    fn = lam.create_function(FunctionName="warn-untrusted", Runtime="python3.12", Role=emu.role, Handler="h.h",
                             Code={"S3Bucket": bucket, "S3Key": key}, CodeSigningConfigArn=warn)
    assert fn["SigningProfileVersionArn"] == pp["profileVersionArn"]  # deployed despite untrusted publisher
    unsigned = lam.create_function(FunctionName="warn-unsigned", Runtime="python3.12", Role=emu.role,
                                   Handler="h.h", Code={"ZipFile": tiny_zip("w")}, CodeSigningConfigArn=warn)
    assert "SigningJobArn" not in unsigned


# ----------------------------------------------------------------------------- faults


def test_throttling_is_retried_then_surfaces(emu):
    region = "us-west-2"
    lam = emu.client("lambda", region)
    make_fn(emu, "thr", region=region)
    emu.log.clear()
    emu.faults.throttle(2, service="lambda", operation="ListFunctions", region=region, retry_after=1)
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["thr"]
    calls = emu.log.api_calls(operation="ListFunctions")
    assert [c.status for c in calls] == [429, 429, 200] and calls[0].fault == "throttle"

    emu.faults.throttle(4, service="lambda", operation="GetFunction", resource="thr")
    with pytest.raises(ClientError) as ei:
        lam.get_function(FunctionName="thr")
    assert error_code(ei.value) == "TooManyRequestsException"
    assert ei.value.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    assert ei.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    no_retry = emu.client("lambda", region, retries={"total_max_attempts": 1, "mode": "standard"})
    with pytest.raises(ClientError):
        no_retry.get_function(FunctionName="thr")
    assert no_retry.get_function(FunctionName="thr")["Configuration"]["FunctionName"] == "thr"


def test_server_errors_denied_region_and_policy(emu):
    lam = emu.client("lambda", "sa-east-1", retries={"total_max_attempts": 1, "mode": "standard"})
    emu.faults.server_error(1, status=503, service="lambda", region="sa-east-1")
    with pytest.raises(ClientError) as ei:
        lam.list_functions()
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert lam.list_functions()["Functions"] == []

    emu.faults.deny_region("ap-south-1")
    for svc, code in (("lambda", "AccessDeniedException"), ("signer", "AccessDeniedException"),
                      ("sts", "AccessDenied"), ("ec2", "UnauthorizedOperation")):
        c = emu.client(svc, "ap-south-1")
        call = {"lambda": lambda: c.list_functions(), "signer": lambda: c.list_signing_profiles(),
                "sts": lambda: c.get_caller_identity(), "ec2": lambda: c.describe_regions()}[svc]
        with pytest.raises(ClientError) as ei:
            call()
        assert error_code(ei.value) == code, svc
    assert emu.client("lambda", "us-east-1").list_functions(MaxItems=1)

    emu.faults.clear()
    emu.allowed_actions = {"lambda:List*", "sts:GetCallerIdentity"}
    assert emu.client("lambda").list_functions(MaxItems=1)
    with pytest.raises(ClientError) as ei:
        emu.client("lambda").get_function(FunctionName="thr-none")
    assert error_code(ei.value) == "AccessDeniedException"
    assert "lambda:GetFunction" in ei.value.response["Error"]["Message"]


def test_dropped_api_connection_is_retried(emu):
    lam = emu.client("lambda", "us-east-2")
    emu.faults.drop_api(1, service="lambda", operation="ListFunctions", region="us-east-2")
    emu.log.clear()
    assert lam.list_functions()["Functions"] == []
    assert emu.log.count(operation="ListFunctions") == 2


def test_organizations_list_accounts_pagination(emu):
    org = emu.client("organizations")
    org.create_organization(FeatureSet="ALL")
    for i in range(23):
        org.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")
    pages = list(org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 5}))
    ids = [a["Id"] for p in pages for a in p["Accounts"]]
    assert len(pages) == 5 and len(ids) == 24 == len(set(ids)) and emu.account_id in ids


def test_two_emulators_are_isolated():
    with Emulator() as a, Emulator() as b:
        assert a.account_id != b.account_id and a.endpoint_url != b.endpoint_url
        for e in (a, b):
            e.role = e.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        make_fn(a, "only-in-a")
        assert [f["FunctionName"] for f in a.client("lambda").list_functions()["Functions"]] == ["only-in-a"]
        assert b.client("lambda").list_functions()["Functions"] == []


# ----------------------------------------------------------------------------- full scenario


def _reference_scan(emu, m):
    """A minimal, correct scanner written with plain boto3, used to validate the manifest."""
    seen: dict[str, dict] = {}
    downloaded: set[str] = set()
    denied = []

    def fetch(get_location, sha):
        for _ in range(3):
            loc = get_location()
            try:
                r = requests.get(loc, timeout=30)
            except requests.exceptions.RequestException:
                continue
            if r.status_code == 200 and b64sha(r.content) == sha:
                return r.content
        raise AssertionError(f"could not download {sha}")

    for region in m.regions:
        lam = emu.client("lambda", region)
        sg = emu.client("signer", region)
        try:
            fns = [f for p in lam.get_paginator("list_functions").paginate(FunctionVersion="ALL")
                   for f in p["Functions"]]
        except ClientError as e:
            assert error_code(e) == "AccessDeniedException"
            denied.append(region)
            continue
        for f in fns:
            seen[f["FunctionArn"]] = f
            if f.get("PackageType") == "Image" or f["CodeSha256"] in downloaded:
                continue
            fetch(lambda: lam.get_function(FunctionName=f["FunctionArn"])["Code"]["Location"], f["CodeSha256"])
            downloaded.add(f["CodeSha256"])
        for layer in [l for p in lam.get_paginator("list_layers").paginate() for l in p["Layers"]]:
            for lv in [v for p in lam.get_paginator("list_layer_versions").paginate(LayerName=layer["LayerArn"])
                       for v in p["LayerVersions"]]:
                full = lam.get_layer_version_by_arn(Arn=lv["LayerVersionArn"])
                sha = full["Content"]["CodeSha256"]
                if sha not in downloaded:
                    fetch(lambda: lam.get_layer_version_by_arn(Arn=lv["LayerVersionArn"])["Content"]["Location"], sha)
                    downloaded.add(sha)
        for f in fns:
            if f["Version"] != "$LATEST":
                continue
            exp = m.function(f["FunctionArn"]).signing
            csc = lam.get_function_code_signing_config(FunctionName=f["FunctionName"])["CodeSigningConfigArn"]
            assert csc == (exp.code_signing_config_arn or ""), f["FunctionName"]
            if not f.get("SigningJobArn"):
                continue
            job = sg.describe_signing_job(jobId=f["SigningJobArn"].rsplit("/", 1)[1])
            assert ("revocationRecord" in job) == exp.job_revoked
            assert (job["signatureExpiresAt"] <= datetime.now(timezone.utc)) == exp.signature_expired
            owner = f["SigningProfileVersionArn"].split(":")[4]
            try:
                prof = sg.get_signing_profile(profileName=job["profileName"], profileOwner=owner)
            except ClientError as e:
                assert error_code(e) == "AccessDeniedException" and exp.profile_readable is False
                continue
            assert prof["status"] == exp.profile_status
            rev = prof.get("revocationRecord")
            assert bool(rev and rev["revocationEffectiveFrom"] <= job["createdAt"]) == \
                exp.profile_revoked_before_signing
    return seen, downloaded, denied


@pytest.mark.slow
def test_full_scenario_matches_manifest(aws_account):
    emu, m = aws_account  # the session's scenario account (tests/aws_emulator/fixtures.py)
    arm_faults(emu, m)  # its faults fire once: re-armed, and the log holds this test's traffic only
    emu.log.clear()
    latest = m.latest()
    assert len(latest) >= 200 and len({f.region for f in latest}) == 3
    assert len({f.code_sha256 for f in m.functions if f.code_variant and "+" not in f.code_variant}) == 30
    assert Counter(f.signing.verdict for f in latest) >= Counter({
        "valid": 1, "unsigned": 2, "job-revoked": 1, "profile-revoked": 1, "signature-expired": 1,
        "untrusted-publisher": 1, "cross-account-unverified": 1})
    assert {f.runtime_verdict for f in latest if f.runtime} == {"deprecated", "supported"}
    assert {"python3.7", "python3.8", "nodejs14.x", "python3.12"} <= {f.runtime for f in latest}
    assert [f.expected_status for f in latest if f.package_type == "Image"] == ["scanned"] * 2
    assert len({l.layer_name for l in m.layers}) == 21 and len(m.layers) >= 40
    assert any(l.signing_job_arn for l in m.layers)
    assert len(m.organization_accounts) == 25
    json.loads(m.to_json())

    seen, downloaded, denied = _reference_scan(emu, m)
    assert denied == [m.denied_region]
    expected = {f.qualified_arn for f in m.functions if f.region != m.denied_region}
    assert set(seen) == expected
    for arn, cfg in seen.items():
        exp = m.function(arn)
        assert cfg["CodeSha256"] == exp.code_sha256 and cfg.get("Runtime") == exp.runtime
        assert [l["Arn"] for l in cfg.get("Layers", [])] == exp.layers
        assert cfg.get("SigningJobArn") == exp.signing.signing_job_arn
    assert downloaded == m.scanned_code_hashes()
    assert set(emu.log.completed_downloads_by_hash().values()) == {1}
    assert Counter(d.fault for d in emu.log.download_list() if d.fault) == Counter(
        {"expire": 1, "corrupt": 1, "drop": 1})
    throttled = emu.log.api_calls(region=m.throttled_region, status=429)
    assert Counter(c.operation for c in throttled) == Counter({"ListFunctions": 2, "GetFunction": 2})
    assert not emu.bugs, emu.bugs
