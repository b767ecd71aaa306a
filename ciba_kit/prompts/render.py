"""Rendering PingOne push content for a CIBA request context.

What happens, in PingOne's and PingFederate's order:

1. **Content selection** (:func:`select_content`), as PingOne documents it: the template's contents
   for the variant (case-insensitive; a variant without contents falls back to the default,
   variant-less contents — UNCONFIRMED, our choice), then by locale: the request's locale, the
   user's preferred language, each also language-only (``es-ES`` -> ``es``), then the environment
   default language (``en``). The preview's ``reason`` says which step matched.
2. **Variables**: the six built-in request values (``${requestingApplicationName}``...,
   ``${requestedScope}`` joined with newlines) plus the authenticator's *PingOne Template
   Variables* rows, each a Velocity source evaluated with airspeed
   (:mod:`ciba_kit.prompts.velocity`) against the request (contract attributes, user attributes,
   language-pack messages for the user's locale, a locale-aware formatter).
3. **Substitution** of ``${name}`` in the content's title and body. PingOne does not document
   what a placeholder without a value becomes; ciba_kit leaves the raw placeholder visible
   (``${purchaseTotal}``) so the mistake shows on the phone, and the lint reports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ..protocol.errors import InputError
from .langpack import LanguagePack, Messages
from .model import (
    BANNER_BUTTONS_BY_CATEGORY,
    BindingMessageRule,
    PromptContext,
    PromptPreview,
    PromptTemplate,
    ScopeInfo,
    ScreenLimits,
    VelocityNames,
)
from .velocity import VelocityResult, build_namespace, evaluate_variable

__all__ = [
    "builtin_variables",
    "select_content",
    "render_prompt",
    "PLACEHOLDER_RE",
    "BUILTIN_VARIABLES",
    "SCOPE_DESCRIPTIONS",
    "scopes_from_string",
    "NoContentError",
    "RenderState",
    "placeholders",
    "effective_locale",
]

PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")

#: The request-context variables PingOne fills for a CIBA prompt without any PingFederate setup.
BUILTIN_VARIABLES = (
    "locale",
    "requestedScope",
    "requestingApplicationId",
    "requestingApplicationName",
    "requestingApplicationLogoUrl",
    "authUserBindingMessage",
)

#: Descriptions used when a scope comes without one (PingFederate's are configured per scope;
#: these are ciba_kit's defaults for the standard OpenID Connect scopes).
SCOPE_DESCRIPTIONS = {
    "openid": "Sign-in with your identity",
    "profile": "Profile information access",
    "email": "Email address access",
    "address": "Postal address access",
    "phone": "Phone number access",
    "offline_access": "Access while you are offline",
}


class NoContentError(InputError, LookupError):
    """No push content matches the template name (and variant)."""


def scopes_from_string(scope: str | None, descriptions: Mapping[str, str] | None = None) -> list[ScopeInfo]:
    """``"openid email"`` -> ScopeInfo list with descriptions (``descriptions`` wins over the defaults)."""
    table = {**SCOPE_DESCRIPTIONS, **(descriptions or {})}
    return [ScopeInfo(s, table.get(s, "")) for s in (scope or "").split()]


def placeholders(text: str) -> list[str]:
    """``${name}`` placeholder names in ``text``, in order, without duplicates."""
    return list(dict.fromkeys(PLACEHOLDER_RE.findall(text)))


def effective_locale(ctx: PromptContext, default_language: str = "en") -> str:
    """The user's locale for this request: request locale, else preferred language, else default."""
    return ctx.locale or ctx.user_locale or default_language


def builtin_variables(ctx: PromptContext, locale: str) -> dict[str, str | None]:
    """The six variables PingOne fills for a CIBA prompt without any PingFederate table entry.

    A value of None means "absent from the request" (the placeholder then stays raw).
    """
    scopes = [s.description or s.name for s in ctx.scopes]
    return {
        "locale": locale,
        "requestedScope": "\n".join(scopes) if scopes else None,
        "requestingApplicationId": ctx.client_id,
        "requestingApplicationName": ctx.client_name,
        "requestingApplicationLogoUrl": ctx.logo_url,
        "authUserBindingMessage": ctx.binding_message,
    }


def _loc_key(locale: str) -> str:
    return locale.strip().replace("_", "-").lower()


def select_content(contents: Iterable[PromptTemplate], *, template_name: str, variant: str | None,
                   locale: str | None, user_locale: str | None,
                   default_language: str = "en") -> tuple[PromptTemplate, str]:
    """Pick a content as PingOne does: request locale, user's language, language-only, default.

    Returns:
        The content and a one-line reason naming the step that matched.

    Raises:
        NoContentError: the template (or its default variant) has no push content.
    """
    everything = list(contents)
    pool = [c for c in everything if c.template_name == template_name] or \
        [c for c in everything if c.template_name.lower() == template_name.lower()]
    if not pool:
        have = sorted({c.template_name for c in everything})
        raise NoContentError("template_name", f"no push content for template {template_name!r}",
                             f"use one of {have}" if have else "add a push content")
    notes: list[str] = []
    want_variant = (variant or "").lower() or None
    pool_v = [c for c in pool if (c.variant or "").lower() == want_variant] if want_variant else []
    if want_variant and pool_v:
        notes.append(f"variant {variant!r}")
    else:
        if want_variant:
            notes.append(f"variant {variant!r} has no content, default content used")
        pool_v = [c for c in pool if not c.variant]
    if not pool_v:
        variants = sorted({c.variant for c in pool if c.variant})
        raise NoContentError("variant", f"template {template_name!r} has no default (variant-less) push content",
                             f"request one of the variants {variants} or add a default content")
    by_locale: dict[str, PromptTemplate] = {}
    for c in pool_v:
        by_locale.setdefault(_loc_key(c.locale), c)
    misses: list[str] = []
    for source, loc in (("request locale", locale), ("user's preferred language", user_locale)):
        if not loc:
            misses.append(f"no {source}")
            continue
        exact = _loc_key(loc)
        lang = exact.split("-")[0]
        if exact in by_locale:
            return by_locale[exact], "; ".join(notes + misses + [f"{source} {loc!r} (exact match)"])
        if lang != exact and lang in by_locale:
            return by_locale[lang], "; ".join(notes + misses + [
                f"{source} {loc!r} has no content, its language {lang!r} does"])
        tried = f"{loc!r}" + (f" or {lang!r}" if lang != exact else "")
        misses.append(f"{source} {tried} has no content")
    dflt = _loc_key(default_language)
    for cand in (dflt, dflt.split("-")[0]):
        if cand in by_locale:
            return by_locale[cand], "; ".join(notes + misses + [f"environment default language {default_language!r}"])
    first = pool_v[0]
    return first, "; ".join(notes + misses + [
        f"no content for the default language {default_language!r}; first content {first.locale!r} used"])


@dataclass
class RenderState:
    """Everything a render computed, for the lint (internal, but stable enough to inspect)."""

    contents: list[PromptTemplate]
    chosen: PromptTemplate
    context: PromptContext
    template_name: str
    variant_requested: str | None
    default_language: str
    format_locale: str
    builtins: dict[str, str | None]
    variables: dict[str, str]  # name -> Velocity source
    results: dict[str, VelocityResult]
    values: dict[str, str]  # everything with a value
    title: str
    body: str
    missing_in_title: list[str] = field(default_factory=list)
    missing_in_body: list[str] = field(default_factory=list)
    messages: Messages | None = None
    names: VelocityNames = field(default_factory=VelocityNames)


def _request_view(ctx: PromptContext, builtins: Mapping[str, str | None]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "clientId": ctx.client_id,
        "clientName": ctx.client_name,
        "logoUrl": ctx.logo_url,
        "bindingMessage": ctx.binding_message,
        "locale": builtins["locale"],
        "scopes": [s.name for s in ctx.scopes],
        "scopeDescriptions": [s.description or s.name for s in ctx.scopes],
        "requestedScope": builtins["requestedScope"],
    }
    return {k: v for k, v in view.items() if v is not None}


def _substitute(text: str, values: Mapping[str, str]) -> tuple[str, list[str]]:
    missing: list[str] = []

    def repl(m: re.Match[str]) -> str:
        if m.group(1) in values:
            return values[m.group(1)]
        missing.append(m.group(1))
        return m.group(0)  # visible on purpose: PingOne's behaviour is undocumented

    return PLACEHOLDER_RE.sub(repl, text), missing


def _render(contents: list[PromptTemplate], ctx: PromptContext, *, template_name: str | None, variant: str | None,
            variables: Mapping[str, str] | None, default_language: str, language_pack: LanguagePack | None,
            names: VelocityNames) -> tuple[RenderState, str]:
    if not contents:
        raise InputError("templates", "no push content given", "pass a PromptTemplate or a list of them")
    name = template_name or contents[0].template_name
    chosen, reason = select_content(contents, template_name=name, variant=variant, locale=ctx.locale,
                                    user_locale=ctx.user_locale, default_language=default_language)
    fmt_locale = effective_locale(ctx, default_language)
    builtins = builtin_variables(ctx, fmt_locale)
    messages = language_pack.messages(fmt_locale) if language_pack is not None else Messages({}, locale=fmt_locale)
    values: dict[str, str] = {k: v for k, v in builtins.items() if v is not None}
    results: dict[str, VelocityResult] = {}
    table = {str(k): str(v) for k, v in (variables or {}).items()}
    if table:
        ns = build_namespace(builtins=builtins, contract_attributes=ctx.contract_attributes,
                             user_attributes=ctx.user_attributes, request=_request_view(ctx, builtins),
                             messages=messages, format_locale=fmt_locale, names=names)
        for var_name, source in table.items():
            res = evaluate_variable(var_name, source, ns, names)
            results[var_name] = res
            if res.value is not None:
                values[var_name] = res.value
            else:
                values.pop(var_name, None)  # a failed row sends nothing, even over a built-in
    title, miss_t = _substitute(chosen.title, values)
    body, miss_b = _substitute(chosen.body, values)
    state = RenderState(contents=contents, chosen=chosen, context=ctx, template_name=name, variant_requested=variant,
                        default_language=default_language, format_locale=fmt_locale, builtins=builtins,
                        variables=table, results=results, values=values, title=title, body=body,
                        missing_in_title=miss_t, missing_in_body=miss_b, messages=messages, names=names)
    return state, reason


def render_prompt(templates: PromptTemplate | Iterable[PromptTemplate], context: PromptContext | None = None,
                  *, template_name: str | None = None, variant: str | None = None,
                  variables: Mapping[str, str] | None = None, default_language: str = "en",
                  language_pack: LanguagePack | None = None, names: VelocityNames | None = None,
                  binding_rule: BindingMessageRule | None = None, limits: ScreenLimits | None = None,
                  extended_contract: Any = None, fulfilled_attributes: Any = None,
                  lint: bool = True) -> PromptPreview:
    """Render what the phone shows for ``context`` from one content or a set of contents.

    Args:
        templates: one content or every content of the template (all locales and variants).
        context: the request (client, scopes, binding message, locales, attributes).
        template_name: PingOne template to use (default: the first content's).
        variant: the authenticator's *PingOne Template Variant* (case-insensitive).
        variables: the authenticator's *PingOne Template Variables*: name -> Velocity source.
        default_language: the PingOne environment's default language.
        language_pack: PingFederate language-pack messages for ``$messages``.
        names: Velocity object names (defaults: ``attributes``, ``request``, ``user``, ``messages``, ``format``).
        binding_rule: the provider's binding-message rule (default: PingFederate's as reported).
        limits: assumed lock-screen limits for the truncation warning.
        extended_contract: the authenticator's Extended Contract (names, ``[{"name":..}]`` or the
            Admin API ``attributeContract``); when given, the lint checks variables against it.
        fulfilled_attributes: the request policy's contract fulfillment (names, or the Admin API
            ``attributeContractFulfillment`` map / ``identityHintMapping``).
        lint: run the lint (findings in the preview); False skips it (cheaper).

    Returns:
        A :class:`PromptPreview`; ``findings`` holds the lint results.

    Raises:
        NoContentError: no content for the template (or its default variant).
        InputError: ``templates`` is empty.
    """
    ctx = context or PromptContext()
    contents = [templates] if isinstance(templates, PromptTemplate) else list(templates)
    state, reason = _render(contents, ctx, template_name=template_name, variant=variant, variables=variables,
                            default_language=default_language, language_pack=language_pack,
                            names=names or VelocityNames())
    findings = []
    if lint:
        from .lint import collect_findings  # the lint builds on this module

        findings = collect_findings(state, binding_rule=binding_rule or BindingMessageRule(),
                                    limits=limits or ScreenLimits(), extended_contract=extended_contract,
                                    fulfilled_attributes=fulfilled_attributes)
    chosen = state.chosen
    return PromptPreview(title=state.title, body=state.body, category=chosen.category, locale=chosen.locale,
                         variant=chosen.variant, template_name=chosen.template_name, reason=reason,
                         variables=dict(state.values), findings=findings,
                         buttons=BANNER_BUTTONS_BY_CATEGORY[chosen.category], format_locale=state.format_locale,
                         client_name=ctx.client_name or "", logo_url=ctx.logo_url or "")
