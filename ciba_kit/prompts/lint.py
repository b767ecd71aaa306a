"""Prompt lint: every finding says where it is and how to fix it.

Advanced CIBA prompt customizations must agree in four places (Ping's IK documentation):
the PingOne notification template, the authenticator's *PingOne Template Variables* table, the
authenticator's *Extended Contract* and the CIBA request policy's *Contract Fulfillment*. The lint
takes all four as plain inputs (lists / dicts, or the PingFederate Admin API shapes, see
:func:`lint_inputs_from_pingfederate`), plus the request being rendered.

=================================  ========  =====================================================
rule                               severity  meaning
=================================  ========  =====================================================
``unknown-placeholder``            error     ``${x}`` is neither built-in nor a table variable
``placeholder-without-braces``     warning   ``$x`` in a PingOne template (PingOne needs ``${x}``)
``invalid-variable-name``          error     a table row name PingOne cannot use as ``${name}``
``unused-variable``                warning   a table row no content of the template uses
``shadows-builtin``                warning   a table row named like a built-in variable
``velocity-syntax``                error     the Velocity source does not parse (line, column)
``velocity-execution``             error     evaluation failed (line, column)
``velocity-forbidden``             error     a name starting with ``_`` (refused)
``contract-not-in-extended-contract``  error  a variable reads ``$attributes.x`` not declared there
``contract-not-fulfilled``         error     declared but not supplied by the request policy
``missing-value``                  warning   a placeholder / reference has no value: shown raw
``attribute-absent``               info      a guarded (``$!``/``#if``) attribute is absent
``missing-message``                warning   a language-pack key exists for no locale in the chain
``empty-result``                   error     title or body renders empty or whitespace-only
``empty-variable``                 warning   a used variable renders empty or whitespace-only
``binding-message-rejected``       error     the provider's rule would refuse the binding message
``title-truncated``                warning   longer than the assumed lock-screen title line
``body-truncated``                 warning   longer than the assumed lock-screen body
``variant-not-found``              warning   the requested variant has no content
``no-default-language-content``    warning   no content for the environment default language
=================================  ========  =====================================================

Assumed lock-screen limits: see :class:`~ciba_kit.prompts.model.ScreenLimits` (PingOne documents
none).
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any, Iterable, Mapping

from .langpack import LanguagePack
from .model import BindingMessageRule, LintFinding, PromptContext, PromptTemplate, ScreenLimits, VelocityNames
from .render import BUILTIN_VARIABLES, PLACEHOLDER_RE, RenderState, placeholders, render_prompt
from .velocity import attribute_references

__all__ = [
    "lint_prompt",
    "collect_findings",
    "contract_names",
    "fulfilled_names",
    "template_variables_from_authenticator",
    "lint_inputs_from_pingfederate",
    "TEMPLATE_VARIABLES_TABLE",
    "VARIABLE_NAME_RE",
]

#: Admin API name of the authenticator's table, and its column (row field) names.
TEMPLATE_VARIABLES_TABLE = "PingOne Template Variables"
_ROW_NAME = "PingOne Template Variable Name"
_ROW_VALUE = "PingOne Template Variable Value"

VARIABLE_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BARE_DOLLAR_RE = re.compile(r"\$(?!\{)([A-Za-z_][A-Za-z0-9_]*)")
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
# The contract attribute every PingOne MFA authenticator contract holds.
_CORE_CONTRACT = {"subject"}


def _names_of(items: Iterable[Any]) -> set[str]:
    out: set[str] = set()
    for it in items:
        if isinstance(it, Mapping):
            if "name" in it:
                out.add(str(it["name"]))
        else:
            out.add(str(it))
    return out


def contract_names(extended_contract: Any) -> set[str] | None:
    """Attribute names of an authenticator contract; None when not given.

    Accepts names, ``[{"name": ...}]``, an Admin API ``attributeContract`` (core + extended) or a
    whole ``/oauth/outOfBandAuthPlugins`` item.
    """
    if extended_contract is None:
        return None
    if isinstance(extended_contract, Mapping):
        if "attributeContract" in extended_contract:
            return contract_names(extended_contract["attributeContract"])
        if "extendedAttributes" in extended_contract or "coreAttributes" in extended_contract:
            return (_names_of(extended_contract.get("coreAttributes") or [])
                    | _names_of(extended_contract.get("extendedAttributes") or []))
        return {str(k) for k in extended_contract}
    if isinstance(extended_contract, str):
        return {extended_contract}
    return _names_of(extended_contract)


def fulfilled_names(fulfillment: Any) -> set[str] | None:
    """Attribute names a request policy's contract fulfillment supplies; None when not given.

    Accepts names, an ``attributeContractFulfillment`` map (entries with source type
    ``NO_MAPPING`` do not count), an ``identityHintMapping`` or a whole request-policy item.
    """
    if fulfillment is None:
        return None
    if isinstance(fulfillment, Mapping):
        if "identityHintMapping" in fulfillment:
            return fulfilled_names(fulfillment["identityHintMapping"] or {})
        if "attributeContractFulfillment" in fulfillment:
            return fulfilled_names(fulfillment["attributeContractFulfillment"] or {})
        out: set[str] = set()
        for name, entry in fulfillment.items():
            if isinstance(entry, Mapping):
                source = entry.get("source") or {}
                if isinstance(source, Mapping) and str(source.get("type", "")).upper() == "NO_MAPPING":
                    continue
            out.add(str(name))
        return out
    if isinstance(fulfillment, str):
        return {fulfillment}
    return _names_of(fulfillment)


def template_variables_from_authenticator(plugin: Mapping[str, Any]) -> dict[str, str]:
    """The *PingOne Template Variables* table of an ``/oauth/outOfBandAuthPlugins`` item: name -> source."""
    out: dict[str, str] = {}
    config = plugin.get("configuration") or {}
    for table in config.get("tables") or []:
        if table.get("name") != TEMPLATE_VARIABLES_TABLE:
            continue
        for row in table.get("rows") or []:
            fields = {f.get("name"): f.get("value", "") for f in row.get("fields") or []}
            name = fields.get(_ROW_NAME)
            if name:
                out[str(name)] = str(fields.get(_ROW_VALUE) or "")
    return out


def lint_inputs_from_pingfederate(authenticator: Mapping[str, Any],
                                  request_policy: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Keyword arguments for :func:`lint_prompt` / :func:`render_prompt` from Admin API documents.

    Returns ``variables``, ``extended_contract``, ``template_name``, ``variant`` and, when a
    request policy is given, ``fulfilled_attributes``.
    """
    fields = {f.get("name"): f.get("value") for f in (authenticator.get("configuration") or {}).get("fields") or []}
    out: dict[str, Any] = {
        "variables": template_variables_from_authenticator(authenticator),
        "extended_contract": contract_names(authenticator.get("attributeContract") or {}) or set(),
        "template_name": fields.get("PingOne Template Name") or "transaction",
        "variant": fields.get("PingOne Template Variant") or None,
    }
    if request_policy is not None:
        out["fulfilled_attributes"] = fulfilled_names(request_policy) or set()
    return out


def _where(t: PromptTemplate, part: str) -> str:
    return f"content {t.locale}{'/' + t.variant if t.variant else ''} {part}"


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean ${{{close[0]}}}? " if close else ""


def _placeholder_findings(t: PromptTemplate, known: set[str], table: Mapping[str, str]) -> list[LintFinding]:
    out: list[LintFinding] = []
    for part in ("title", "body"):
        text = getattr(t, part)
        for name in placeholders(text):
            if name not in known:
                out.append(LintFinding(
                    "unknown-placeholder", "error",
                    f"${{{name}}} is neither a built-in variable nor a PingOne Template Variable",
                    _suggest(name, known) + f"or add a row {name!r} to the authenticator's PingOne Template "
                    "Variables table (and use it in the template)", _where(t, part)))
        for m in _BARE_DOLLAR_RE.finditer(PLACEHOLDER_RE.sub("", text)):
            if m.group(1) in known:
                out.append(LintFinding(
                    "placeholder-without-braces", "warning",
                    f"${m.group(1)} is written without braces; PingOne substitutes only ${{{m.group(1)}}}",
                    f"write ${{{m.group(1)}}}", _where(t, part)))
    return out


def _velocity_findings(state: RenderState, extended: set[str] | None, fulfilled: set[str] | None) -> list[LintFinding]:
    out: list[LintFinding] = []
    names = state.names
    for var, res in state.results.items():
        place = f"variables.{var}"
        if res.error is not None:
            rule = {"syntax": "velocity-syntax", "execution": "velocity-execution"}.get(res.error.kind,
                                                                                          "velocity-forbidden")
            fix = {"velocity-syntax": "correct the Velocity syntax at that position (every #if/#foreach "
                                      "needs #end, every ( a ))",
                   "velocity-execution": "check the types used there (contract attributes arrive as text; "
                                         "use $format.number(...) for arithmetic-free formatting)",
                   "velocity-forbidden": "use only the documented objects and their public fields"}[rule]
            out.append(LintFinding(rule, "error",
                                   f"variable {var}: {res.error.message}",
                                   fix, f"{place} line {res.error.line} col {res.error.column}"))
            continue
        for ref in res.unresolved:
            attr = next((a for a in attribute_references(ref, names.attributes)), None)
            why = (f"contract attribute {attr!r} is not in this request" if attr
                   else "it has no value in this request")
            out.append(LintFinding(
                "missing-value", "warning",
                f"variable {var}: {ref} is shown raw on the phone because {why}",
                (f"supply {attr!r} through the request policy's Contract Fulfillment, or "
                 f"write $!{names.attributes}.{attr} / ${{{names.attributes}.{attr}|\"...\"}} for a default")
                if attr else "supply the value, or use the quiet form $!name (prints nothing when absent) "
                             "or ${name|\"default\"}", place))
        printed = {a for ref in res.unresolved for a in attribute_references(ref, names.attributes)}
        for attr in res.attributes_missing:
            if attr not in printed:
                out.append(LintFinding(
                    "attribute-absent", "info",
                    f"variable {var}: contract attribute {attr!r} is absent in this request (handled by the source)",
                    "nothing to do if that is intended", place))
        for key in res.messages_missing:
            out.append(LintFinding(
                "missing-message", "warning",
                f"variable {var}: language-pack key {key!r} is missing for locale {state.format_locale!r} "
                "(and every fallback)",
                f"add {key}=... to the language pack's base .properties file (and translations)", place))
        # The four places: template (checked as unknown/unused), table (here), contract, fulfillment.
        attrs = list(dict.fromkeys(attribute_references(res.source, names.attributes) + res.attributes_read))
        for attr in attrs:
            if extended is not None and attr not in extended and attr not in _CORE_CONTRACT:
                out.append(LintFinding(
                    "contract-not-in-extended-contract", "error",
                    f"variable {var} reads contract attribute {attr!r}, which the authenticator's Extended "
                    "Contract does not declare",
                    f"add {attr!r} on the authenticator's Extended Contract tab, then map it on the CIBA "
                    "request policy's Contract Fulfillment tab", place))
            elif fulfilled is not None and attr not in fulfilled:
                out.append(LintFinding(
                    "contract-not-fulfilled", "error",
                    f"variable {var} reads contract attribute {attr!r}, which the CIBA request policy's "
                    "Contract Fulfillment does not supply",
                    f"map {attr!r} on the request policy's Contract Fulfillment tab (source Request, Text, "
                    "Expression or a data store)", place))
    return out


def collect_findings(state: RenderState, *, binding_rule: BindingMessageRule, limits: ScreenLimits,
                     extended_contract: Any = None, fulfilled_attributes: Any = None) -> list[LintFinding]:
    """The findings for one render (called by :func:`render_prompt`)."""
    out: list[LintFinding] = []
    table = state.variables
    known = set(BUILTIN_VARIABLES) | set(table)
    chosen = state.chosen
    ctx: PromptContext = state.context
    same_template = [c for c in state.contents if c.template_name == state.template_name]

    # Content selection.
    if state.variant_requested and (chosen.variant or "").lower() != state.variant_requested.lower():
        out.append(LintFinding(
            "variant-not-found", "warning",
            f"variant {state.variant_requested!r} of template {state.template_name!r} has no push content; "
            "the default content was used",
            "create the variant's contents in PingOne, or fix the authenticator's PingOne Template Variant",
            "authenticator PingOne Template Variant"))
    pool = [c for c in same_template if (c.variant or "").lower() == (chosen.variant or "").lower()]
    dflt = state.default_language.replace("_", "-").lower()
    if not any(c.locale.replace("_", "-").lower() in (dflt, dflt.split("-")[0]) for c in pool):
        out.append(LintFinding(
            "no-default-language-content", "warning",
            f"no content in the environment default language {state.default_language!r}",
            f"add a {state.default_language!r} content: it is PingOne's last fallback", "template contents"))

    # Table rows. The table belongs to one authenticator, i.e. one template + variant: every locale
    # of the chosen variant counts as a use, other variants belong to other configurations.
    used = set()
    for c in pool:
        used |= set(placeholders(c.title)) | set(placeholders(c.body))
    for var in table:
        if not VARIABLE_NAME_RE.fullmatch(var):
            out.append(LintFinding(
                "invalid-variable-name", "error", f"{var!r} cannot be used as ${{{var}}} in a PingOne template",
                "use letters, digits and _ only, starting with a letter", f"variables.{var}"))
        elif var not in used:
            out.append(LintFinding(
                "unused-variable", "warning",
                f"variable {var} is defined but no content of template {state.template_name!r}"
                f"{' variant ' + repr(chosen.variant) if chosen.variant else ''} uses ${{{var}}}",
                f"use ${{{var}}} in the title or body, or remove the row", f"variables.{var}"))
        if var in BUILTIN_VARIABLES:
            out.append(LintFinding(
                "shadows-builtin", "warning", f"variable {var} has the name of a built-in variable",
                "rename the row; which value PingOne keeps is undocumented", f"variables.{var}"))
    out += _placeholder_findings(chosen, known, table)
    out += _velocity_findings(state, contract_names(extended_contract), fulfilled_names(fulfilled_attributes))

    # What the phone shows.
    failed = {v for v, r in state.results.items() if r.value is None}
    for part, missing in (("title", state.missing_in_title), ("body", state.missing_in_body)):
        for name in dict.fromkeys(missing):
            if name not in known or name in failed:
                continue  # reported as unknown placeholder / Velocity error
            source = {"authUserBindingMessage": "the request has no binding_message",
                      "requestedScope": "the request has no scopes",
                      "requestingApplicationLogoUrl": "the client has no logo URL"}.get(name, "it has no value")
            out.append(LintFinding(
                "missing-value", "warning",
                f"${{{name}}} is shown raw on the phone because {source} (PingOne's behaviour is undocumented)",
                "send the value with the request, or remove the placeholder", _where(chosen, part)))
    for part, text in (("title", state.title), ("body", state.body)):
        if not text.strip():
            out.append(LintFinding(
                "empty-result", "error", f"the {part} renders {'empty' if not text else 'as whitespace only'}",
                f"put text in the {part}, or make sure its variables have values", _where(chosen, part)))
    for var, res in state.results.items():
        if res.value is not None and not res.value.strip() and var in used:
            out.append(LintFinding(
                "empty-variable", "warning", f"variable {var} renders empty for this request",
                "check its source and the request's attributes", f"variables.{var}"))
    if ctx.binding_message is not None:
        problem = binding_rule.check(ctx.binding_message)
        if problem:
            out.append(LintFinding(
                "binding-message-rejected", "error",
                f"binding message {ctx.binding_message!r} would be rejected by {binding_rule.source}: {problem}",
                f"use at most {binding_rule.max_length} characters matching {binding_rule.pattern} "
                "(no spaces), e.g. a transaction code like 'TX-4821'", "request.binding_message"))
    if len(state.title) > limits.title_chars:
        out.append(LintFinding(
            "title-truncated", "warning",
            f"title is {len(state.title)} characters; a lock screen shows about {limits.title_chars} "
            "(assumed limit: PingOne documents none)",
            "shorten the title or move details to the body", _where(chosen, "title")))
    per_line = max(1, limits.body_chars // max(1, limits.body_lines))
    lines = sum(max(1, math.ceil(len(line) / per_line)) for line in state.body.split("\n"))
    if len(state.body) > limits.body_chars or lines > limits.body_lines:
        out.append(LintFinding(
            "body-truncated", "warning",
            f"body is {len(state.body)} characters on about {lines} lines; a lock screen shows about "
            f"{limits.body_chars} characters on {limits.body_lines} lines (assumed limits: PingOne documents none)",
            "put the essential part (amount, code) first, or shorten the body", _where(chosen, "body")))
    return sorted(out, key=lambda f: _SEVERITY_ORDER.get(f.severity, 3))


def lint_prompt(templates: PromptTemplate | Iterable[PromptTemplate], context: PromptContext | None = None,
                *, template_name: str | None = None, variant: str | None = None,
                variables: Mapping[str, str] | None = None, default_language: str = "en",
                language_pack: LanguagePack | None = None, names: VelocityNames | None = None,
                binding_rule: BindingMessageRule | None = None, limits: ScreenLimits | None = None,
                extended_contract: Any = None, fulfilled_attributes: Any = None) -> list[LintFinding]:
    """Lint a prompt set for one request: the rendered content and the other locales of its variant.

    Arguments as for :func:`~ciba_kit.prompts.render_prompt`. The doctor passes the authenticator's
    table, Extended Contract and the request policy's fulfillment (see
    :func:`lint_inputs_from_pingfederate`).

    Returns:
        Findings, errors first.
    """
    contents = [templates] if isinstance(templates, PromptTemplate) else list(templates)
    preview = render_prompt(contents, context, template_name=template_name, variant=variant, variables=variables,
                            default_language=default_language, language_pack=language_pack, names=names,
                            binding_rule=binding_rule, limits=limits, extended_contract=extended_contract,
                            fulfilled_attributes=fulfilled_attributes)
    findings = list(preview.findings)
    name = template_name or contents[0].template_name
    known = set(BUILTIN_VARIABLES) | {str(k) for k in (variables or {})}
    variant_key = (preview.variant or "").lower()
    for c in contents:
        # Other locales of the same variant: PingOne may pick them for another user.
        if c.template_name != name or (c.variant or "").lower() != variant_key or c.locale == preview.locale:
            continue
        findings += _placeholder_findings(c, known, variables or {})
    return sorted(findings, key=lambda f: _SEVERITY_ORDER.get(f.severity, 3))
