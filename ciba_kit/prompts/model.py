"""Prompt models: PingOne push template content, the request context, and the rendered preview.

These are the shared contract between the prompt previewer, the lint, the widgets and the
simulator's phones (which render every CIBA request through :func:`ciba_kit.prompts.render_prompt`).

Choices made where Ping documents nothing (UNCONFIRMED facts, see ``docs`` in the package README):

- **Lock-screen limits.** PingOne documents no push title/body length limit. :class:`ScreenLimits`
  assumes what a typical phone lock screen shows before it truncates: a one-line title of about
  40 characters and about 4 lines / 150 characters of body (iOS banners, Android expanded
  notifications). The lint only *warns*; the phone mockup shows the full text.
- **Binding message rule.** Ping documents none; :class:`BindingMessageRule` defaults to the
  rule reported for PingFederate 13.x (``^[a-zA-Z0-9-._+/!?#]{1,20}$``, error
  ``invalid_binding_message``). Make it your provider's rule.
- **Velocity object names** for contract attributes, request context, language-pack messages and
  formatting are not documented: :class:`VelocityNames` holds our defaults (``$attributes``,
  ``$request``, ``$user``, ``$messages``, ``$format``) and every name can be changed.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..protocol.errors import InputError

__all__ = [
    "PushCategory",
    "PromptTemplate",
    "ScopeInfo",
    "PromptContext",
    "LintFinding",
    "PromptPreview",
    "VelocityNames",
    "BindingMessageRule",
    "ScreenLimits",
    "load_templates",
    "save_templates",
    "MAX_VARIANT_LENGTH",
    "BANNER_BUTTONS_BY_CATEGORY",
]

#: PingOne: a content ``variant`` is user-defined, case-insensitive and at most 100 characters.
MAX_VARIANT_LENGTH = 100


class PushCategory(StrEnum):
    """PingOne push content categories (which buttons the banner shows)."""

    BANNER_BUTTONS = "BANNER_BUTTONS"
    APPROVE_AND_OPEN_APP = "APPROVE_AND_OPEN_APP"
    WITHOUT_BANNER_BUTTONS = "WITHOUT_BANNER_BUTTONS"


#: Buttons on the lock-screen banner per category. BANNER_BUTTONS is documented (Approve + Deny on
#: the banner); the two others must be implemented by the app with the PingOne SDK, so what they
#: show is the SDK sample's behaviour as we model it: Approve that opens the app / no buttons.
BANNER_BUTTONS_BY_CATEGORY: dict[PushCategory, tuple[str, ...]] = {
    PushCategory.BANNER_BUTTONS: ("Approve", "Deny"),
    PushCategory.APPROVE_AND_OPEN_APP: ("Approve",),
    PushCategory.WITHOUT_BANNER_BUTTONS: (),
}


def _category(value: Any, field_name: str = "pushCategory") -> PushCategory:
    if isinstance(value, PushCategory):
        return value
    try:
        return PushCategory(str(value).strip().upper())
    except ValueError:
        allowed = ", ".join(c.value for c in PushCategory)
        raise InputError(field_name, f"unknown push category {value!r}", f"use one of {allowed}") from None


@dataclass
class PromptTemplate:
    """One PingOne notification template content with delivery method Push.

    PingOne API shape (``/environments/{envID}/templates/{templateName}/contents``):
    ``{"deliveryMethod": "Push", "locale": "en", "variant": "...", "title": "...", "body": "...",
    "pushCategory": "BANNER_BUTTONS"}``.

    Args:
        title: Push title; may contain ``${variable}`` placeholders.
        body: Push body; may contain ``${variable}`` placeholders.
        locale: Content locale (``en``, ``fr``, ``fr-CA``...).
        template_name: PingOne template (``transaction``, ``general``...).
        variant: Optional custom variant name (case-insensitive, at most 100 characters).
        category: Which buttons the banner shows.
        delivery_method: Always ``Push`` here.
        id: PingOne content id, when loaded from the API.

    Raises:
        InputError: a field is invalid; ``field`` names it with its PingOne API name.
    """

    title: str
    body: str
    locale: str = "en"
    template_name: str = "transaction"
    variant: str | None = None
    category: PushCategory = PushCategory.BANNER_BUTTONS
    delivery_method: str = "Push"
    id: str | None = None

    def __post_init__(self) -> None:
        for name in ("title", "body"):
            if not isinstance(getattr(self, name), str):
                raise InputError(name, f"must be text, got {type(getattr(self, name)).__name__}",
                                 f"give the push {name} as a string")
        if not isinstance(self.locale, str) or not re.fullmatch(r"[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*",
                                                                 self.locale):
            raise InputError("locale", f"not a locale: {self.locale!r}", "use a tag such as 'en', 'fr' or 'fr-CA'")
        if not self.template_name or not isinstance(self.template_name, str):
            raise InputError("template.name", "missing template name", "use e.g. 'transaction' or 'general'")
        if self.variant is not None:
            if not isinstance(self.variant, str):
                raise InputError("variant", "must be text", "give the variant name as a string")
            if len(self.variant) > MAX_VARIANT_LENGTH:
                raise InputError("variant", f"{len(self.variant)} characters (PingOne allows at most "
                                 f"{MAX_VARIANT_LENGTH})", "shorten the variant name")
            self.variant = self.variant or None
        self.category = _category(self.category)
        if str(self.delivery_method).lower() != "push":
            raise InputError("deliveryMethod", f"{self.delivery_method!r} is not a push content",
                             "only deliveryMethod 'Push' contents are push prompts")
        self.delivery_method = "Push"

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
        """Load a PingOne API content document (``template.name`` wins over ``template_name``).

        Raises:
            InputError: the document is not a push content; ``field`` is the JSON field name.
        """
        if not isinstance(data, Mapping):
            raise InputError("content", f"expected a JSON object, got {type(data).__name__}",
                             "give one PingOne push content object")
        for req in ("title", "body"):
            if req not in data:
                raise InputError(req, "missing", f"add \"{req}\" to the push content")
            if not isinstance(data[req], str):
                raise InputError(req, f"must be a string, got {type(data[req]).__name__}",
                                 f"give \"{req}\" as text")
        tmpl = data.get("template")
        name = template_name
        if isinstance(tmpl, Mapping):
            name = str(tmpl.get("name") or tmpl.get("id") or template_name)
        elif isinstance(tmpl, str) and tmpl:
            name = tmpl
        variant = data.get("variant")
        if variant is not None and not isinstance(variant, str):
            raise InputError("variant", f"must be a string, got {type(variant).__name__}", "give the variant as text")
        locale = data.get("locale", "en")
        if isinstance(locale, Mapping):  # some PingOne payloads nest the language
            locale = locale.get("locale") or locale.get("id") or "en"
        return cls(
            title=data["title"],
            body=data["body"],
            locale=str(locale),
            template_name=name,
            variant=variant or None,
            category=_category(data.get("pushCategory", data.get("category", "BANNER_BUTTONS"))),
            delivery_method=str(data.get("deliveryMethod", "Push")),
            id=data.get("id"),
        )

    def with_changes(self, **changes: Any) -> "PromptTemplate":
        """A copy with some fields replaced (validated again)."""
        values = {**asdict(self), **changes}
        return PromptTemplate(**values)


def load_templates(source: str | Path | Mapping[str, Any] | list[Any], *,
                   template_name: str = "transaction") -> list[PromptTemplate]:
    """Load push contents from a JSON file or an already-parsed document.

    Accepts one content object, a list of them, a PingOne collection
    (``{"_embedded": {"contents": [...]}}``) or ``{template name: [contents...]}`` (the
    simulator's ``template_contents`` shape). Non-push contents of a collection are skipped.

    Raises:
        InputError: the file is unreadable or not JSON, or a content is invalid (the field is named,
            prefixed with the content's position, e.g. ``contents[1].pushCategory``).
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            doc: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError("template", f"file not found: {path}", "give the path of a JSON file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("template", f"cannot read {path}: {exc}", "give a readable UTF-8 JSON file") from None
        except json.JSONDecodeError as exc:
            raise InputError("template", f"{path} is not JSON (line {exc.lineno} column {exc.colno}: {exc.msg})",
                             "fix the JSON syntax") from None
    else:
        doc = source
    items: list[tuple[str, str, Any]] = []  # (position label, template name, content)
    if isinstance(doc, Mapping) and "_embedded" in doc:
        doc = doc["_embedded"].get("contents", []) if isinstance(doc["_embedded"], Mapping) else []
    if isinstance(doc, Mapping) and ("title" in doc or "body" in doc):
        items.append(("content", template_name, doc))
    elif isinstance(doc, Mapping):
        for name, contents in doc.items():
            if not isinstance(contents, list):
                raise InputError(str(name), "expected a list of contents", "map each template name to a list")
            items.extend((f"{name}[{i}]", str(name), c) for i, c in enumerate(contents))
    elif isinstance(doc, list):
        items.extend((f"contents[{i}]", template_name, c) for i, c in enumerate(doc))
    else:
        raise InputError("template", "expected a JSON object or list of push contents",
                         "give PingOne push content JSON")
    out: list[PromptTemplate] = []
    for label, name, content in items:
        if isinstance(content, Mapping) and str(content.get("deliveryMethod", "Push")).lower() != "push":
            continue
        try:
            out.append(PromptTemplate.from_api(content, template_name=name))
        except InputError as exc:
            prefix = label if len(items) > 1 or label != "content" else ""
            raise InputError(f"{prefix}.{exc.field}" if prefix else exc.field, exc.problem, exc.fix) from None
    if not out:
        raise InputError("template", "no push content found", "add at least one content with deliveryMethod Push")
    return out


def save_templates(path: str | Path, templates: Iterable[PromptTemplate]) -> Path:
    """Write contents as a JSON list in PingOne API shape (``template.name`` included)."""
    docs = [{**t.to_api(), "template": {"name": t.template_name}} for t in templates]
    p = Path(path)
    p.write_text(json.dumps(docs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return p


@dataclass
class ScopeInfo:
    """A requested scope and the description PingFederate shows for it."""

    name: str
    description: str = ""


@dataclass
class PromptContext:
    """What PingFederate hands the authenticator for one CIBA request (the render inputs).

    ``None`` means "not in the request": a placeholder for it stays visible (see
    :func:`ciba_kit.prompts.render_prompt`). ``locale`` is the request's locale (it wins),
    ``user_locale`` the user's preferred language in PingOne.
    """

    client_id: str = "demo-client"
    client_name: str = "Demo Client"
    logo_url: str | None = ""
    scopes: list[ScopeInfo] = field(default_factory=list)
    binding_message: str | None = None
    locale: str | None = None
    user_locale: str | None = None
    user_attributes: dict[str, Any] = field(default_factory=dict)
    contract_attributes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Accept plain scope names / (name, description) pairs: notebooks and the CLI pass strings.
        fixed: list[ScopeInfo] = []
        for s in self.scopes or []:
            if isinstance(s, ScopeInfo):
                fixed.append(s)
            elif isinstance(s, str):
                fixed.append(ScopeInfo(s))
            elif isinstance(s, (tuple, list)) and len(s) == 2:
                fixed.append(ScopeInfo(str(s[0]), str(s[1])))
            elif isinstance(s, Mapping) and "name" in s:
                fixed.append(ScopeInfo(str(s["name"]), str(s.get("description", ""))))
            else:
                raise InputError("scopes", f"cannot read scope {s!r}", "give names or ScopeInfo(name, description)")
        self.scopes = fixed


@dataclass
class LintFinding:
    """One lint result: where, what, and how to fix it."""

    rule: str
    severity: str  # "error" | "warning" | "info"
    message: str
    fix: str = ""
    place: str = ""  # e.g. "template.title", "variable purchaseTotal line 1 col 5"

    def __str__(self) -> str:
        where = f" [{self.place}]" if self.place else ""
        fix = f" Fix: {self.fix}" if self.fix else ""
        return f"{self.severity.upper()} {self.rule}{where}: {self.message}.{fix}"


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
    #: Buttons on the lock-screen banner (per category).
    buttons: tuple[str, ...] = ("Approve", "Deny")
    #: The locale used for language-pack messages and number formatting (the user's).
    format_locale: str = "en"
    client_name: str = ""
    logo_url: str = ""

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (what ``ciba-kit preview --json`` prints)."""
        return {
            "title": self.title,
            "body": self.body,
            "category": str(self.category),
            "buttons": list(self.buttons),
            "template": self.template_name,
            "locale": self.locale,
            "variant": self.variant,
            "reason": self.reason,
            "format_locale": self.format_locale,
            "findings": [asdict(f) for f in self.findings],
        }

    def _repr_html_(self) -> str:
        from .html import phone_html  # local import: html imports this module

        return phone_html(self)


@dataclass(frozen=True)
class VelocityNames:
    """Velocity object names available in *PingOne Template Variable Value* sources.

    PingFederate's documentation does not show these names (UNCONFIRMED); these are ciba_kit's
    defaults. Change them to match what your PingFederate accepts. The six built-in request
    variables (``$requestingApplicationName``...) are always available at top level too.
    """

    attributes: str = "attributes"  # contract attributes: $attributes.purchaseTotal
    request: str = "request"  # request context: $request.bindingMessage, $request.clientName, ...
    user: str = "user"  # user attributes: $user.given_name
    messages: str = "messages"  # language pack: $messages.get("key"), $messages.key, $messages.format("k", 1)
    format: str = "format"  # locale-aware formatting: $format.currency($attributes.total, "EUR")

    def all(self) -> dict[str, str]:
        """Role -> object name."""
        return asdict(self)


@dataclass(frozen=True)
class BindingMessageRule:
    """What the CIBA provider accepts as ``binding_message``.

    Default: the rule reported (third party, unverified) for PingFederate 13.x with the PingOne MFA
    authenticator; Ping documents none.
    """

    pattern: str = r"^[a-zA-Z0-9-._+/!?#]{1,20}$"
    max_length: int = 20
    source: str = "the rule reported for PingFederate (not in Ping's docs)"

    def check(self, message: str) -> str | None:
        """The problem with ``message``, or None when the provider would accept it."""
        problems = []
        if len(message) > self.max_length:
            problems.append(f"{len(message)} characters (the rule allows {self.max_length})")
        if not re.fullmatch(self.pattern, message):
            bad = sorted({ch for ch in message if not re.fullmatch(self.pattern, ch)})
            if bad:
                problems.append("characters not allowed: " + ", ".join(repr(c) for c in bad[:6]))
            elif not problems:
                problems.append(f"does not match {self.pattern}")
        return "; ".join(problems) or None


@dataclass(frozen=True)
class ScreenLimits:
    """What a lock screen shows before it truncates (an ASSUMPTION: PingOne documents no limits).

    Defaults model a typical phone in portrait: one title line of about 40 characters; the body
    shows about 4 lines, 150 characters in all.
    """

    title_chars: int = 40
    body_chars: int = 150
    body_lines: int = 4
