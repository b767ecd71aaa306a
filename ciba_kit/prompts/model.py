"""Prompt models: PingOne push template content, the request context, and the rendered preview.

These are the shared contract between the prompt previewer, the lint, the widgets and the
simulator's phones (which render every CIBA request through :func:`ciba_kit.prompts.render_prompt`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping

__all__ = ["PushCategory", "PromptTemplate", "ScopeInfo", "PromptContext", "LintFinding", "PromptPreview"]


class PushCategory(StrEnum):
    """PingOne push content categories (which buttons the banner shows)."""

    BANNER_BUTTONS = "BANNER_BUTTONS"
    APPROVE_AND_OPEN_APP = "APPROVE_AND_OPEN_APP"
    WITHOUT_BANNER_BUTTONS = "WITHOUT_BANNER_BUTTONS"


@dataclass
class PromptTemplate:
    """One PingOne notification template content with delivery method Push.

    PingOne API shape (``/environments/{envID}/templates/{templateName}/contents``):
    ``{"deliveryMethod": "Push", "locale": "en", "variant": "...", "title": "...", "body": "...",
    "pushCategory": "BANNER_BUTTONS"}``.
    """

    title: str
    body: str
    locale: str = "en"
    template_name: str = "transaction"
    variant: str | None = None
    category: PushCategory = PushCategory.BANNER_BUTTONS
    delivery_method: str = "Push"
    id: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The PingOne API JSON body for this content."""
        out: dict[str, Any] = {
            "deliveryMethod": self.delivery_method,
            "locale": self.locale,
            "title": self.title,
            "body": self.body,
            "pushCategory": str(self.category),
        }
        if self.variant:
            out["variant"] = self.variant
        if self.id:
            out["id"] = self.id
        return out

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, template_name: str = "transaction") -> "PromptTemplate":
        """Load a PingOne API content document (``template.name`` wins over ``template_name``)."""
        tmpl = data.get("template")
        name = tmpl.get("name", template_name) if isinstance(tmpl, Mapping) else template_name
        return cls(
            title=str(data.get("title", "")),
            body=str(data.get("body", "")),
            locale=str(data.get("locale", "en")),
            template_name=str(name),
            variant=data.get("variant") or None,
            category=PushCategory(data.get("pushCategory", data.get("category", "BANNER_BUTTONS"))),
            delivery_method=str(data.get("deliveryMethod", "Push")),
            id=data.get("id"),
        )


@dataclass
class ScopeInfo:
    """A requested scope and the description PingFederate shows for it."""

    name: str
    description: str = ""


@dataclass
class PromptContext:
    """What PingFederate hands the authenticator for one CIBA request (the render inputs)."""

    client_id: str = "demo-client"
    client_name: str = "Demo Client"
    logo_url: str = ""
    scopes: list[ScopeInfo] = field(default_factory=list)
    binding_message: str | None = None
    locale: str | None = None
    user_locale: str | None = None
    user_attributes: dict[str, Any] = field(default_factory=dict)
    contract_attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class LintFinding:
    """One lint result: where, what, and how to fix it."""

    rule: str
    severity: str  # "error" | "warning" | "info"
    message: str
    fix: str = ""
    place: str = ""  # e.g. "template.title", "variable purchaseTotal line 1 col 5"


@dataclass
class PromptPreview:
    """A rendered prompt: what the phone shows, which content was picked and why, and lint findings."""

    title: str
    body: str
    category: PushCategory
    locale: str
    variant: str | None
    template_name: str
    reason: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    findings: list[LintFinding] = field(default_factory=list)
