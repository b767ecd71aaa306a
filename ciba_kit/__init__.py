"""ciba_kit: CIBA with PingFederate and the PingOne MFA CIBA Authenticator.

Start the embedded simulator, send CIBA requests, set up and diagnose, preview prompts, run
campaigns and chart their statistics::

    import ciba_kit as ck

    with ck.Simulator.start() as sim:
        client = ck.CibaClient.discover(sim.issuer, "demo-poll", auth=ck.ClientSecretBasic("demo-poll-secret"))
        flow = await client.authenticate(login_hint="alice", binding_message="W4SCT")

Public names are re-exported here lazily (each subpackage is imported on first use), so
``import ciba_kit`` stays cheap for the command line.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it. One name per idea across the package.
_EXPORTS: dict[str, str] = {
    # protocol: constants, errors, time
    "DeliveryMode": "ciba_kit.protocol.constants",
    "ErrorCode": "ciba_kit.protocol.constants",
    "Outcome": "ciba_kit.protocol.constants",
    "ClientAuthMethod": "ciba_kit.protocol.constants",
    "CIBA_GRANT_TYPE": "ciba_kit.protocol.constants",
    "Clock": "ciba_kit.protocol.clock",
    "SystemClock": "ciba_kit.protocol.clock",
    "ScaledClock": "ciba_kit.protocol.clock",
    "ManualClock": "ciba_kit.protocol.clock",
    "demo_client_key": "ciba_kit.protocol.jose",
    **{name: "ciba_kit.protocol.errors" for name in (
        "CibaError", "InputError", "TransportError", "ProtocolError", "DiscoveryError",
        "TokenValidationError", "OAuthError", "InvalidRequest", "InvalidRequestObject", "InvalidScope",
        "ExpiredLoginHintToken", "UnknownUserId", "UnauthorizedClient", "MissingUserCode",
        "InvalidUserCode", "InvalidBindingMessage", "InvalidClient", "AccessDenied",
        "AuthorizationPending", "SlowDown", "ExpiredToken", "InvalidGrant", "UnsupportedGrantType",
        "TransactionFailed", "ServerError", "TemporarilyUnavailable", "InvalidToken", "UnknownOAuthError",
    )},
    # simulator
    **{name: "ciba_kit.simulator" for name in (
        "Simulator", "Persona", "PendingPrompt", "TruthRecord", "SimulatorSettings",
    )},
    # client
    **{name: "ciba_kit.client" for name in (
        "CibaClient", "SyncCibaClient", "FlowResult", "AuthRequest", "TimelineEvent", "Latency", "TokenSet",
        "ProviderMetadata", "ClientSecretBasic", "ClientSecretPost", "ClientSecretJwt", "PrivateKeyJwt",
        "TlsClientAuth", "SelfSignedTlsClientAuth", "NotificationReceiver",
    )},
    # prompts
    **{name: "ciba_kit.prompts" for name in (
        "PromptTemplate", "PromptContext", "ScopeInfo", "PromptPreview", "LintFinding", "PushCategory",
        "LanguagePack", "VelocityNames", "BindingMessageRule", "render_prompt", "lint_prompt", "phone_html",
        "load_templates", "save_templates", "ScreenLimits",
    )},
    # setup
    **{name: "ciba_kit.setup" for name in (
        "SetupProfile", "PingFederateAdmin", "PingOneApi", "doctor", "DoctorReport", "DoctorCheck",
        "plan_setup", "apply_setup", "verify_setup", "MfaPolicy", "SignOnPolicy", "NativeApplication",
        "CibaAuthenticator", "RequestPolicy", "CibaServerSettings", "OAuthClient", "SetupValidationError",
        "PingFederateApiError", "PingOneApiError", "SetupPlan", "SetupApplyError", "Secret",
        "JwksSettings", "AttributeSource", "MfaMobileApplication", "LoginHintTokenIssuer", "FieldError",
        "ApiResult", "TestUser",
    )},
    # runs
    **{name: "ciba_kit.runs" for name in (
        "run_campaign", "Campaign", "Population", "PersonaSpec", "RunLog", "load_flows", "load_events",
        "load_runs", "export_flows", "synthesize", "start_receiver",
    )},
    # widgets
    "RequestConsole": "ciba_kit.widgets.request_console",
    "PromptStudio": "ciba_kit.widgets.prompt_studio",
    "LocaleGrid": "ciba_kit.widgets.prompt_studio",
    "PhoneView": "ciba_kit.widgets.prompt_studio",
    "SetupWizard": "ciba_kit.widgets.setup_forms",
    "Dashboard": "ciba_kit.widgets.dashboard",
}

# subpackages reachable as attributes: ck.analysis.approval_rate(...), ck.plots.latency_cdf(...)
_SUBMODULES: dict[str, str] = {
    "analysis": "ciba_kit.analysis",
    "plots": "ciba_kit.analysis.plots",
    "widgets": "ciba_kit.widgets",
    "protocol": "ciba_kit.protocol",
    "setup": "ciba_kit.setup",
}

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"], key=str.lower)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(_SUBMODULES[name])
    else:
        raise AttributeError(f"module 'ciba_kit' has no attribute {name!r}")
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return list(__all__)
