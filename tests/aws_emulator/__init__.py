"""AWS emulator for pkgscan's tests: moto behind a front end that fixes/implements what
pkgscan needs (Lambda code downloads, layers, pagination, code signing, Signer, faults), and ECR
for container-image functions (``emu.ecr.push(image, repo)``; images built by ``oci_images``).

    from tests.aws_emulator import Emulator, build_account

    with Emulator() as emu:
        manifest = build_account(emu)
        lam = emu.client("lambda", "us-east-1")
"""

from .scenario import (
    RUNTIME_DEPRECATION,
    ExpectedFunction,
    ExpectedLayerVersion,
    Manifest,
    SigningExpectation,
    arm_faults,
    build_account,
)
from .server import ACCESS_KEY, SECRET_KEY, Emulator
from .state import ApiCall, Download, Fault

__all__ = [
    "ACCESS_KEY", "RUNTIME_DEPRECATION", "SECRET_KEY", "ApiCall", "Download", "Emulator",
    "ExpectedFunction", "ExpectedLayerVersion", "Fault", "Manifest", "SigningExpectation",
    "arm_faults", "build_account",
]
