"""``ciba-kit preview``: render a push prompt for a sample request, lint it, print or write the mockup.

```
ciba-kit preview [--template FILE | --title T --body B] [--var NAME=VALUE ...]
                 [--binding-message M] [--app-name N] [--scope S] [--locale L] [--json | --html FILE]
```

``--template`` reads PingOne push content JSON (one content, a list, or a PingOne collection).
``--var NAME=VALUE`` adds a *PingOne Template Variables* row (VALUE is its Velocity source).
Exit status: 0 rendered without lint errors, 1 rendered with lint errors, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..protocol.errors import InputError
from .html import phone_html
from .model import PromptContext, PromptPreview, PromptTemplate, load_templates
from .render import render_prompt, scopes_from_string

__all__ = ["preview_command", "add_preview_arguments", "parse_vars", "build_preview"]


def add_preview_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The ``preview`` flags (for the CLI and for tests)."""
    parser.add_argument("--template", help="PingOne push content JSON file")
    parser.add_argument("--title", help="push title (with --body, instead of --template)")
    parser.add_argument("--body", help="push body")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="PingOne Template Variable: name and Velocity source (repeatable)")
    parser.add_argument("--binding-message", help="the request's binding_message")
    parser.add_argument("--app-name", help="requesting application (client) name")
    parser.add_argument("--scope", help="requested scopes, space separated (default: openid)")
    parser.add_argument("--locale", help="request locale, e.g. fr-CA")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the preview as JSON")
    out.add_argument("--html", metavar="FILE", help="write the phone mockup to FILE")
    return parser


def parse_vars(items: list[str] | None) -> dict[str, str]:
    """``["total=$attributes.total", ...]`` -> ``{"total": "$attributes.total"}``.

    Raises:
        InputError: an item has no ``=`` or an empty name.
    """
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError("--var", f"{item!r} is not NAME=VALUE", "write e.g. --var 'total=$attributes.total'")
        out[name.strip()] = value
    return out


def build_preview(args: Any) -> PromptPreview:
    """Render the preview the flags describe (raises InputError on bad input)."""
    template = getattr(args, "template", None)
    title = getattr(args, "title", None)
    body = getattr(args, "body", None)
    if template and (title is not None or body is not None):
        raise InputError("--template", "given together with --title/--body", "use either --template FILE or --title and --body")
    if template:
        contents = load_templates(Path(template))
    elif title is not None and body is not None:
        contents = [PromptTemplate(title=title, body=body)]
    elif title is not None or body is not None:
        missing = "--body" if title is not None else "--title"
        raise InputError(missing, "missing", "give both --title and --body, or --template FILE")
    else:
        raise InputError("--template", "no prompt given", "give --template FILE, or --title T --body B")
    ctx = PromptContext(client_id="preview-client", client_name=getattr(args, "app_name", None) or "Demo Client",
                        logo_url=None, scopes=scopes_from_string(getattr(args, "scope", None) or "openid"),
                        binding_message=getattr(args, "binding_message", None), locale=getattr(args, "locale", None))
    return render_prompt(contents, ctx, variables=parse_vars(getattr(args, "var", None)))


def _text(pv: PromptPreview) -> str:
    lines = [f"title:    {pv.title}", "body:"]
    lines += [f"  {line}" for line in pv.body.split("\n")]
    lines += [f"category: {pv.category.value} (banner buttons: {', '.join(pv.buttons) or 'none'})",
              f"content:  {pv.template_name} / {pv.locale}" + (f" / variant {pv.variant}" if pv.variant else ""),
              f"reason:   {pv.reason}"]
    if pv.findings:
        lines.append("findings:")
        lines += [f"  {f}" for f in pv.findings]
    else:
        lines.append("findings: none")
    return "\n".join(lines)


def preview_command(args: argparse.Namespace) -> int:
    """Run ``ciba-kit preview``; returns the exit status (0 ok, 1 lint errors, 2 bad input)."""
    try:
        pv = build_preview(args)
        html_path = getattr(args, "html", None)
        if html_path:
            page = ('<!doctype html><html><head><meta charset="utf-8"><title>ciba_kit prompt preview</title>'
                    f'</head><body style="margin:16px">{phone_html(pv)}</body></html>\n')
            try:
                Path(html_path).write_text(page, encoding="utf-8")
            except OSError as exc:
                raise InputError("--html", f"cannot write {html_path}: {exc.strerror or exc}",
                                 "give a writable file path") from None
            print(f"wrote {html_path}")
        elif getattr(args, "json", False):
            print(json.dumps(pv.to_dict(), indent=2, ensure_ascii=False))
        else:
            print(_text(pv))
    except InputError as exc:
        print(f"ciba-kit preview: {exc}", file=sys.stderr)
        return 2
    return 0 if pv.ok else 1
