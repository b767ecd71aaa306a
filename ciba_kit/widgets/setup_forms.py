"""Setup widgets: one form per CIBA setup step (and the client), and a wizard that applies them.

Each form shows Ping's explanation in a sentence, labelled controls, and the validation
problems of its step (field, value, what is allowed, where it lives in the console). Drive them
from code through ``.value`` (a dict of the step's profile keys) or ``form.controls[name].value``;
``wizard.profile()`` builds a :class:`~ciba_kit.setup.SetupProfile`, ``wizard.apply(target)``
applies it. The logic is in :mod:`ciba_kit.setup`; the widgets only collect values.
"""

from __future__ import annotations

import html
from typing import Any, Mapping

import ipywidgets as W

from ..protocol.errors import InputError
from ..setup.models import (
    CibaAuthenticator,
    MfaPolicy,
    NativeApplication,
    OAuthClient,
    RequestPolicy,
    SetupValidationError,
)
from ..setup.plan import SetupPlan, apply_setup, plan_setup
from ..setup.profile import SetupProfile, build_section

__all__ = ["SetupForm", "PingOneForm", "AuthenticatorForm", "RequestPolicyForm", "ClientForm", "SetupWizard",
           "problems_html"]


def problems_html(problems: list[InputError]) -> str:
    """The validation problems as an HTML list (empty string when none)."""
    if not problems:
        return "<span style='color:#1a7f37'>✓ valid</span>"
    items = "".join(f"<li><code>{html.escape(p.field)}</code>: {html.escape(p.problem)}"
                    f"{' — ' + html.escape(p.fix) if p.fix else ''}</li>" for p in problems)
    return f"<ul style='color:#cf222e;margin:0'>{items}</ul>"


def _pairs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and "=" in line:
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


class SetupForm(W.VBox):
    """Base form: ``controls`` (name -> widget), ``value`` (dict), ``validate()`` -> problems."""

    title = ""
    explanation = ""
    #: The profile section a one-section step builds, and its model (for the default ``problems``).
    section = ""
    model: Any = None

    def __init__(self, controls: dict[str, W.Widget]) -> None:
        self.controls = controls
        self.status = W.HTML("")
        header = W.HTML(f"<h4 style='margin:4px 0'>{html.escape(self.title)}</h4>"
                        f"<div style='color:#57606a;margin-bottom:4px'>{html.escape(self.explanation)}</div>")
        super().__init__([header, *controls.values(), self.status])
        for c in controls.values():
            c.observe(lambda _change: self.validate(), names="value")

    # The text repr nbval compares (the default would embed widget ids).
    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.problems())} problem(s))"

    @property
    def value(self) -> dict[str, Any]:
        """The form's values (the step's profile keys)."""
        return {k: c.value for k, c in self.controls.items()}

    @value.setter
    def value(self, values: Mapping[str, Any]) -> None:
        for k, v in values.items():
            if k not in self.controls:
                raise InputError(f"{type(self).__name__}.value", f"unknown field {k!r}",
                                 f"use one of {', '.join(self.controls)}")
            self.controls[k].value = v
        self.validate()

    def sections(self) -> dict[str, Any]:
        """Profile sections built from the values (overridden per step)."""
        raise NotImplementedError

    def problems(self) -> list[InputError]:
        """Field-level problems of this step (by default: its one ``section`` built as ``model``)."""
        return build_section(self.model, self.sections()[self.section], self.section)[1]

    def validate(self) -> list[InputError]:
        """Re-check and show the problems; returns them."""
        probs = self.problems()
        self.status.value = problems_html(probs)
        return probs


def _text(value: str = "", label: str = "", placeholder: str = "") -> W.Text:
    return W.Text(value=value, description=label, placeholder=placeholder, style={"description_width": "190px"},
                  layout=W.Layout(width="560px"))


def _area(label: str, placeholder: str) -> W.Textarea:
    return W.Textarea(value="", description=label, placeholder=placeholder, style={"description_width": "190px"},
                      layout=W.Layout(width="560px"))


def _int(value: int, label: str) -> W.IntText:
    return W.IntText(value=value, description=label, style={"description_width": "190px"})


def _check(value: bool, label: str) -> W.Checkbox:
    return W.Checkbox(value=value, description=label, indent=False)


class PingOneForm(SetupForm):
    """Step 1 (PingOne): the native application, the MFA policy's push settings, the push content."""

    title = "Step 1 · PingOne: CIBA authentication policy"
    explanation = ("An MFA policy whose allowed methods include the Native mobile application; PingOne "
                   "ignores every other method for CIBA, and the push timeout (40-150 s) bounds how long "
                   "the user has to answer.")

    def __init__(self) -> None:
        super().__init__({
            "application": _text("ciba_kit native app", "Native application"),
            "mfa_policy": _text("ciba_kit CIBA MFA policy", "MFA policy name"),
            "push_enabled": _check(True, "Push enabled"),
            "push_timeout": _int(40, "Push timeout (s)"),
            "number_matching": _check(False, "Number matching"),
            "push_limit": _int(5, "Push limit"),
            "template_name": _text("transaction", "Template"),
            "variant": _text("", "Variant"),
            "title": _text("${requestingApplicationName} is requesting approval", "Push title"),
            "body": _text("Message from ${requestingApplicationName}: ${authUserBindingMessage}", "Push body"),
        })

    def sections(self) -> dict[str, Any]:
        v = self.value
        tmpl: dict[str, Any] = {"template_name": v["template_name"], "locale": "en", "title": v["title"],
                                "body": v["body"]}
        if v["variant"]:
            tmpl["variant"] = v["variant"]
        return {"application": {"name": v["application"]},
                "mfa_policy": {"name": v["mfa_policy"], "applications": [{
                    "application": v["application"], "push_enabled": v["push_enabled"],
                    "push_timeout": v["push_timeout"], "number_matching": v["number_matching"],
                    "push_limit": v["push_limit"]}]},
                "templates": [tmpl]}

    def problems(self) -> list[InputError]:
        s = self.sections()
        _, a = build_section(NativeApplication, s["application"], "application")
        _, m = build_section(MfaPolicy, s["mfa_policy"], "mfa_policy")
        probs = a + m
        try:
            from ..prompts import PromptTemplate

            PromptTemplate(**s["templates"][0])
        except InputError as exc:
            probs.append(InputError(f"templates[0].{exc.field}", exc.problem, exc.fix))
        return probs


class AuthenticatorForm(SetupForm):
    """Step 2 (PingFederate): the PingOne MFA CIBA Authenticator instance."""

    title = "Step 2 · PingFederate: PingOne MFA CIBA Authenticator"
    section, model = "authenticator", CibaAuthenticator
    explanation = ("The authenticator sends each CIBA request to PingOne as a push, with the template "
                   "name and variant that select the prompt, and the PingOne Template Variables it "
                   "evaluates (every request-policy attribute they use goes on the Extended Contract).")

    def __init__(self) -> None:
        super().__init__({
            "id": _text("cibaKitP1Mfa", "Instance ID"),
            "name": _text("ciba_kit PingOne MFA CIBA Authenticator", "Instance Name"),
            "ik_version": W.Dropdown(options=["4.0", "3.x"], value="4.0", description="Integration kit",
                                     style={"description_width": "190px"}),
            "test_username": _text("alice", "Test Username"),
            "template_name": _text("transaction", "PingOne Template Name"),
            "template_variant": _text("", "PingOne Template Variant"),
            "api_request_timeout": _int(5000, "API Request Timeout (ms)"),
            "variables": _area("Template Variables", "name = Velocity"),
            "extended_attributes": _text("", "Extended Contract", "comma-separated"),
        })

    def sections(self) -> dict[str, Any]:
        v = dict(self.value)
        v["variables"] = _pairs(v["variables"])
        v["extended_attributes"] = [a.strip() for a in v["extended_attributes"].split(",") if a.strip()]
        return {"authenticator": v}


class RequestPolicyForm(SetupForm):
    """Step 3 (PingFederate): the CIBA request policy."""

    title = "Step 3 · PingFederate: CIBA request policy"
    section, model = "request_policy", RequestPolicy
    explanation = ("The request policy turns the identity hint into a user, drives exactly one "
                   "authenticator, and sets the transaction lifetime the client sees as expires_in "
                   "(default 120 s, clients may ask for less with requested_expiry).")

    def __init__(self) -> None:
        super().__init__({
            "id": _text("cibaKitPolicy", "Policy ID"),
            "name": _text("ciba_kit request policy", "Name"),
            "authenticator_id": _text("cibaKitP1Mfa", "Authenticator"),
            "user_code_pcv_id": _text("", "User Code PCV"),
            "transaction_lifetime": _int(120, "Transaction Lifetime (s)"),
            "allow_unsigned_login_hint_token": _check(False, "Allow Unsigned Login Hint Token"),
            "require_token_for_identity_hint": _check(False, "Require Token for Identity Hint"),
            "fulfillment": _area("Contract Fulfillment", "attribute = TEXT:value or REQUEST:IDENTITY_HINT_SUBJECT"),
        })

    def sections(self) -> dict[str, Any]:
        v = dict(self.value)
        if not v["user_code_pcv_id"]:
            v.pop("user_code_pcv_id")
        ful: dict[str, Any] = {}
        for name, spec in _pairs(v.pop("fulfillment")).items():
            kind, sep, value = spec.partition(":")
            ful[name] = {"type": kind.strip().upper(), "value": value.strip()} if sep else spec
        v["fulfillment"] = ful
        return {"request_policy": v}


class ClientForm(SetupForm):
    """The OAuth client (CIBA grant, delivery mode, polling interval, request policy)."""

    title = "The OAuth client"
    explanation = ("A client may start CIBA only with the CIBA grant type; it is bound to a request "
                   "policy (or the default one) and polls at least every Polling Interval seconds, or "
                   "is pinged at its https notification endpoint.")

    def __init__(self) -> None:
        super().__init__({
            "client_id": _text("ciba-kit-poll", "Client ID"),
            "name": _text("ciba_kit poll client", "Name"),
            "ciba_grant": _check(True, "Allowed grant type CIBA"),
            "ciba_delivery_mode": W.Dropdown(options=["POLL", "PING"], value="POLL", description="Token Delivery Mode",
                                             style={"description_width": "190px"}),
            "ciba_notification_endpoint": _text("", "Notification Endpoint"),
            "ciba_polling_interval": _int(2, "Polling Interval (s)"),
            "ciba_user_code_supported": _check(False, "User Code Support"),
            "request_policy_id": _text("cibaKitPolicy", "CIBA Request Policy"),
            "secret_env": _text("CIBA_KIT_DEMO_SECRET", "Secret from env variable"),
        })

    def sections(self) -> dict[str, Any]:
        v = dict(self.value)
        grant = v.pop("ciba_grant")
        env = v.pop("secret_env")
        v["grant_types"] = ["CIBA"] if grant else ["CLIENT_CREDENTIALS"]
        if not v["ciba_notification_endpoint"]:
            v.pop("ciba_notification_endpoint")
        if not v["request_policy_id"]:
            v.pop("request_policy_id")
        v["client_auth"] = {"type": "SECRET", "secret_env": env}
        return {"clients": [v]}

    def problems(self) -> list[InputError]:
        # Whether the variable is set is checked when the profile is built (wizard.profile()), so the
        # form's verdict does not depend on the notebook's environment.
        env = self.value["secret_env"]
        return build_section(OAuthClient, self.sections()["clients"][0], "clients[0]",
                             env={env: "set"} if env else {})[1]


class SetupWizard(W.VBox):
    """The three setup steps and the client, in order; ``profile()`` / ``plan(target)`` / ``apply(target)``.

    Attributes:
        pingone, authenticator, request_policy, client: the four forms (drive them with ``.value``).
    """

    def __init__(self, *, name: str = "wizard") -> None:
        self.name = name
        self.pingone = PingOneForm()
        self.authenticator = AuthenticatorForm()
        self.request_policy = RequestPolicyForm()
        self.client = ClientForm()
        self.forms: list[SetupForm] = [self.pingone, self.authenticator, self.request_policy, self.client]
        self.status = W.HTML("")
        super().__init__([*self.forms, self.status])
        for f in self.forms:
            f.validate()

    def __repr__(self) -> str:
        return f"SetupWizard({sum(len(f.problems()) for f in self.forms)} problem(s) in the forms)"

    def sections(self) -> dict[str, Any]:
        """All four forms as profile sections."""
        out: dict[str, Any] = {"name": self.name, "ik_version": self.authenticator.value["ik_version"]}
        for f in self.forms:
            out.update(f.sections())
        out["users"] = [{"username": self.authenticator.value["test_username"], "create": True, "paired": True}] \
            if self.authenticator.value["test_username"] else []
        out["authenticator"]["application"] = self.pingone.value["application"]
        out["authenticator"]["mfa_policy"] = self.pingone.value["mfa_policy"]
        return out

    def problems(self, env: Mapping[str, str] | None = None) -> list[InputError]:
        """Every problem of the whole setup (per-step and cross-references)."""
        try:
            SetupProfile.from_dict(self.sections(), env=env)
        except SetupValidationError as exc:
            return exc.errors
        return []

    def profile(self, env: Mapping[str, str] | None = None) -> SetupProfile:
        """The setup as a profile.

        Raises:
            SetupValidationError: listing every problem (also shown under the forms).
        """
        for f in self.forms:
            f.validate()
        try:
            prof = SetupProfile.from_dict(self.sections(), env=env)
        except SetupValidationError as exc:
            self.status.value = problems_html(exc.errors)
            raise
        self.status.value = problems_html([])
        return prof

    def plan(self, target: Any, env: Mapping[str, str] | None = None) -> SetupPlan:
        """Dry run against ``target`` (URL or Simulator)."""
        return plan_setup(self.profile(env), target)

    def apply(self, target: Any, env: Mapping[str, str] | None = None) -> SetupPlan:
        """Apply to ``target``; the result is shown under the forms too."""
        result = apply_setup(self.profile(env), target)
        self.status.value = result._repr_html_()
        return result
