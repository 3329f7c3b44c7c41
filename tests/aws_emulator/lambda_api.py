"""Lambda operations the emulator implements or fixes on top of moto.

Reads (GetFunction, List*, layers) are answered from moto's backend objects with
presigned download URLs, correct pagination and signing fields.  Writes that moto
handles (CreateFunction, UpdateFunctionCode, PublishVersion, PublishLayerVersion,
DeleteFunction) are forwarded to moto and then completed here (code signing
verification, signing fields, container-image digest).  Code signing configs are
entirely ours (moto has none).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from .protocol import ApiError, RequestInfo
from .signer_api import Verification

if TYPE_CHECKING:  # pragma: no cover
    from .server import Emulator

MAX_PAGE = 50

CODE_VERIFICATION_FAILED = (
    "The code signature failed one or more of the validation checks for signature mismatch or "
    "expiry, and the code signing policy is set to ENFORCE. Lambda blocks the deployment."
)


def _lambda_backends():
    from moto.awslambda.models import lambda_backends

    return lambda_backends


def _moto_error(e: Exception) -> ApiError:
    code = getattr(e, "error_type", None) or type(e).__name__
    status = getattr(e, "code", 400)
    if not isinstance(status, int):
        status = 400
    return ApiError(code, getattr(e, "message", str(e)), status)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _lambda_ts(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def split_function_ref(ref: str) -> tuple[str, str | None, str | None, str | None]:
    """'name' | 'name:qual' | 'acct:function:name[:qual]' | full ARN -> (name, qualifier, account, region)."""
    account = region = None
    if ":function:" in ref:
        head, tail = ref.split(":function:", 1)
        parts = head.split(":")
        if len(parts) >= 5:  # arn:aws:lambda:region:account
            region, account = parts[3], parts[4]
        elif parts:
            account = parts[-1]
        bits = tail.split(":")
    else:
        bits = ref.split(":")
    name = bits[0]
    qual = bits[1] if len(bits) > 1 else None
    return name, qual, account, region


def _encode_marker(key: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode_marker(marker: str) -> list:
    try:
        key = json.loads(base64.urlsafe_b64decode(marker.encode()).decode())
        if not isinstance(key, list):
            raise ValueError
        return key
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError("InvalidParameterValueException", "Invalid Marker", 400)


def paginate(items: list, key: Callable[[Any], list], info: RequestInfo, cap: int = MAX_PAGE):
    """Key-based Marker/NextMarker pagination (stable when items are added between pages)."""
    max_items = info.q("MaxItems")
    n = cap
    if max_items is not None:
        try:
            n = int(max_items)
        except ValueError:
            raise ApiError("InvalidParameterValueException", "MaxItems must be an integer", 400)
        if n < 1:
            raise ApiError("InvalidParameterValueException", "MaxItems must be at least 1", 400)
        n = min(n, cap)
    start = 0
    marker = info.q("Marker")
    if marker:
        after = _decode_marker(marker)
        start = len(items)
        for i, it in enumerate(items):
            if key(it) > after:
                start = i
                break
    page = items[start : start + n]
    nxt = _encode_marker(key(page[-1])) if page and start + n < len(items) else None
    return page, nxt


@dataclass
class CodeSigningConfig:
    account: str
    region: str
    allowed: list[str]
    policy: str
    description: str | None
    last_modified: str
    id: str = ""  # LambdaService.create_csc gives it its (emulator-derived) id

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:code-signing-config:{self.id}"

    def to_json(self) -> dict[str, Any]:
        return _drop_none({
            "CodeSigningConfigId": self.id,
            "CodeSigningConfigArn": self.arn,
            "Description": self.description,
            "AllowedPublishers": {"SigningProfileVersionArns": list(self.allowed)},
            "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": self.policy},
            "LastModified": self.last_modified,
        })


class LambdaService:
    OWN = {
        "GetFunction", "GetFunctionConfiguration", "ListFunctions", "ListVersionsByFunction",
        "ListAliases", "GetLayerVersion", "GetLayerVersionByArn", "ListLayers", "ListLayerVersions",
        "CreateCodeSigningConfig", "GetCodeSigningConfig", "UpdateCodeSigningConfig",
        "DeleteCodeSigningConfig", "ListCodeSigningConfigs", "ListFunctionsByCodeSigningConfig",
        "PutFunctionCodeSigningConfig", "GetFunctionCodeSigningConfig",
        "DeleteFunctionCodeSigningConfig", "GetAccountSettings",
    }
    HOOKED = {"CreateFunction", "UpdateFunctionCode", "PublishVersion", "PublishLayerVersion",
              "DeleteFunction", "UpdateFunctionConfiguration"}

    def __init__(self, emu: "Emulator"):
        self.emu = emu
        self._lock = threading.RLock()
        self.cscs: dict[str, CodeSigningConfig] = {}  # arn -> config
        self.attached: dict[tuple[str, str, str], str] = {}  # (account, region, function) -> csc arn

    def handles(self, op: str | None) -> bool:
        return op in self.OWN or op in self.HOOKED

    def handle(self, info: RequestInfo):
        fn = getattr(self, f"op_{info.operation}")
        try:
            result = fn(info)
        except ApiError:
            raise
        except Exception as e:  # moto exceptions from backend lookups
            if hasattr(e, "error_type"):
                raise _moto_error(e)
            raise
        if isinstance(result, tuple) and len(result) == 3:
            return result
        status = 200
        if isinstance(result, tuple):
            status, result = result
        if result is None:
            return status, {}, b""
        return status, {"Content-Type": "application/json"}, json.dumps(result).encode()

    # ------------------------------------------------------------------ moto access
    def backend(self, account: str, region: str):
        return _lambda_backends()[account][region]

    def _resolve(self, info: RequestInfo, ref: str, qualifier: str | None = None):
        """-> (fn object, function name, effective qualifier, account, region)."""
        name, qual, acct, reg = split_function_ref(ref)
        qual = qual or qualifier
        account, region = acct or info.account, reg or info.region
        be = self.backend(account, region)
        try:
            fn = be._lambdas.get_function_by_name_with_qualifier(name, qual)
        except Exception as e:
            if hasattr(e, "error_type"):
                raise _moto_error(e)
            raise
        if fn is None:
            raise ApiError("ResourceNotFoundException", f"Function not found: {ref}", 404)
        return fn, name, qual, account, region

    def version_arn(self, fn) -> str:
        """Qualified ARN of a moto function object (``...:$LATEST`` or ``...:N``)."""
        if str(fn.version) == "$LATEST":
            return self._unqualified_arn(fn) + ":$LATEST"
        return fn.function_arn

    def _unqualified_arn(self, fn) -> str:
        return f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}"

    # ------------------------------------------------------------------ serialisation
    def _layer_signing(self, lv) -> dict[str, str]:
        out = {}
        if getattr(lv, "signing_profile_version_arn", None):
            out["SigningProfileVersionArn"] = lv.signing_profile_version_arn
            out["SigningJobArn"] = lv.signing_job_arn
        return out

    def config(self, fn, *, arn: str | None = None, version: str | None = None) -> dict[str, Any]:
        c = _drop_none(fn.get_configuration())
        if not c.get("Environment"):
            c.pop("Environment", None)
        be = self.backend(fn.account_id, fn.region)
        layers = []
        for ref in fn.layers or []:
            entry = {"Arn": ref["Arn"], "CodeSize": ref["CodeSize"]}
            lv = be.layers_versions_by_arn(ref["Arn"])
            if lv is not None:
                entry.update(self._layer_signing(lv))
            layers.append(entry)
        if layers:
            c["Layers"] = layers
        else:
            c.pop("Layers", None)
        c["FunctionArn"] = arn or (
            self._unqualified_arn(fn) if str(fn.version) == "$LATEST" else fn.function_arn)
        c["Version"] = version or str(fn.version)
        c["RevisionId"] = str(uuid.uuid5(uuid.NAMESPACE_URL,
                                         f"{fn.function_arn}|{fn.last_modified}|{fn.code_sha_256}"))
        if getattr(fn, "signing_profile_version_arn", None):
            c["SigningProfileVersionArn"] = fn.signing_profile_version_arn
            c["SigningJobArn"] = fn.signing_job_arn
        else:
            c.pop("SigningProfileVersionArn", None)
            c.pop("SigningJobArn", None)
        if fn.package_type == "Image":
            c.pop("Runtime", None)
            c.pop("Handler", None)
        return c

    def _qualified(self, fn, name: str, qual: str | None) -> tuple[str, str]:
        """(FunctionArn, Version) as GetFunction/GetFunctionConfiguration report them."""
        base = self._unqualified_arn(fn)
        if qual is None:
            return base, "$LATEST"
        return f"{base}:{qual}", str(fn.version)

    def _code_location(self, info: RequestInfo, fn, qualified_arn: str) -> dict[str, Any]:
        if fn.package_type == "Image":
            uri = fn.code.get("ImageUri", "")
            repo = uri.split("@", 1)[0].rsplit(":", 1)[0] if "@" not in uri else uri.split("@", 1)[0]
            return {"RepositoryType": "ECR", "ImageUri": uri,
                    "ResolvedImageUri": f"{repo}@sha256:{fn.code_sha_256}"}
        url = self.emu.downloads.issue(
            kind="function", target=qualified_arn, function_name=fn.function_name,
            region=fn.region, data=fn.code_bytes, sha=fn.code_sha_256)
        return {"RepositoryType": "S3", "Location": url}

    def layer_version_json(self, lv, *, content: bool = True) -> dict[str, Any]:
        d = _drop_none({
            "LayerArn": lv._layer.layer_arn if lv._layer else None,
            "LayerVersionArn": lv.arn,
            "Version": lv.version,
            "Description": lv.description or None,
            "CreatedDate": lv.created_date,
            "CompatibleRuntimes": lv.compatible_runtimes or None,
            "CompatibleArchitectures": lv.compatible_architectures or None,
            "LicenseInfo": lv.license_info or None,
        })
        if not content:  # LayerVersionsListItem has no LayerArn/Content
            d.pop("LayerArn", None)
        if content:
            url = self.emu.downloads.issue(kind="layer", target=lv.arn, function_name=None,
                                           region=lv.region, data=lv.code_bytes,
                                           sha=lv.code_sha_256)
            d["Content"] = {"Location": url, "CodeSha256": lv.code_sha_256,
                            "CodeSize": lv.code_size, **self._layer_signing(lv)}
        return d

    # ------------------------------------------------------------------ functions
    def op_GetFunction(self, info):
        fn, name, qual, _, _ = self._resolve(info, info.path_params["FunctionName"], info.q("Qualifier"))
        arn, version = self._qualified(fn, name, qual)
        out: dict[str, Any] = {"Configuration": self.config(fn, arn=arn, version=version)}
        out["Code"] = self._code_location(info, fn, self.version_arn(fn))
        if fn.tags:
            out["Tags"] = dict(fn.tags)
        if fn.reserved_concurrency:
            out["Concurrency"] = {"ReservedConcurrentExecutions": int(fn.reserved_concurrency)}
        return out

    def op_GetFunctionConfiguration(self, info):
        fn, name, qual, _, _ = self._resolve(info, info.path_params["FunctionName"], info.q("Qualifier"))
        arn, version = self._qualified(fn, name, qual)
        return self.config(fn, arn=arn, version=version)

    def _function_groups(self, account: str, region: str) -> dict[str, dict[str, Any]]:
        be = self.backend(account, region)
        return dict(be._lambdas._functions)

    def op_ListFunctions(self, info):
        all_versions = info.q("FunctionVersion") == "ALL"
        items = []
        groups = self._function_groups(info.account, info.region)
        for name in sorted(groups):
            grp = groups[name]
            latest = grp.get("latest")
            if latest is not None:
                items.append(([name, 0], latest))
            if all_versions:
                for v in list(grp.get("versions", [])):
                    items.append(([name, int(v.version)], v))
        page, nxt = paginate(items, lambda it: it[0], info)
        out_fns = []
        for _, fn in page:
            if str(fn.version) == "$LATEST":
                arn = self._unqualified_arn(fn) + (":$LATEST" if all_versions else "")
                out_fns.append(self.config(fn, arn=arn, version="$LATEST"))
            else:
                out_fns.append(self.config(fn, arn=fn.function_arn, version=str(fn.version)))
        out: dict[str, Any] = {"Functions": out_fns}
        if nxt:
            out["NextMarker"] = nxt
        return out

    def op_ListVersionsByFunction(self, info):
        ref = info.path_params["FunctionName"]
        name, _, acct, reg = split_function_ref(ref)
        fn, name, _, account, region = self._resolve(
            info, f"arn:aws:lambda:{reg or info.region}:{acct or info.account}:function:{name}")
        grp = self._function_groups(account, region).get(fn.function_name, {})
        items = []
        if grp.get("latest") is not None:
            items.append(([0], grp["latest"]))
        for v in list(grp.get("versions", [])):
            items.append(([int(v.version)], v))
        page, nxt = paginate(items, lambda it: it[0], info)
        versions = []
        for _, f in page:
            if str(f.version) == "$LATEST":
                versions.append(self.config(f, arn=self._unqualified_arn(f) + ":$LATEST", version="$LATEST"))
            else:
                versions.append(self.config(f, arn=f.function_arn, version=str(f.version)))
        out: dict[str, Any] = {"Versions": versions}
        if nxt:
            out["NextMarker"] = nxt
        return out

    def op_ListAliases(self, info):
        fn, _, _, account, region = self._resolve(info, info.path_params["FunctionName"])
        be = self.backend(account, region)
        aliases = sorted(dict(be._lambdas._aliases.get(self._unqualified_arn(fn), {})).values(),
                         key=lambda a: a.name)
        want = info.q("FunctionVersion")
        if want:
            aliases = [a for a in aliases if str(a.function_version) == want]
        page, nxt = paginate(aliases, lambda a: [a.name], info, cap=10000 if info.q("MaxItems") else MAX_PAGE)
        out: dict[str, Any] = {"Aliases": [_drop_none(a.to_json()) for a in page]}
        if nxt:
            out["NextMarker"] = nxt
        return out

    def op_GetAccountSettings(self, info):
        groups = self._function_groups(info.account, info.region)
        total = 0
        for g in groups.values():
            for f in ([g["latest"]] if g.get("latest") else []) + list(g.get("versions", [])):
                total += int(f.code_size or 0)
        return {
            "AccountLimit": {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000,
                             "CodeSizeZipped": 52428800, "ConcurrentExecutions": 1000,
                             "UnreservedConcurrentExecutions": 1000},
            "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(groups)},
        }

    # ------------------------------------------------------------------ layers
    def _layer_storage(self, account: str, region: str):
        return self.backend(account, region)._layers

    def _find_layer_version(self, info, name_or_arn: str, version: int):
        account, region, name = info.account, info.region, name_or_arn
        if name_or_arn.startswith("arn:"):
            parts = name_or_arn.split(":")
            if len(parts) < 7 or parts[5] != "layer":
                raise ApiError("InvalidParameterValueException", f"Invalid layer ARN {name_or_arn}", 400)
            region, account, name = parts[3], parts[4], parts[6]
        layers = self._layer_storage(account, region)._layers
        layer = layers.get(name)
        lv = layer.layer_versions.get(str(version)) if layer else None
        if lv is None:
            raise ApiError("ResourceNotFoundException",
                           "The resource you requested does not exist.", 404)
        return lv

    def op_GetLayerVersion(self, info):
        try:
            version = int(info.path_params["VersionNumber"])
        except ValueError:
            raise ApiError("InvalidParameterValueException", "Invalid VersionNumber", 400)
        return self.layer_version_json(self._find_layer_version(info, info.path_params["LayerName"], version))

    def op_GetLayerVersionByArn(self, info):
        arn = info.q("Arn") or ""
        parts = arn.split(":")
        if len(parts) != 8 or parts[5] != "layer" or not parts[7].isdigit():
            raise ApiError("InvalidParameterValueException", f"Invalid layer version ARN: {arn}", 400)
        return self.layer_version_json(self._find_layer_version(info, ":".join(parts[:7]), int(parts[7])))

    @staticmethod
    def _compatible(lv, runtime: str | None, arch: str | None) -> bool:
        if runtime and runtime not in (lv.compatible_runtimes or []):
            return False
        if arch and arch not in (lv.compatible_architectures or []):
            return False
        return True

    def op_ListLayers(self, info):
        runtime, arch = info.q("CompatibleRuntime"), info.q("CompatibleArchitecture")
        layers = dict(self._layer_storage(info.account, info.region)._layers)
        items = []
        for name in sorted(layers):
            layer = layers[name]
            versions = sorted(dict(layer.layer_versions).values(), key=lambda v: v.version, reverse=True)
            match = next((v for v in versions if self._compatible(v, runtime, arch)), None)
            if match is not None:
                items.append((name, layer, match))
        page, nxt = paginate(items, lambda it: [it[0]], info)
        out: dict[str, Any] = {"Layers": [
            {"LayerName": name, "LayerArn": layer.layer_arn,
             "LatestMatchingVersion": self.layer_version_json(lv, content=False)}
            for name, layer, lv in page]}
        if nxt:
            out["NextMarker"] = nxt
        return out

    def op_ListLayerVersions(self, info):
        runtime, arch = info.q("CompatibleRuntime"), info.q("CompatibleArchitecture")
        ref = info.path_params["LayerName"]
        account, region, name = info.account, info.region, ref
        if ref.startswith("arn:"):
            parts = ref.split(":")
            region, account, name = parts[3], parts[4], parts[6]
        layer = self._layer_storage(account, region)._layers.get(name)
        versions = []
        if layer is not None:
            versions = sorted(dict(layer.layer_versions).values(), key=lambda v: v.version, reverse=True)
        versions = [v for v in versions if self._compatible(v, runtime, arch)]
        page, nxt = paginate(versions, lambda v: [-v.version], info)
        out: dict[str, Any] = {"LayerVersions": [self.layer_version_json(v, content=False) for v in page]}
        if nxt:
            out["NextMarker"] = nxt
        return out

    # ------------------------------------------------------------------ code signing configs
    def _csc(self, arn: str, *, not_found: str = "ResourceNotFoundException") -> CodeSigningConfig:
        c = self.cscs.get(arn)
        if c is None:
            raise ApiError(not_found, f"Code signing config {arn} not found", 404)
        return c

    def create_csc(self, account: str, region: str, allowed: list[str], policy: str = "Warn",
                   description: str | None = None) -> CodeSigningConfig:
        if policy not in ("Warn", "Enforce"):
            raise ApiError("InvalidParameterValueException", f"Invalid policy {policy}", 400)
        if not allowed:
            raise ApiError("InvalidParameterValueException",
                           "AllowedPublishers.SigningProfileVersionArns must not be empty", 400)
        c = CodeSigningConfig(account, region, list(allowed), policy, description,
                              _lambda_ts(self.emu.clock.now()), id="csc-" + self.emu.ids.chars("csc", 17))
        with self._lock:
            self.cscs[c.arn] = c
        return c

    def op_CreateCodeSigningConfig(self, info):
        body = info.json()
        c = self.create_csc(
            info.account, info.region,
            (body.get("AllowedPublishers") or {}).get("SigningProfileVersionArns") or [],
            (body.get("CodeSigningPolicies") or {}).get("UntrustedArtifactOnDeployment", "Warn"),
            body.get("Description"))
        return 201, {"CodeSigningConfig": c.to_json()}

    def op_GetCodeSigningConfig(self, info):
        return {"CodeSigningConfig": self._csc(info.path_params["CodeSigningConfigArn"]).to_json()}

    def op_UpdateCodeSigningConfig(self, info):
        c = self._csc(info.path_params["CodeSigningConfigArn"])
        body = info.json()
        if "AllowedPublishers" in body:
            c.allowed = list(body["AllowedPublishers"].get("SigningProfileVersionArns") or [])
        if "CodeSigningPolicies" in body:
            c.policy = body["CodeSigningPolicies"].get("UntrustedArtifactOnDeployment", c.policy)
        if "Description" in body:
            c.description = body["Description"]
        c.last_modified = _lambda_ts(self.emu.clock.now())
        return {"CodeSigningConfig": c.to_json()}

    def op_DeleteCodeSigningConfig(self, info):
        arn = info.path_params["CodeSigningConfigArn"]
        self._csc(arn)
        if arn in self.attached.values():
            raise ApiError("ResourceConflictException",
                           "The code signing configuration is attached to one or more functions", 409)
        del self.cscs[arn]
        return 204, None

    def op_ListCodeSigningConfigs(self, info):
        items = sorted((c for c in self.cscs.values()
                        if c.account == info.account and c.region == info.region), key=lambda c: c.id)
        page, nxt = paginate(items, lambda c: [c.id], info)
        out: dict[str, Any] = {"CodeSigningConfigs": [c.to_json() for c in page]}
        if nxt:
            out["NextMarker"] = nxt
        return out

    def op_ListFunctionsByCodeSigningConfig(self, info):
        arn = info.path_params["CodeSigningConfigArn"]
        c = self._csc(arn)
        names = sorted(n for (a, r, n), v in self.attached.items() if v == arn)
        page, nxt = paginate(names, lambda n: [n], info)
        out: dict[str, Any] = {"FunctionArns": [
            f"arn:aws:lambda:{c.region}:{c.account}:function:{n}" for n in page]}
        if nxt:
            out["NextMarker"] = nxt
        return out

    def attach_csc(self, account: str, region: str, function_name: str, csc_arn: str) -> None:
        self._csc(csc_arn, not_found="CodeSigningConfigNotFoundException")
        with self._lock:
            self.attached[(account, region, function_name)] = csc_arn

    def op_PutFunctionCodeSigningConfig(self, info):
        fn, name, qual, account, region = self._resolve(info, info.path_params["FunctionName"])
        if qual:
            raise ApiError("InvalidParameterValueException", "Cannot provide qualifier", 400)
        arn = info.json().get("CodeSigningConfigArn", "")
        self.attach_csc(account, region, fn.function_name, arn)
        return {"CodeSigningConfigArn": arn, "FunctionName": fn.function_name}

    def op_GetFunctionCodeSigningConfig(self, info):
        fn, _, _, account, region = self._resolve(info, info.path_params["FunctionName"])
        arn = self.attached.get((account, region, fn.function_name), "")
        return {"CodeSigningConfigArn": arn, "FunctionName": fn.function_name}

    def op_DeleteFunctionCodeSigningConfig(self, info):
        fn, _, _, account, region = self._resolve(info, info.path_params["FunctionName"])
        self.attached.pop((account, region, fn.function_name), None)
        return 204, None

    # ------------------------------------------------------------------ verification
    def _code_sha_from_spec(self, account: str, code: dict[str, Any]) -> str | None:
        if code.get("ZipFile"):
            try:
                data = base64.b64decode(code["ZipFile"])
            except (binascii.Error, ValueError):
                return None
            return base64.b64encode(hashlib.sha256(data).digest()).decode()
        if code.get("S3Bucket") and code.get("S3Key"):
            data = self.emu.s3_get(account, code["S3Bucket"], code["S3Key"], code.get("S3ObjectVersion"))
            if data is not None:
                return base64.b64encode(hashlib.sha256(data).digest()).decode()
        return None

    def verify_deployment(self, account: str, region: str, csc_arn: str | None, code_sha: str | None,
                          layer_arns: list[str]) -> Verification | None:
        """Lambda's deploy-time signature check. Raises CodeVerificationFailed under Enforce."""
        if not csc_arn:
            return None
        csc = self._csc(csc_arn, not_found="CodeSigningConfigNotFoundException")
        v = self.emu.signer.verify(code_sha, csc.allowed)
        ok = v.ok
        be = self.backend(account, region)
        for larn in layer_arns:
            lv = be.layers_versions_by_arn(larn)
            if lv is not None and not self.emu.signer.verify(lv.code_sha_256, csc.allowed).ok:
                ok = False
        if csc.policy == "Enforce" and not ok:
            raise ApiError("CodeVerificationFailedException", CODE_VERIFICATION_FAILED, 400)
        return v

    @staticmethod
    def _apply_signing(fn, v: Verification | None) -> None:
        if v is not None and v.signed and v.job is not None:
            fn.signing_profile_version_arn = v.job.profile.version_arn
            fn.signing_job_arn = v.job.arn
        else:
            fn.signing_profile_version_arn = None
            fn.signing_job_arn = None

    @staticmethod
    def _fix_image(fn) -> None:
        uri = (fn.code or {}).get("ImageUri") or ""
        if fn.package_type == "Image" and "@sha256:" in uri:
            fn.code_sha_256 = uri.split("@sha256:", 1)[1]

    def _moto_call(self, info):
        status, headers, body = self.emu.forward(info)
        if status >= 300:
            return False, (status, headers, body)
        return True, json.loads(body or b"{}")

    def op_CreateFunction(self, info):
        body = info.json()
        name = body.get("FunctionName", "")
        csc_arn = body.get("CodeSigningConfigArn")
        code = body.get("Code") or {}
        v = None
        if csc_arn:
            if code.get("ImageUri"):
                raise ApiError("InvalidParameterValueException",
                               "Code signing is not supported for container image functions", 400)
            v = self.verify_deployment(info.account, info.region, csc_arn,
                                       self._code_sha_from_spec(info.account, code),
                                       body.get("Layers") or [])
        ok, res = self._moto_call(info)
        if not ok:
            return res
        grp = self.backend(info.account, info.region)._lambdas._functions[name]
        latest = grp["latest"]
        self._fix_image(latest)
        self._apply_signing(latest, v if csc_arn else None)
        if csc_arn:
            self.attach_csc(info.account, info.region, name, csc_arn)
        if body.get("Publish") and grp["versions"]:
            ver = grp["versions"][-1]
            self._fix_image(ver)
            self._apply_signing(ver, v if csc_arn else None)
            return 201, self.config(ver, arn=ver.function_arn, version=str(ver.version))
        return 201, self.config(latest, arn=self._unqualified_arn(latest), version="$LATEST")

    def op_UpdateFunctionCode(self, info):
        fn, name, _, account, region = self._resolve(info, info.path_params["FunctionName"])
        body = info.json()
        csc_arn = self.attached.get((account, region, fn.function_name))
        v = self.verify_deployment(account, region, csc_arn,
                                   self._code_sha_from_spec(account, body),
                                   [l["Arn"] for l in fn.layers or []])
        n_before = len(self._function_groups(account, region)[fn.function_name]["versions"])
        ok, res = self._moto_call(info)
        if not ok:
            return res
        grp = self._function_groups(account, region)[fn.function_name]
        latest = grp["latest"]
        self._fix_image(latest)
        self._apply_signing(latest, v)
        if body.get("Publish") and len(grp["versions"]) > n_before:
            ver = grp["versions"][-1]
            self._fix_image(ver)
            self._apply_signing(ver, v)
            return self.config(ver, arn=ver.function_arn, version=str(ver.version))
        return self.config(latest, arn=self._unqualified_arn(latest), version="$LATEST")

    def op_UpdateFunctionConfiguration(self, info):
        fn, _, _, account, region = self._resolve(info, info.path_params["FunctionName"])
        ok, res = self._moto_call(info)
        if not ok:
            return res
        latest = self._function_groups(account, region)[fn.function_name]["latest"]
        return self.config(latest, arn=self._unqualified_arn(latest), version="$LATEST")

    def op_PublishVersion(self, info):
        fn, _, _, account, region = self._resolve(info, info.path_params["FunctionName"])
        ok, res = self._moto_call(info)
        if not ok:
            return res
        ver_no = str(res.get("Version"))
        grp = self._function_groups(account, region)[fn.function_name]
        for ver in grp["versions"]:
            if str(ver.version) == ver_no:
                return 201, self.config(ver, arn=ver.function_arn, version=ver_no)
        return 201, res

    def op_DeleteFunction(self, info):
        ref = info.path_params["FunctionName"]
        name, qual, acct, reg = split_function_ref(ref)
        qual = qual or info.q("Qualifier")
        ok, res = self._moto_call(info)
        if not ok:
            return res
        if not qual:
            self.attached.pop((acct or info.account, reg or info.region, name), None)
        return 204, None

    def op_PublishLayerVersion(self, info):
        ok, res = self._moto_call(info)
        if not ok:
            return res
        arn = res.get("LayerVersionArn", "")
        lv = self.backend(info.account, info.region).layers_versions_by_arn(arn)
        if lv is None:
            return 201, res
        v = self.emu.signer.verify(lv.code_sha_256, [])
        if v.signed and v.job is not None:
            lv.signing_profile_version_arn = v.job.profile.version_arn
            lv.signing_job_arn = v.job.arn
        return 201, self.layer_version_json(lv)
