"""A phone-like HTML mockup of a push prompt: lock-screen banner and in-app approval screen.

Built for JupyterLab's ``widgets.HTML`` and ``_repr_html_``, which insert HTML unsanitised into
the page: so only inline ``style=`` attributes are used (a ``<style>`` block would restyle the
whole Lab page), there is no ``<script>``, every piece of content is HTML-escaped, and class names
carry a ``ciba-`` prefix (hooks for tests, never styled). Output is deterministic (fixed clock
text, no ids), so notebooks can compare it.
"""

from __future__ import annotations

import html
from typing import Any, Iterable

from .model import BANNER_BUTTONS_BY_CATEGORY, LintFinding, PromptPreview, PushCategory, ScreenLimits

__all__ = ["phone_html", "findings_html", "grid_html"]

_FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_SEVERITY_COLOURS = {"error": "#b3261e", "warning": "#8a5a00", "info": "#35618f"}


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _category(obj: Any) -> PushCategory:
    try:
        return PushCategory(str(getattr(obj, "category", "BANNER_BUTTONS") or "BANNER_BUTTONS"))
    except ValueError:
        return PushCategory.BANNER_BUTTONS


def _button(label: str, *, primary: bool, small: bool = False) -> str:
    colour = "#1b7f3b" if primary else "#c62828"
    pad = "6px 0" if small else "11px 0"
    size = "13px" if small else "15px"
    return (f'<div class="ciba-button" style="flex:1;text-align:center;padding:{pad};border-radius:10px;'
            f'background:{colour};color:#fff;font-weight:600;font-size:{size}">{_e(label)}</div>')


def _initial(name: str) -> str:
    return _e((name.strip()[:1] or "?").upper())


def _icon(name: str, logo_url: str, size: int) -> str:
    # Only https/data logos: a plain-http image would be mixed content in a served Lab.
    if logo_url and (logo_url.startswith("https://") or logo_url.startswith("data:image/")):
        return (f'<img class="ciba-logo" src="{_e(logo_url)}" alt="" style="width:{size}px;height:{size}px;'
                f'border-radius:{size // 4}px;object-fit:cover;flex:none">')
    return (f'<div style="width:{size}px;height:{size}px;border-radius:{size // 4}px;background:#2f5bd3;'
            f'color:#fff;display:flex;align-items:center;justify-content:center;font-weight:700;'
            f'font-size:{size // 2}px;flex:none">{_initial(name)}</div>')


def _lock_screen(title: str, body: str, category: PushCategory, app_label: str, logo_url: str,
                 limits: ScreenLimits, width: int) -> str:
    buttons = BANNER_BUTTONS_BY_CATEGORY[category]
    btns = ""
    if buttons:
        btns = ('<div style="display:flex;gap:8px;margin-top:10px">'
                + "".join(_button(b, primary=(b == "Approve"), small=True) for b in buttons) + "</div>")
    hint = ""
    if category is not PushCategory.BANNER_BUTTONS:
        hint = ('<div style="margin-top:8px;font-size:11px;color:#444">'
                + ("Approve opens the app" if category is PushCategory.APPROVE_AND_OPEN_APP
                   else "Tap to open the app") + "</div>")
    height = int(width * 1.9)
    return (
        f'<div class="ciba-phone ciba-lock" style="box-sizing:border-box;width:{width}px;height:{height}px;'
        'border-radius:38px;border:10px solid #111;background:linear-gradient(160deg,#253a5e,#6b4a7a);'
        'padding:18px 12px;overflow:hidden;color:#fff;flex:none">'
        '<div style="text-align:center;font-size:13px;opacity:.85">Monday 1 June</div>'
        '<div style="text-align:center;font-size:54px;font-weight:300;line-height:1.1;margin-bottom:22px">9:41</div>'
        '<div class="ciba-banner" style="background:rgba(245,245,247,.93);color:#111;border-radius:16px;'
        'padding:10px 12px;text-align:left">'
        '<div style="display:flex;align-items:center;gap:6px;font-size:11px;color:#555;margin-bottom:4px">'
        f'{_icon(app_label, logo_url, 18)}<span style="flex:1;text-transform:uppercase;letter-spacing:.04em">'
        f'{_e(app_label)}</span><span>now</span></div>'
        f'<div class="ciba-title" style="font-weight:600;font-size:14px;white-space:nowrap;overflow:hidden;'
        f'text-overflow:ellipsis">{_e(title)}</div>'
        f'<div class="ciba-body" style="font-size:13px;white-space:pre-wrap;overflow:hidden;display:-webkit-box;'
        f'-webkit-box-orient:vertical;-webkit-line-clamp:{limits.body_lines};word-break:break-word">{_e(body)}</div>'
        f"{btns}{hint}</div></div>"
    )


def _numbers(numbers: Iterable[Any]) -> str:
    """Number matching: the numbers to pick from (the right one is shown on the consumption device)."""
    tiles = "".join(
        f'<div class="ciba-number" style="flex:1;text-align:center;padding:11px 0;border-radius:10px;'
        f'border:2px solid #2f5bd3;color:#2f5bd3;font-weight:700;font-size:18px">{_e(n)}</div>' for n in numbers)
    return ('<div class="ciba-numbers" style="margin-top:12px">'
            '<div style="font-size:12px;color:#555;text-align:center;margin-bottom:6px">'
            'Tap the number shown on the other screen</div>'
            f'<div style="display:flex;gap:10px">{tiles}</div></div>')


def _app_screen(title: str, body: str, client_name: str, logo_url: str, app_label: str, width: int,
                numbers: list[Any] | None = None) -> str:
    height = int(width * 1.9)
    # With number matching the user approves by tapping a number; only Deny stays a button.
    actions = (_numbers(numbers) + '<div style="display:flex;gap:10px;margin-top:10px">'
               + _button("Deny", primary=False) + "</div>") if numbers else (
        '<div style="display:flex;gap:10px;margin-top:12px">'
        + _button("Deny", primary=False) + _button("Approve", primary=True) + "</div>")
    return (
        f'<div class="ciba-phone ciba-app" style="box-sizing:border-box;width:{width}px;height:{height}px;'
        'border-radius:38px;border:10px solid #111;background:#fff;color:#111;padding:22px 16px;'
        'overflow:hidden;display:flex;flex-direction:column;flex:none">'
        f'<div style="font-size:12px;color:#666;text-align:center;margin-bottom:18px">{_e(app_label)}</div>'
        f'<div style="display:flex;justify-content:center;margin-bottom:12px">{_icon(client_name, logo_url, 56)}</div>'
        f'<div style="text-align:center;font-size:12px;color:#666;margin-bottom:14px">{_e(client_name)}</div>'
        f'<div class="ciba-title" style="font-weight:700;font-size:17px;text-align:center;margin-bottom:10px;'
        f'word-break:break-word">{_e(title)}</div>'
        f'<div class="ciba-body" style="font-size:14px;white-space:pre-wrap;text-align:center;color:#333;'
        f'flex:1;overflow:auto;word-break:break-word">{_e(body)}</div>'
        f"{actions}</div>"
    )


def findings_html(findings: Iterable[LintFinding]) -> str:
    """Lint findings as an escaped list (empty string when there are none)."""
    rows = []
    for f in findings:
        colour = _SEVERITY_COLOURS.get(f.severity, "#333")
        place = f' <span style="color:#666">[{_e(f.place)}]</span>' if f.place else ""
        fix = f'<div style="color:#333;margin-left:14px">Fix: {_e(f.fix)}</div>' if f.fix else ""
        rows.append(f'<li class="ciba-finding" style="margin:3px 0"><b style="color:{colour}">{_e(f.severity)}'
                    f'</b> <code>{_e(f.rule)}</code>{place}: {_e(f.message)}{fix}</li>')
    if not rows:
        return ""
    return ('<ul class="ciba-findings" style="margin:8px 0 0 0;padding-left:18px;font-size:12px;'
            f'{_FONT}">' + "".join(rows) + "</ul>")


def phone_html(preview: Any, *, view: str = "both", findings: bool = True, app_label: str | None = None,
               width: int = 300, limits: ScreenLimits | None = None, caption: bool = True) -> str:
    """The phone mockup of a prompt.

    Args:
        preview: a :class:`PromptPreview`, or anything with ``title``, ``body`` and ``category``
            (e.g. the simulator's pending prompt); a ``number_challenge`` (number matching) puts
            its numbers on the in-app screen in place of the Approve button.
        view: ``"both"``, ``"lock"`` (lock-screen banner) or ``"app"`` (in-app approval screen).
        findings: list the preview's lint findings under the phones.
        app_label: name shown on the banner (default: the client name).
        width: phone width in CSS pixels.
        limits: lock-screen limits the banner clamps the body to (assumed, see ScreenLimits).
        caption: add a line naming the category, locale, variant and why that content was chosen.

    Returns:
        An HTML fragment with inline styles only, no ``<style>``/``<script>``.
    """
    if view not in ("both", "lock", "app"):
        raise ValueError("view must be 'both', 'lock' or 'app'")
    title = str(getattr(preview, "title", ""))
    body = str(getattr(preview, "body", ""))
    category = _category(preview)
    client_name = str(getattr(preview, "client_name", "") or "")
    logo_url = str(getattr(preview, "logo_url", "") or "")
    label = app_label or client_name or "Authenticator"
    lim = limits or ScreenLimits()
    parts = []
    if view in ("both", "lock"):
        parts.append(_lock_screen(title, body, category, label, logo_url, lim, width))
    if view in ("both", "app"):
        numbers = getattr(preview, "number_challenge", None) or None
        parts.append(_app_screen(title, body, client_name or label, logo_url, label, width,
                                 list(numbers) if numbers else None))
    caption_bits = [f"category {category.value}"]
    locale = getattr(preview, "locale", None)
    if locale:
        caption_bits.append(f"locale {locale}")
    variant = getattr(preview, "variant", None)
    if variant:
        caption_bits.append(f"variant {variant}")
    reason = getattr(preview, "reason", "")
    text = " · ".join(caption_bits) + (f" — {reason}" if reason else "")
    cap = (f'<div class="ciba-caption" style="font-size:12px;color:#555;margin-top:6px;max-width:{2 * width + 18}px">'
           f'{_e(text)}</div>') if caption else ""
    found = findings_html(getattr(preview, "findings", []) or []) if findings else ""
    # line-height is set explicitly: Lab's widget CSS would otherwise space every line like a control.
    return (f'<div class="ciba-preview" style="{_FONT};display:inline-block;max-width:100%;line-height:1.35">'
            f'<div style="display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start">{"".join(parts)}</div>'
            f'{cap}{found}</div>')


def grid_html(cells: Iterable[tuple[str, PromptPreview]], *, width: int = 220) -> str:
    """Lock-screen mockups side by side, each under a heading (the locale grid)."""
    items = []
    for heading, pv in cells:
        errors = sum(1 for f in pv.findings if f.severity == "error")
        warnings = sum(1 for f in pv.findings if f.severity == "warning")
        status = "no findings" if not (errors or warnings) else f"{errors} error(s), {warnings} warning(s)"
        items.append(
            '<div class="ciba-grid-cell" style="display:flex;flex-direction:column;gap:4px;align-items:center">'
            f'<div class="ciba-grid-heading" style="font-weight:600;font-size:13px">{_e(heading)}</div>'
            + phone_html(pv, view="lock", findings=False, width=width, caption=False)
            + f'<div style="font-size:11px;color:#555;max-width:{width}px;text-align:center">{_e(pv.reason)}</div>'
            f'<div style="font-size:11px;color:{"#1b7f3b" if not errors else "#b3261e"}">{_e(status)}</div></div>')
    return (f'<div class="ciba-grid" style="{_FONT};display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start;'
            'line-height:1.35">'
            + "".join(items) + "</div>")
