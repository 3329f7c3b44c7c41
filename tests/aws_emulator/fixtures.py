"""Ready-made pytest fixtures; tests/conftest.py re-exports them, so every test module can ask for them.

* ``aws_emulator``: a fresh, empty emulator for one test.
* ``aws_account``: the big scenario account (``build_account``, ~5 s), built once per session.  Its
  faults fire once, so a test that scans it first calls ``arm_faults(emu, manifest)`` and
  ``emu.log.clear()``.  Read-only: no test changes its resources.
* ``aws_small_account``: two regions, the same Python function and a Node function in each, and a
  layer (``build_small_account``), once per session.  A test that adds a fault removes it again.
* ``aws_org``: an organization (the management account plus three members with functions and layers
  in two regions, ``build_org``), once per session.

Every session emulator has a fixed account id, and the emulator derives organization member ids from
their e-mail addresses (``server.org_account_id``), so each run sees the same (account, region)
units: which shard a unit falls to never changes between runs.  Both servers listen on ports the OS
assigns when they bind (port 0, kept open), so two emulators (or two test runs) never race for a port.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from .scenario import Manifest, build_account
from .server import Emulator

SAMPLES = Path(__file__).resolve().parents[2] / "sample_packages"

#: fixed account ids of the session emulators (outside the range ``Emulator()`` hands out, and not
#: the scenario's partner account), so a session emulator never clashes with a test's own one
SCENARIO_ACCOUNT = "111122223333"
SMALL_ACCOUNT = "444455556666"
ORG_MANAGEMENT_ACCOUNT = "777788889999"
#: the scenario's "today" for runtime verdicts (a fixed day, not the wall clock)
SCENARIO_AS_OF = date(2026, 12, 1)

SMALL_REGIONS = ("us-east-1", "eu-west-1")
ORG_REGIONS = ("us-east-1", "eu-west-1")


def _lambda_role(emu: Emulator, account: str | None = None) -> str:
    iam = emu.client("iam", account=account)
    return iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]


def _add_file(data: bytes, name: str, content: bytes) -> bytes:
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), content)
    return buf.getvalue()


def build_small_account(emu: Emulator) -> None:
    """In each of SMALL_REGIONS: layer ``shared`` (python-layer-sitepackages), ``fn-py`` (python-function
    with the layer) and ``fn-node`` (node-function)."""
    role = _lambda_role(emu)
    py = (SAMPLES / "python-function.zip").read_bytes()
    node = (SAMPLES / "node-function.zip").read_bytes()
    layer = (SAMPLES / "python-layer-sitepackages.zip").read_bytes()
    for region in SMALL_REGIONS:
        lam = emu.client("lambda", region)
        lv = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": layer},
                                       CompatibleRuntimes=["python3.12"])["LayerVersionArn"]
        lam.create_function(FunctionName="fn-py", Role=role, Code={"ZipFile": py}, Runtime="python3.12",
                            Handler="lambda_function.handler", Layers=[lv])
        lam.create_function(FunctionName="fn-node", Role=role, Code={"ZipFile": node}, Runtime="nodejs22.x",
                            Handler="index.handler")


@dataclass
class Org:
    emu: Emulator
    members: list[str]  # the member accounts, sorted (the management account is emu.account_id)
    functions: int  # how many functions the members hold in all


def build_org(emu: Emulator) -> Org:
    """An organization of ``emu``'s account with members m0..m2; member ``n`` holds, in each of
    ORG_REGIONS, layer ``shared`` and functions ``fn-n-0`` .. ``fn-n-3`` (even: Python with the layer,
    odd: Node; each zip carries a variant.txt so the code differs per account)."""
    orgs = emu.client("organizations", "us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    for i in range(3):
        orgs.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")
    members = sorted(a["Id"] for p in orgs.get_paginator("list_accounts").paginate() for a in p["Accounts"]
                     if a["Id"] != emu.account_id)
    py = (SAMPLES / "python-function.zip").read_bytes()
    node = (SAMPLES / "node-function.zip").read_bytes()
    layer = (SAMPLES / "python-layer-sitepackages.zip").read_bytes()
    functions = 0
    for n, acct in enumerate(members):
        role = _lambda_role(emu, acct)
        for region in ORG_REGIONS:
            lam = emu.client("lambda", region, account=acct)
            lv = lam.publish_layer_version(LayerName="shared", Content={"ZipFile": layer},
                                           CompatibleRuntimes=["python3.12"])["LayerVersionArn"]
            for i in range(4):
                code = _add_file(py if i % 2 == 0 else node, "variant.txt", f"{acct}-{i % 3}".encode())
                lam.create_function(FunctionName=f"fn-{n}-{i}", Role=role, Code={"ZipFile": code},
                                    Runtime="python3.12" if i % 2 == 0 else "nodejs22.x",
                                    Handler="index.handler", Layers=[lv] if i % 2 == 0 else [])
                functions += 1
    return Org(emu, members, functions)


@pytest.fixture
def aws_emulator():
    with Emulator() as emu:
        yield emu
        assert not emu.bugs, emu.bugs


@pytest.fixture(scope="session")
def aws_account() -> tuple[Emulator, Manifest]:
    with Emulator(SCENARIO_ACCOUNT) as emu:
        manifest = build_account(emu, as_of=SCENARIO_AS_OF)
        yield emu, manifest
        assert not emu.bugs, emu.bugs


@pytest.fixture(scope="session")
def aws_small_account() -> Emulator:
    with Emulator(SMALL_ACCOUNT) as emu:
        build_small_account(emu)
        yield emu
        assert not emu.bugs, emu.bugs


@pytest.fixture(scope="session")
def aws_org() -> Org:
    with Emulator(ORG_MANAGEMENT_ACCOUNT) as emu:
        org = build_org(emu)
        yield org
        assert not emu.bugs, emu.bugs
