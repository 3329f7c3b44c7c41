"""Results of scanning live Lambda resources."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import Inventory
from .runtime_view import EffectiveView
from ..vulns.model import Finding

SCANNED, SKIPPED, FAILED = "scanned", "skipped", "failed"


@dataclass(frozen=True)
class LayerResult:
    arn: str  # layer version ARN
    account: str
    region: str
    name: str
    version: str
    status: str
    reason: str = ""
    code_sha256: str = ""  # base64, as Lambda reports it
    code_size: int = 0
    signing_profile_version_arn: str = ""
    signing_job_arn: str = ""
    compatible_runtimes: tuple[str, ...] = ()
    trusted: bool | None = None  # None: no --trusted-layer-account given
    inventory_sha256: str = ""  # hex key of the inventory
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class FunctionResult:
    arn: str
    account: str
    region: str
    name: str
    version: str  # "$LATEST" or a published version number
    status: str
    reason: str = ""
    runtime: str = ""
    package_type: str = "Zip"
    code_sha256: str = ""
    code_size: int = 0
    image_uri: str = ""
    resolved_image_uri: str = ""
    layers: tuple[str, ...] = ()
    inventory_sha256: str = ""
    signing: Any = None  # pkgscan.aws.signing.SigningReport, one for the function
    layer_signing: tuple[Any, ...] = ()  # one SigningReport per layer
    runtime_verdict: Any = None  # pkgscan.aws.runtimes.RuntimeVerdict
    effective: EffectiveView | None = None
    findings: tuple[Finding, ...] = ()  # the function's and its layers' (labelled "layer", "shadowed")
    untrusted_layers: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionResult:
    region: str
    status: str
    reason: str = ""
    functions: int = 0
    layers: int = 0


@dataclass
class AccountResult:
    account: str
    functions: list[FunctionResult] = field(default_factory=list)
    layers: list[LayerResult] = field(default_factory=list)
    regions: list[RegionResult] = field(default_factory=list)
    inventories: dict[str, Inventory] = field(default_factory=dict)  # sha256 hex -> inventory
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
