"""Prompt customizations: PingOne push templates, variables, locales, rendering, lint and preview."""

from .model import LintFinding, PromptContext, PromptPreview, PromptTemplate, PushCategory, ScopeInfo
from .render import render_prompt

__all__ = ["LintFinding", "PromptContext", "PromptPreview", "PromptTemplate", "PushCategory", "ScopeInfo",
           "render_prompt"]
