"""Prompt customizations: PingOne push templates, variables, locales, rendering, lint and preview."""

from .html import findings_html, grid_html, phone_html
from .langpack import LanguagePack, parse_properties
from .lint import (
    contract_names,
    fulfilled_names,
    lint_inputs_from_pingfederate,
    lint_prompt,
    template_variables_from_authenticator,
)
from .model import (
    BindingMessageRule,
    LintFinding,
    PromptContext,
    PromptPreview,
    PromptTemplate,
    PushCategory,
    ScopeInfo,
    ScreenLimits,
    VelocityNames,
    load_templates,
    save_templates,
)
from .render import NoContentError, render_prompt, scopes_from_string, select_content

__all__ = [
    "BindingMessageRule",
    "LanguagePack",
    "LintFinding",
    "NoContentError",
    "PromptContext",
    "PromptPreview",
    "PromptTemplate",
    "PushCategory",
    "ScopeInfo",
    "ScreenLimits",
    "VelocityNames",
    "contract_names",
    "findings_html",
    "fulfilled_names",
    "grid_html",
    "lint_inputs_from_pingfederate",
    "lint_prompt",
    "load_templates",
    "parse_properties",
    "phone_html",
    "render_prompt",
    "save_templates",
    "scopes_from_string",
    "select_content",
    "template_variables_from_authenticator",
]
