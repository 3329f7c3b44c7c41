"""The one ARN parser: Lambda functions and layers, Signer profiles and jobs, and what is not an ARN."""
from __future__ import annotations

import pytest

from pkgscan.aws.arn import NO_ARN, Arn, parse, unqualified_function_arn

ACCOUNT = "111122223333"


def test_function_arn_with_and_without_qualifier():
    a = parse(f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders:live")
    assert a == Arn("aws", "lambda", "eu-west-1", ACCOUNT, "function:orders:live")
    assert (a.resource_type, a.name, a.qualifier, a.account_id) == ("function", "orders", "live", ACCOUNT)
    assert a.unqualified() == f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders"
    b = parse(f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders")
    assert (b.qualifier, b.unqualified(), str(b)) == ("", str(b), f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders")
    assert unqualified_function_arn(f"{b}:$LATEST") == str(b)


def test_layer_arn_version_is_the_qualifier_and_is_never_dropped():
    a = parse("arn:aws-cn:lambda:cn-north-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:78")
    assert (a.partition, a.region, a.resource_type, a.name, a.qualifier) == (
        "aws-cn", "cn-north-1", "layer", "AWSLambdaPowertoolsPythonV2", "78")
    assert a.unqualified() == str(a)


def test_resources_with_slashes_and_colons_stay_whole():
    a = parse(f"arn:aws:signer:us-east-1:{ACCOUNT}:/signing-profiles/Team:x/abc")
    assert a.resource == "/signing-profiles/Team:x/abc" and a.name == "" and a.resource_type == ""
    role = parse(f"arn:aws:iam::{ACCOUNT}:role/scanner")
    assert (role.region, role.account_id, role.resource) == ("", ACCOUNT, "role/scanner")


@pytest.mark.parametrize("text", [None, "", "orders", f"{ACCOUNT}:function:orders", "arn:aws:lambda:us-east-1",
                                  f"arn:aws:lambda:us-east-1:{ACCOUNT}:", "ARN:aws:lambda:r:1:function:f"])
def test_what_is_not_an_arn_is_none(text):
    assert parse(text) is None
    assert unqualified_function_arn(text or "") == (text or "")


def test_account_id_is_twelve_digits_or_none():
    assert parse("arn:aws:lambda:us-east-1:123:function:f").account_id is None
    assert parse("arn:aws:s3:::bucket").account_id is None
    assert NO_ARN.account == NO_ARN.region == NO_ARN.name == ""


@pytest.mark.parametrize("region,partition", [
    ("us-east-1", "aws"), ("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"),
])
def test_org_role_arns_use_the_regions_partition(region, partition):
    """--org assumes arn:<partition>:iam::<account>:role/<name>: the partition of the region, not "aws"."""
    from pkgscan.aws.session import AwsContext, AwsOptions

    assert AwsContext(AwsOptions(region=region)).partition == partition
