"""Code-signing verdicts (pure) and the SigningLookup fetcher (botocore Stubber, model-shaped responses)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from pkgscan.aws.signing import (
    CHECK_NAMES,
    CodeSigningConfig,
    SigningJobInfo,
    SigningLookup,
    SigningProfileInfo,
    SigningReport,
    Unknown,
    check_function,
    verify,
)
from pkgscan.aws.arn import parse_job_arn, parse_profile_version_arn, unqualified_function_arn

ACCOUNT = "111122223333"
OTHER = "444455556666"
REGION = "us-east-1"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"
LAYER_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:7"
CSC_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:csc-0123456789abcdef0"
PROFILE_VERSION = "abcdEFGH12"
PROFILE_ARN = f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/TeamSigner/{PROFILE_VERSION}"
OTHER_PROFILE_ARN = f"arn:aws:signer:{REGION}:{OTHER}:/signing-profiles/VendorSigner/ZYXWvuts98"
JOB_ID = "2a1b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
JOB_ARN = f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-jobs/{JOB_ID}"

ENFORCE = CodeSigningConfig(arn=CSC_ARN, allowed_publishers=(PROFILE_ARN,), policy="Enforce")
WARN = CodeSigningConfig(arn=CSC_ARN, allowed_publishers=(PROFILE_ARN,), policy="Warn")
ACTIVE = SigningProfileInfo(profile_name="TeamSigner", profile_version_arn=PROFILE_ARN, status="Active",
                            signature_validity_period="135 MONTHS", owner_account=ACCOUNT)
SIGNED_AT = NOW - timedelta(days=10)
GOOD_JOB = SigningJobInfo(job_id=JOB_ID, status="Succeeded", signature_expires_at=NOW + timedelta(days=365),
                          profile_name="TeamSigner", profile_version=PROFILE_VERSION, job_owner=ACCOUNT,
                          created_at=SIGNED_AT)

_UNSET = object()


def run(kind="function", arn=FN_ARN, *, profile_arn=PROFILE_ARN, job_arn=JOB_ARN, config=_UNSET,
        profile=_UNSET, job=_UNSET, now=NOW, **kw) -> SigningReport:
    return verify(kind, arn, signing_profile_version_arn=profile_arn, signing_job_arn=job_arn,
                  config=ENFORCE if config is _UNSET else config,
                  profile=ACTIVE if profile is _UNSET else profile,
                  job=GOOD_JOB if job is _UNSET else job, now=now, **kw)


def revoked(effective, revoked_at=None):
    return SigningProfileInfo(profile_name="TeamSigner", profile_version_arn=PROFILE_ARN, status="Revoked",
                              revocation_effective_from=effective, revoked_at=revoked_at or NOW - timedelta(days=1),
                              owner_account=ACCOUNT)


def job_with(**changes):
    fields = {**GOOD_JOB.__dict__, **changes}
    return SigningJobInfo(**fields)


# ------------------------------------------------------------------------------------- verify
def test_all_good_function_passes_every_check():
    report = run()
    assert report.verdict == "pass"
    assert [c.name for c in report.checks] == list(CHECK_NAMES)
    assert {(c.verdict, c.severity) for c in report.checks} == {("pass", "info")}
    assert report.to_dict()["verdict"] == "pass"
    assert report.resource_arn == FN_ARN and report.kind == "function"


def test_no_config_fails_low_and_has_no_allow_list():
    report = run(config=None)
    assert report.verdict == "fail"
    cfg = report.check("config-attached")
    assert (cfg.verdict, cfg.severity) == ("fail", "low")
    assert "nothing is enforced" in cfg.reason
    pub = report.check("allowed-publisher")
    assert (pub.verdict, pub.severity) == ("fail", "low")


def test_warn_policy_fails_medium():
    check = run(config=WARN).check("config-attached")
    assert (check.verdict, check.severity) == ("fail", "medium")
    assert "warning only" in check.reason
    assert run(config=WARN).check("allowed-publisher").verdict == "pass"


def test_unreadable_config_is_unknown_not_pass():
    report = run(config=Unknown("access denied on lambda:GetFunctionCodeSigningConfig", "AccessDeniedException"))
    assert report.verdict == "unknown"
    assert report.check("config-attached").verdict == "unknown"
    assert report.check("allowed-publisher").verdict == "unknown"
    assert "access denied" in report.check("config-attached").reason
    assert report.check("config-attached").severity == "medium"


def test_unknown_policy_value_is_unknown():
    odd = CodeSigningConfig(arn=CSC_ARN, allowed_publishers=(PROFILE_ARN,), policy="Audit")
    assert run(config=odd).check("config-attached").verdict == "unknown"


@pytest.mark.parametrize("config, severity, phrase", [
    (ENFORCE, "high", "keeps running"),
    (WARN, "high", "keeps running"),
    (None, "low", "nothing vouches"),
    (Unknown("throttled"), "medium", "could not be read"),
])
def test_unsigned_function(config, severity, phrase):
    report = run(profile_arn=None, job_arn=None, config=config, profile=None, job=None)
    assert report.verdict == "fail"
    signed = report.check("signed")
    assert (signed.verdict, signed.severity) == ("fail", severity)
    assert phrase in signed.reason
    # the signature-dependent checks are omitted: `signed` already fails
    assert [c.name for c in report.checks] == ["config-attached", "signed"]


def test_empty_strings_count_as_unsigned():
    assert run(profile_arn="", job_arn="", profile=None, job=None).check("signed").verdict == "fail"


def test_layer_has_no_config_check_and_uses_the_functions_config():
    report = run("layer", LAYER_ARN, profile_arn=None, job_arn=None, profile=None, job=None)
    assert report.kind == "layer"
    assert report.check("config-attached") is None
    signed = report.check("signed")
    assert (signed.verdict, signed.severity) == ("fail", "high")
    assert "layer version" in signed.reason and "function's" in signed.reason

    good = run("layer", LAYER_ARN)
    assert good.verdict == "pass"
    assert [c.name for c in good.checks] == list(CHECK_NAMES[1:])


def test_publisher_not_allowed_fails_high():
    other = CodeSigningConfig(arn=CSC_ARN, allowed_publishers=(OTHER_PROFILE_ARN,), policy="Enforce")
    check = run(config=other).check("allowed-publisher")
    assert (check.verdict, check.severity) == ("fail", "high")
    assert "not in AllowedPublishers" in check.reason


def test_publisher_other_version_of_allowed_profile_is_named():
    newer = PROFILE_ARN.replace(PROFILE_VERSION, "NEWver0001")
    config = CodeSigningConfig(arn=CSC_ARN, allowed_publishers=(newer,), policy="Enforce")
    check = run(config=config).check("allowed-publisher")
    assert (check.verdict, check.severity) == ("fail", "high")
    assert "superseded" in check.reason and "NEWver0001" in check.reason


def test_only_job_arn_recorded():
    report = run(profile_arn=None, profile=None)
    assert report.check("signed").verdict == "pass"
    assert "no SigningProfileVersionArn" in report.check("signed").reason
    assert report.check("allowed-publisher").verdict == "unknown"
    assert report.check("profile-status").verdict == "unknown"
    assert report.check("job-status").verdict == "pass"
    assert report.verdict == "unknown"


def test_profile_canceled_fails_medium():
    canceled = SigningProfileInfo("TeamSigner", PROFILE_ARN, "Canceled", owner_account=ACCOUNT)
    check = run(profile=canceled).check("profile-status")
    assert (check.verdict, check.severity) == ("fail", "medium")


@pytest.mark.parametrize("effective, verdict, severity", [
    (SIGNED_AT - timedelta(days=1), "fail", "critical"),  # revocation effective before signing
    (SIGNED_AT, "fail", "critical"),                      # boundary: effective exactly at signing time
    (SIGNED_AT + timedelta(seconds=1), "pass", "info"),   # signed before it took effect: still trusted
])
def test_profile_revoked_by_effective_time(effective, verdict, severity):
    check = run(profile=revoked(effective)).check("profile-status")
    assert (check.verdict, check.severity) == (verdict, severity)
    assert effective.strftime("%Y-%m-%d") in check.reason
    assert SIGNED_AT.strftime("%Y-%m-%d") in check.reason


def test_profile_revoked_compares_naive_and_aware_times():
    naive_effective = (SIGNED_AT - timedelta(hours=1)).replace(tzinfo=None)
    assert run(profile=revoked(naive_effective)).check("profile-status").severity == "critical"


def test_profile_revoked_without_effective_time_or_signing_time_is_high():
    no_record = SigningProfileInfo("TeamSigner", PROFILE_ARN, "Revoked", owner_account=ACCOUNT)
    assert run(profile=no_record).check("profile-status").severity == "high"
    check = run(profile=revoked(SIGNED_AT), job=Unknown("access denied")).check("profile-status")
    assert (check.verdict, check.severity) == ("fail", "high")
    assert "signing time is unknown" in check.reason


def test_cross_account_profile_unreadable_is_unknown_with_reason():
    config = CodeSigningConfig(arn=CSC_ARN, allowed_publishers=(OTHER_PROFILE_ARN,), policy="Enforce")
    report = run(profile_arn=OTHER_PROFILE_ARN, config=config,
                 profile=Unknown("access denied on signer:GetSigningProfile", "AccessDeniedException"),
                 job=job_with(profile_name="VendorSigner", profile_version="ZYXWvuts98"))
    check = report.check("profile-status")
    assert check.verdict == "unknown"
    assert "cross-account" in check.reason and OTHER in check.reason and ACCOUNT in check.reason
    assert report.verdict == "unknown"
    # same-account unreadable profile: unknown, but not called cross-account
    same = run(profile=Unknown("access denied")).check("profile-status")
    assert same.verdict == "unknown" and "cross-account" not in same.reason


def test_layer_cross_account_is_judged_from_the_functions_account():
    layer_arn = f"arn:aws:lambda:{REGION}:{OTHER}:layer:vendor:3"
    report = run("layer", layer_arn, profile_arn=OTHER_PROFILE_ARN, profile=Unknown("access denied"),
                 account=ACCOUNT)
    assert "cross-account" in report.check("profile-status").reason
    # without the function's account, the layer's own account is the reader: same owner, not cross-account
    report = run("layer", layer_arn, profile_arn=OTHER_PROFILE_ARN, profile=Unknown("access denied"))
    assert "cross-account" not in report.check("profile-status").reason


def test_profile_describes_another_version_is_unknown():
    current = SigningProfileInfo("TeamSigner", PROFILE_ARN.replace(PROFILE_VERSION, "NEWver0001"), "Active")
    check = run(profile=current).check("profile-status")
    assert check.verdict == "unknown" and "NEWver0001" in check.reason


def test_profile_not_looked_up_or_odd_status_is_unknown():
    assert run(profile=None).check("profile-status").verdict == "unknown"
    odd = SigningProfileInfo("TeamSigner", PROFILE_ARN, "Suspended")
    assert run(profile=odd).check("profile-status").verdict == "unknown"


def test_job_revoked_is_critical():
    job = job_with(revoked=True, revocation_reason="key compromise", revoked_at=NOW - timedelta(days=2))
    check = run(job=job).check("job-status")
    assert (check.verdict, check.severity) == ("fail", "critical")
    assert "key compromise" in check.reason


@pytest.mark.parametrize("status, verdict, severity", [
    ("Succeeded", "pass", "info"),
    ("Failed", "fail", "high"),
    ("InProgress", "fail", "medium"),
    ("Exploded", "unknown", "medium"),
])
def test_job_status(status, verdict, severity):
    check = run(job=job_with(status=status)).check("job-status")
    assert (check.verdict, check.severity) == (verdict, severity)


def test_job_signed_with_another_profile_fails_high():
    check = run(job=job_with(profile_name="SomeoneElse")).check("job-status")
    assert (check.verdict, check.severity) == ("fail", "high")
    check = run(job=job_with(profile_version="OTHERver01")).check("job-status")
    assert (check.verdict, check.severity) == ("fail", "high")


def test_job_unreadable_makes_job_and_expiry_unknown():
    foreign_job = f"arn:aws:signer:{REGION}:{OTHER}:/signing-jobs/{JOB_ID}"
    report = run(job_arn=foreign_job, job=Unknown("not found on signer:DescribeSigningJob"))
    assert report.check("job-status").verdict == "unknown"
    assert "cross-account" in report.check("job-status").reason
    assert report.check("signature-expiry").verdict == "unknown"
    assert run(job=None).check("job-status").verdict == "unknown"
    assert run(job_arn=None, job=None).check("signature-expiry").verdict == "unknown"


@pytest.mark.parametrize("expires_in, verdict, severity", [
    (timedelta(days=-1), "fail", "high"),
    (timedelta(0), "fail", "high"),                  # expiring right now counts as expired
    (timedelta(seconds=1), "fail", "low"),
    (timedelta(days=30), "fail", "low"),             # boundary: within 30 days
    (timedelta(days=30, seconds=1), "pass", "info"),
    (timedelta(days=400), "pass", "info"),
])
def test_signature_expiry(expires_in, verdict, severity):
    check = run(job=job_with(signature_expires_at=NOW + expires_in)).check("signature-expiry")
    assert (check.verdict, check.severity) == (verdict, severity)


def test_signature_expiry_warn_days_and_missing_expiry():
    job = job_with(signature_expires_at=NOW + timedelta(days=45))
    assert run(job=job, expiry_warn_days=60).check("signature-expiry").verdict == "fail"
    assert run(job=job_with(signature_expires_at=None)).check("signature-expiry").verdict == "unknown"


def test_naive_now_is_utc():
    report = run(now=NOW.replace(tzinfo=None), job=job_with(signature_expires_at=NOW - timedelta(seconds=1)))
    assert report.check("signature-expiry").severity == "high"


def test_report_verdict_precedence():
    fail = run(config=None, profile=Unknown("x"))
    assert {c.verdict for c in fail.checks} >= {"fail", "unknown"}
    assert fail.verdict == "fail"
    assert [c.name for c in fail.failures] == ["config-attached", "allowed-publisher"]
    assert SigningReport(FN_ARN, "function", ()).verdict == "unknown"


def test_bad_kind_rejected():
    with pytest.raises(ValueError):
        run(kind="alias")


def test_arn_helpers():
    p = parse_profile_version_arn(PROFILE_ARN)
    assert (p.region, p.account, p.name, p.version) == (REGION, ACCOUNT, "TeamSigner", PROFILE_VERSION)
    assert parse_profile_version_arn(f"arn:aws-cn:signer:cn-north-1:{ACCOUNT}:/signing-profiles/A_b/0123456789")
    assert parse_profile_version_arn("arn:aws:signer:us-east-1:123:/signing-profiles/x/y") is None
    assert parse_profile_version_arn(JOB_ARN) is None
    j = parse_job_arn(JOB_ARN)
    assert (j.region, j.account, j.job_id) == (REGION, ACCOUNT, JOB_ID)
    assert parse_job_arn(PROFILE_ARN) is None
    assert unqualified_function_arn(FN_ARN + ":7") == FN_ARN
    assert unqualified_function_arn(FN_ARN + ":$LATEST") == FN_ARN
    assert unqualified_function_arn(FN_ARN) == FN_ARN


# ------------------------------------------------------------------------------------- SigningLookup
boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402
from botocore.stub import Stubber  # noqa: E402


def make_client(service, region, **kw):
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=region)
    return session.client(service, region_name=region, **kw)


class Stubs:
    """Per-region stubbed clients plus factories that count how often they are called."""

    def __init__(self):
        self.clients, self.stubbers, self.factory_calls = {}, {}, []

    def stub(self, service, region=REGION) -> Stubber:
        key = (service, region)
        if key not in self.stubbers:
            client = make_client(service, region)
            self.clients[key] = client
            self.stubbers[key] = Stubber(client)
            self.stubbers[key].activate()
        return self.stubbers[key]

    def factory(self, service):
        def build(region):
            self.factory_calls.append((service, region))
            self.stub(service, region)
            return self.clients[(service, region)]
        return build

    def lookup(self) -> SigningLookup:
        return SigningLookup(self.factory("lambda"), self.factory("signer"))

    def assert_done(self):
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def stubs():
    s = Stubs()
    yield s
    for stubber in s.stubbers.values():
        stubber.deactivate()


def csc_response(policy="Enforce", publishers=(PROFILE_ARN,)):
    policies = {"UntrustedArtifactOnDeployment": policy} if policy else {}
    return {"CodeSigningConfig": {
        "CodeSigningConfigId": "csc-0123456789abcdef0",
        "CodeSigningConfigArn": CSC_ARN,
        "Description": "team signing",
        "AllowedPublishers": {"SigningProfileVersionArns": list(publishers)},
        "CodeSigningPolicies": policies,
        "LastModified": "2026-01-05T10:00:00.000+0000",
    }}


REVOKED_EFFECTIVE = datetime(2026, 11, 1, tzinfo=timezone.utc)


def profile_response(status="Active"):
    resp = {
        "profileName": "TeamSigner",
        "profileVersion": PROFILE_VERSION,
        "profileVersionArn": PROFILE_ARN,
        "platformId": "AWSLambda-SHA384-ECDSA",
        "platformDisplayName": "AWS Lambda",
        "signatureValidityPeriod": {"value": 135, "type": "MONTHS"},
        "status": status,
        "arn": f"arn:aws:signer:{REGION}:{ACCOUNT}:/signing-profiles/TeamSigner",
        "tags": {},
    }
    if status == "Revoked":
        resp["revocationRecord"] = {"revocationEffectiveFrom": REVOKED_EFFECTIVE,
                                    "revokedAt": datetime(2026, 11, 20, tzinfo=timezone.utc),
                                    "revokedBy": f"arn:aws:iam::{ACCOUNT}:user/sec"}
    return resp


def job_response(revoked=False):
    resp = {
        "jobId": JOB_ID,
        "source": {"s3": {"bucketName": "src-bucket", "key": "orders.zip", "version": "v1"}},
        "platformId": "AWSLambda-SHA384-ECDSA",
        "platformDisplayName": "AWS Lambda",
        "profileName": "TeamSigner",
        "profileVersion": PROFILE_VERSION,
        "signingParameters": {},
        "createdAt": datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc),
        "completedAt": datetime(2026, 10, 1, 9, 1, tzinfo=timezone.utc),
        "signatureExpiresAt": datetime(2038, 1, 1, tzinfo=timezone.utc),
        "requestedBy": f"arn:aws:iam::{ACCOUNT}:role/ci",
        "status": "Succeeded",
        "statusReason": "Signing Succeeded",
        "signedObject": {"s3": {"bucketName": "dst-bucket", "key": f"signed/{JOB_ID}.zip"}},
        "jobOwner": ACCOUNT,
        "jobInvoker": ACCOUNT,
    }
    if revoked:
        resp["revocationRecord"] = {"reason": "leaked key", "revokedAt": datetime(2026, 11, 2, tzinfo=timezone.utc),
                                    "revokedBy": f"arn:aws:iam::{ACCOUNT}:user/sec"}
    return resp


def test_function_config_reads_and_caches_per_config_arn(stubs):
    lam = stubs.stub("lambda")
    lam.add_response("get_function_code_signing_config",
                     {"CodeSigningConfigArn": CSC_ARN, "FunctionName": "orders"}, {"FunctionName": FN_ARN})
    lam.add_response("get_code_signing_config", csc_response(), {"CodeSigningConfigArn": CSC_ARN})
    other_fn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:billing"
    lam.add_response("get_function_code_signing_config",
                     {"CodeSigningConfigArn": CSC_ARN, "FunctionName": "billing"}, {"FunctionName": other_fn})
    lookup = stubs.lookup()

    config = lookup.function_config(REGION, FN_ARN + ":12")   # qualifier dropped
    assert config == CodeSigningConfig(arn=CSC_ARN, allowed_publishers=(PROFILE_ARN,), policy="Enforce")
    assert lookup.function_config(REGION, FN_ARN) == config    # cached, no further call
    assert lookup.function_config(REGION, other_fn) == config  # config fetched once per ARN
    stubs.assert_done()
    assert stubs.factory_calls == [("lambda", REGION)]


def test_function_config_empty_arn_means_none(stubs):
    stubs.stub("lambda").add_response("get_function_code_signing_config",
                                      {"CodeSigningConfigArn": "", "FunctionName": "orders"},
                                      {"FunctionName": FN_ARN})
    assert stubs.lookup().function_config(REGION, FN_ARN) is None
    stubs.assert_done()


def test_function_config_policy_defaults_to_warn(stubs):
    lam = stubs.stub("lambda")
    lam.add_response("get_function_code_signing_config", {"CodeSigningConfigArn": CSC_ARN, "FunctionName": "orders"})
    lam.add_response("get_code_signing_config", csc_response(policy=None))
    assert stubs.lookup().function_config(REGION, FN_ARN).policy == "Warn"


@pytest.mark.parametrize("code, status, phrase", [
    ("ResourceNotFoundException", 404, "not found"),
    ("CodeSigningConfigNotFoundException", 404, "does not exist"),
    ("AccessDeniedException", 403, "access denied"),
    ("ServiceException", 500, "failed"),
])
def test_function_config_errors_are_unknown(stubs, code, status, phrase):
    stubs.stub("lambda").add_client_error("get_function_code_signing_config", service_error_code=code,
                                          service_message="nope", http_status_code=status)
    result = stubs.lookup().function_config(REGION, FN_ARN)
    assert isinstance(result, Unknown)
    assert result.code == code and phrase in result.reason


def test_code_signing_config_unreadable(stubs):
    lam = stubs.stub("lambda")
    lam.add_response("get_function_code_signing_config", {"CodeSigningConfigArn": CSC_ARN, "FunctionName": "orders"})
    lam.add_client_error("get_code_signing_config", service_error_code="AccessDeniedException",
                         http_status_code=403)
    result = stubs.lookup().function_config(REGION, FN_ARN)
    assert isinstance(result, Unknown) and "GetCodeSigningConfig" in result.reason


def test_profile_reads_revocation_and_passes_owner(stubs):
    stubs.stub("signer").add_response("get_signing_profile", profile_response("Revoked"),
                                      {"profileName": "TeamSigner", "profileOwner": ACCOUNT})
    lookup = stubs.lookup()
    info = lookup.profile(PROFILE_ARN)
    assert info == SigningProfileInfo(
        profile_name="TeamSigner", profile_version_arn=PROFILE_ARN, status="Revoked",
        revocation_effective_from=REVOKED_EFFECTIVE, revoked_at=datetime(2026, 11, 20, tzinfo=timezone.utc),
        signature_validity_period="135 MONTHS", owner_account=ACCOUNT)
    assert lookup.profile(PROFILE_ARN) is info  # cached
    stubs.assert_done()


def test_profile_queried_in_the_arn_region(stubs):
    arn = PROFILE_ARN.replace(REGION, "eu-west-1")
    resp = {**profile_response(), "profileVersionArn": arn}
    stubs.stub("signer", "eu-west-1").add_response("get_signing_profile", resp)
    assert stubs.lookup().profile(arn).status == "Active"
    assert stubs.factory_calls == [("signer", "eu-west-1")]


def test_job_reads_revocation_record(stubs):
    stubs.stub("signer").add_response("describe_signing_job", job_response(revoked=True), {"jobId": JOB_ID})
    lookup = stubs.lookup()
    info = lookup.job(JOB_ARN)
    assert info == SigningJobInfo(
        job_id=JOB_ID, status="Succeeded", revoked=True, revocation_reason="leaked key",
        revoked_at=datetime(2026, 11, 2, tzinfo=timezone.utc),
        signature_expires_at=datetime(2038, 1, 1, tzinfo=timezone.utc), profile_name="TeamSigner",
        profile_version=PROFILE_VERSION, job_owner=ACCOUNT,
        created_at=datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc))
    assert lookup.job(JOB_ARN) is info
    stubs.assert_done()


def test_job_without_revocation(stubs):
    stubs.stub("signer").add_response("describe_signing_job", job_response())
    info = stubs.lookup().job(JOB_ARN)
    assert info.revoked is False and info.revocation_reason is None


@pytest.mark.parametrize("code, status, phrase, transient", [
    ("AccessDeniedException", 403, "access denied", False),
    ("ResourceNotFoundException", 404, "not found", False),
    ("TooManyRequestsException", 429, "throttled", True),
    ("InternalServiceErrorException", 500, "failed", True),
])
def test_signer_errors_are_unknown(stubs, code, status, phrase, transient):
    stubs.stub("signer").add_client_error("get_signing_profile", service_error_code=code,
                                          service_message="denied", http_status_code=status)
    result = stubs.lookup().profile(PROFILE_ARN)
    assert isinstance(result, Unknown)
    assert (result.code, result.transient) == (code, transient)
    assert phrase in result.reason


def test_throttling_is_not_cached_but_access_denied_is(stubs):
    signer = stubs.stub("signer")
    signer.add_client_error("get_signing_profile", service_error_code="TooManyRequestsException",
                            http_status_code=429)
    signer.add_response("get_signing_profile", profile_response())
    signer.add_client_error("describe_signing_job", service_error_code="AccessDeniedException",
                            http_status_code=403)
    lookup = stubs.lookup()
    assert isinstance(lookup.profile(PROFILE_ARN), Unknown)
    assert lookup.profile(PROFILE_ARN).status == "Active"        # asked again after throttling
    denied = lookup.job(JOB_ARN)
    assert isinstance(denied, Unknown)
    assert lookup.job(JOB_ARN) == denied                         # cached: no second call
    stubs.assert_done()


def test_malformed_arns_are_unknown_without_calls(stubs):
    lookup = stubs.lookup()
    assert isinstance(lookup.profile("arn:aws:signer:us-east-1:1:/nope"), Unknown)
    assert isinstance(lookup.job(PROFILE_ARN), Unknown)
    assert stubs.factory_calls == []


def test_unreachable_signer_endpoint_is_unknown(closed_port):
    # a region without Signer surfaces as EndpointConnectionError; a closed local port gives the same
    client = make_client("signer", REGION, endpoint_url=f"http://127.0.0.1:{closed_port}",
                         config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=2))
    lookup = SigningLookup(lambda region: None, lambda region: client)
    result = lookup.profile(PROFILE_ARN)
    assert isinstance(result, Unknown)
    assert result.code == "EndpointConnectionError"
    assert "not be offered in this region" in result.reason


def test_concurrent_lookups_call_aws_once(stubs):
    signer = stubs.stub("signer")
    signer.add_response("get_signing_profile", profile_response())
    signer.add_response("describe_signing_job", job_response())
    lookup = stubs.lookup()
    results = []

    def work(barrier, fetch):
        barrier.wait()
        results.append(fetch())

    # 16 threads at once for the profile, then 16 for the job: the Stubber answers in a fixed order,
    # so the two operations must not race each other (that made this test flaky)
    for fetch in (lambda: lookup.profile(PROFILE_ARN), lambda: lookup.job(JOB_ARN)):
        barrier = threading.Barrier(16)
        threads = [threading.Thread(target=work, args=(barrier, fetch)) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(results) == 32 and not any(isinstance(r, Unknown) for r in results)
    assert len({id(r) for r in results}) == 2
    stubs.assert_done()
    assert stubs.factory_calls == [("signer", REGION)]


def test_check_function_reports_function_and_layers(stubs):
    vendor_layer = f"arn:aws:lambda:{REGION}:{OTHER}:layer:vendor:3"
    own_layer = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:7"
    lam = stubs.stub("lambda")
    lam.add_response("get_function_code_signing_config", {"CodeSigningConfigArn": CSC_ARN, "FunctionName": "orders"})
    lam.add_response("get_code_signing_config", csc_response(publishers=(PROFILE_ARN, OTHER_PROFILE_ARN)))
    signer = stubs.stub("signer")
    signer.add_response("get_signing_profile", profile_response(),
                        {"profileName": "TeamSigner", "profileOwner": ACCOUNT})
    signer.add_response("describe_signing_job", job_response(), {"jobId": JOB_ID})
    signer.add_client_error("get_signing_profile", service_error_code="AccessDeniedException",
                            http_status_code=403, expected_params={"profileName": "VendorSigner",
                                                                   "profileOwner": OTHER})
    configuration = {
        "FunctionName": "orders", "FunctionArn": FN_ARN, "Runtime": "python3.12", "PackageType": "Zip",
        "SigningProfileVersionArn": PROFILE_ARN, "SigningJobArn": JOB_ARN,
        "Layers": [
            {"Arn": own_layer, "CodeSize": 100, "SigningProfileVersionArn": PROFILE_ARN, "SigningJobArn": JOB_ARN},
            {"Arn": vendor_layer, "CodeSize": 100, "SigningProfileVersionArn": OTHER_PROFILE_ARN},
            {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:plain:1", "CodeSize": 10},
        ],
    }
    fn, own, vendor, plain = check_function(stubs.lookup(), REGION, configuration, NOW)
    stubs.assert_done()
    assert (fn.kind, fn.verdict) == ("function", "pass")
    assert (own.kind, own.verdict) == ("layer", "pass")
    assert vendor.verdict == "unknown"
    assert "cross-account" in vendor.check("profile-status").reason
    assert vendor.check("job-status").verdict == "unknown"   # no SigningJobArn recorded
    assert plain.check("signed").severity == "high"          # unsigned layer under the function's config


def test_check_function_skips_container_images(stubs):
    configuration = {"FunctionArn": FN_ARN, "PackageType": "Image"}
    assert check_function(stubs.lookup(), REGION, configuration, NOW) == ()
    assert stubs.factory_calls == []
