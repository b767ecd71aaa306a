"""The phone mockup: inline styles only, escaped content, buttons per category, deterministic."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from ciba_kit.prompts import PromptContext, PromptTemplate, PushCategory, phone_html, render_prompt
from ciba_kit.prompts.html import grid_html

ALLOWED_TAGS = {"div", "span", "img", "ul", "li", "b", "code"}


class Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self.by_class: dict[str, list[str]] = {}
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        self.tags.append((tag, d))
        if tag != "img":
            self._open.append((tag, (d.get("class") or "").split()))

    def handle_endtag(self, tag):
        self._open.pop()

    def handle_data(self, data):
        self.text.append(data)
        for _, classes in self._open:
            for c in classes:
                self.by_class.setdefault(c, []).append(data)


def parse(html: str) -> Collect:
    p = Collect()
    p.feed(html)
    p.close()
    return p


def test_only_inline_styles_and_escaped(ctx) -> None:
    evil = PromptTemplate('<script>alert(1)</script> ${requestingApplicationName}',
                          '<style>body{display:none}</style>\n<img src=x onerror=alert(1)>')
    ctx.client_name = 'Bank "<b>"'
    html = phone_html(render_prompt(evil, ctx))
    assert "<script" not in html and "<style" not in html and "<img src=x" not in html
    p = parse(html)
    assert {t for t, _ in p.tags} <= ALLOWED_TAGS
    for _, attrs in p.tags:
        assert set(attrs) <= {"class", "style", "src", "alt"}
        assert all(not c or c.startswith("ciba-") for c in (attrs.get("class") or "").split())
    titles = p.by_class["ciba-title"]
    assert titles[0] == '<script>alert(1)</script> Bank "<b>"'  # shown as text, not markup
    assert "<style>body{display:none}</style>" in "".join(p.by_class["ciba-body"])


@pytest.mark.parametrize("category, banner", [
    (PushCategory.BANNER_BUTTONS, ["Approve", "Deny"]),
    (PushCategory.APPROVE_AND_OPEN_APP, ["Approve"]),
    (PushCategory.WITHOUT_BANNER_BUTTONS, []),
])
def test_buttons_per_category(ctx, category, banner) -> None:
    pv = render_prompt(PromptTemplate("t", "b", category=category), ctx)
    assert list(pv.buttons) == banner
    lock = parse(phone_html(pv, view="lock"))
    assert lock.by_class.get("ciba-button", []) == banner
    app = parse(phone_html(pv, view="app"))
    assert app.by_class["ciba-button"] == ["Deny", "Approve"]  # the app screen always decides


def test_repr_html_is_the_phone_and_deterministic(teller, ctx) -> None:
    pv = render_prompt(teller, ctx)
    assert pv._repr_html_() == phone_html(pv) == phone_html(render_prompt(teller, ctx))
    p = parse(pv._repr_html_())
    assert p.by_class["ciba-title"] == [pv.title, pv.title]  # lock screen + app screen
    assert "environment default language 'en'" in "".join(p.by_class["ciba-caption"])


def test_findings_listed(ctx) -> None:
    pv = render_prompt(PromptTemplate("${nope}", "b"), ctx)
    p = parse(phone_html(pv))
    assert "unknown-placeholder" in "".join(p.by_class["ciba-finding"])
    assert "ciba-finding" not in phone_html(pv, findings=False)


def test_duck_typed_pending_prompt() -> None:
    class Pending:
        title, body, category, client_name = "T", "B", "APPROVE_AND_OPEN_APP", "Shop"

    p = parse(phone_html(Pending(), view="lock"))
    assert p.by_class["ciba-title"] == ["T"] and p.by_class["ciba-button"] == ["Approve"]


def test_logo_only_https_or_data(ctx) -> None:
    ctx.logo_url = "http://example.com/logo.png"
    assert "<img" not in phone_html(render_prompt(PromptTemplate("t", "b"), ctx))
    ctx.logo_url = "https://example.com/logo.png?a=1&b=2"
    assert 'src="https://example.com/logo.png?a=1&amp;b=2"' in phone_html(render_prompt(PromptTemplate("t", "b"), ctx))


def test_bad_view_and_grid(teller, ctx) -> None:
    with pytest.raises(ValueError):
        phone_html(render_prompt(teller, ctx), view="side")
    g = parse(grid_html([("en", render_prompt(teller, ctx)), ("fr", render_prompt(teller, PromptContext(locale="fr")))]))
    assert g.by_class["ciba-grid-heading"] == ["en", "fr"]
