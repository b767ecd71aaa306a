"""Rendering PingOne push content for a request context (first version: built-in variables,
``${name}`` substitution and locale fallback; the prompts work extends it with Velocity variables,
language packs and lint).
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from .model import PromptContext, PromptPreview, PromptTemplate

__all__ = ["builtin_variables", "select_content", "render_prompt", "PLACEHOLDER_RE"]

PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def builtin_variables(ctx: PromptContext, locale: str) -> dict[str, str]:
    """The six variables PingOne fills for a CIBA prompt without any PingFederate table entry."""
    return {
        "locale": locale,
        "requestedScope": "\n".join(s.description or s.name for s in ctx.scopes),
        "requestingApplicationId": ctx.client_id,
        "requestingApplicationName": ctx.client_name,
        "requestingApplicationLogoUrl": ctx.logo_url,
        "authUserBindingMessage": ctx.binding_message or "",
    }


def select_content(contents: Iterable[PromptTemplate], *, template_name: str, variant: str | None,
                   locale: str | None, user_locale: str | None,
                   default_language: str = "en") -> tuple[PromptTemplate, str]:
    """Pick a content as PingOne does: request locale, user's language, language-only, default."""
    pool = [c for c in contents if c.template_name == template_name]
    want_variant = (variant or "").lower() or None
    pool_v = [c for c in pool if ((c.variant or "").lower() or None) == want_variant] or \
        [c for c in pool if not c.variant]
    if not pool_v:
        raise LookupError(f"no push content for template {template_name!r}")
    by_locale = {c.locale.lower(): c for c in pool_v}
    tried: list[str] = []
    for source, loc in (("request locale", locale), ("user's preferred language", user_locale)):
        if not loc:
            continue
        for cand in (loc, loc.replace("_", "-").split("-")[0]):
            tried.append(cand)
            if cand.lower() in by_locale:
                how = "exact" if cand == loc else "language-only fallback"
                return by_locale[cand.lower()], f"{source} {loc!r} ({how} {cand!r})"
    if default_language.lower() in by_locale:
        return by_locale[default_language.lower()], (
            f"environment default language {default_language!r}" + (f" (no content for {', '.join(tried)})" if tried else ""))
    first = pool_v[0]
    return first, f"first available content {first.locale!r}"


def _substitute(text: str, values: Mapping[str, str]) -> str:
    # A missing value stays visible as its raw placeholder (PingOne's behaviour is undocumented).
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def render_prompt(templates: PromptTemplate | Iterable[PromptTemplate], context: PromptContext | None = None,
                  *, template_name: str | None = None, variant: str | None = None,
                  variables: Mapping[str, str] | None = None, default_language: str = "en") -> PromptPreview:
    """Render what the phone shows for ``context`` from one content or a set of contents."""
    ctx = context or PromptContext()
    contents = [templates] if isinstance(templates, PromptTemplate) else list(templates)
    name = template_name or contents[0].template_name
    chosen, reason = select_content(contents, template_name=name, variant=variant, locale=ctx.locale,
                                    user_locale=ctx.user_locale, default_language=default_language)
    values = builtin_variables(ctx, chosen.locale)
    values.update({k: str(v) for k, v in (variables or {}).items()})
    return PromptPreview(title=_substitute(chosen.title, values), body=_substitute(chosen.body, values),
                         category=chosen.category, locale=chosen.locale, variant=chosen.variant,
                         template_name=chosen.template_name, reason=reason, variables=values)
