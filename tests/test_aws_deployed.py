"""aws/deployed.py: the deployed code's hash at once, its inventory on demand (verify --function)."""
from __future__ import annotations

from pkgscan.aws.deployed import deployed_code
from pkgscan.aws.session import AwsContext, AwsOptions
from pkgscan.model import PYPI
from tests.aws_emulator import Emulator

from .conftest import SAMPLES


def test_hash_first_inventory_on_demand_with_a_fresh_url_each_time(monkeypatch):
    with Emulator() as emu:
        for k, v in emu.env().items():
            monkeypatch.setenv(k, v)
        role = emu.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        data = (SAMPLES / "python-function.zip").read_bytes()
        # a function in a region other than the default: its ARN says where to ask
        lam = emu.client("lambda", "eu-west-1")
        arn = lam.create_function(FunctionName="orders", Runtime="python3.12", Role=role, Handler="h.handler",
                                  Code={"ZipFile": data})["FunctionArn"]
        expected_sha = lam.get_function(FunctionName="orders")["Configuration"]["CodeSha256"]
        emu.log.clear()
        ctx = AwsContext(AwsOptions(region="us-east-1", endpoint_url=emu.endpoint_url))
        sha, inventory = deployed_code(ctx, arn)
        assert sha == expected_sha
        assert emu.log.count("lambda", "GetFunction", region="eu-west-1") == 1 and not emu.log.download_list()
        inv = inventory()  # uses the URL of the first GetFunction
        assert {(c.name, c.version) for c in inv.components if c.ecosystem == PYPI} >= {("requests", "2.19.1")}
        assert emu.log.count("lambda", "GetFunction") == 1 and len(emu.log.download_list()) == 1
        inventory()  # a second download asks for a fresh URL
        assert emu.log.count("lambda", "GetFunction") == 2
        assert not emu.bugs, emu.bugs
