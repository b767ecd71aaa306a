"""Prompt widgets driven through their controls' values (no browser: observers are plain Python)."""

from __future__ import annotations

import pytest

from ciba_kit.prompts import PromptTemplate, render_prompt
from ciba_kit.protocol.errors import InputError
from ciba_kit.widgets.prompt_studio import (
    LocaleGrid,
    PhoneView,
    PromptStudio,
    format_pairs,
    grid_previews,
    parse_pairs,
    parse_scopes,
)


def test_pairs_and_scopes() -> None:
    assert parse_pairs("# c\na = 1\n\nb=x=y") == {"a": "1", "b": "x=y"}
    assert format_pairs({"a": "1"}) == "a = 1"
    with pytest.raises(InputError) as err:
        parse_pairs("a = 1\nbroken", field="variables")
    assert err.value.field == "variables line 2"
    assert [s.name for s in parse_scopes("openid email")] == ["openid", "email"]
    assert [(s.name, s.description) for s in parse_scopes("openid\nemail = Email address access")] == [
        ("openid", ""), ("email", "Email address access")]


def test_studio_live_render_and_lint(teller, ctx, purchase_vars, pack) -> None:
    s = PromptStudio(teller, ctx, variables=purchase_vars, language_pack=pack)
    assert s.preview.title == "TrustNow Banking is requesting approval"
    assert "unused-variable" in [f.rule for f in s.preview.findings]  # default content ignores the purchase rows
    s.controls["variant"].value = "ciba-purchase"
    assert s.preview.title == "Approve €1,234.50?" and s.preview.findings == []
    assert "Approve €1,234.50?" in s.phone.value
    s.controls["locale"].value = "fr"
    assert s.preview.title == "Approuver 1\u202f234,50\xa0€ ?"
    s.controls["attributes"].value = "purchaseTotal = 99"
    assert s.preview.title == "Approuver 99,00\xa0€ ?"
    s.controls["binding_message"].value = "not allowed!"
    assert "binding-message-rejected" in [f.rule for f in s.preview.findings]
    assert "binding-message-rejected" in s.phone.value


def test_studio_edits_the_selected_content(teller, ctx) -> None:
    s = PromptStudio(teller, ctx)
    s.controls["content"].value = 1  # fr default
    assert s.controls["title"].value == teller[1].title
    s.controls["title"].value = "${requestingApplicationName} : accord ?"
    assert s.templates[1].title == "${requestingApplicationName} : accord ?"
    assert s.preview.title == "TrustNow Banking is requesting approval"  # the request is still English
    s.values = {"locale": "fr", "body": "${requestedScope}"}
    assert (s.preview.title, s.preview.body) == ("TrustNow Banking : accord ?", "Sign-in\nEmail address access")
    s.controls["category"].value = "WITHOUT_BANNER_BUTTONS"
    assert s.preview.buttons == ()
    assert s.values["content"] == 1


def test_studio_typo_and_bad_input(ctx) -> None:
    s = PromptStudio(PromptTemplate("t", "b"), ctx)
    s.controls["body"].value = "${authUserBindingMesage}"
    f = s.preview.findings[0]
    assert f.rule == "unknown-placeholder" and "did you mean ${authUserBindingMessage}" in f.fix
    s.controls["variables"].value = "not a pair"
    assert s.preview is None and "variables line 1" in s.error and "Cannot render" in s.phone.value
    s.controls["variables"].value = "x = #if(true"
    assert "velocity-syntax" in [f.rule for f in s.preview.findings]
    with pytest.raises(InputError):
        s.values = {"nope": 1}
    assert "PromptStudio(1 content(s)" in repr(s)


def test_default_studio() -> None:
    s = PromptStudio()
    assert s.preview.title == "TrustNow Banking is requesting approval"
    assert s.preview.body == "Message from TrustNow Banking:\nTX-58213"


def test_grid_every_locale_and_variant(teller, ctx, purchase_vars, pack) -> None:
    rows = grid_previews(teller, ctx, variables=purchase_vars, language_pack=pack)
    assert [(loc, var) for loc, var, _ in rows] == [
        ("de", None), ("en", None), ("es", None), ("fr", None),
        ("de", "ciba-purchase"), ("en", "ciba-purchase"), ("es", "ciba-purchase"), ("fr", "ciba-purchase")]
    g = LocaleGrid(teller, ctx, variables=purchase_vars, language_pack=pack, locales=["en", "fr", "de"])
    titles = {k: pv.title for k, pv in g.previews.items()}
    assert titles[("fr", None)] == "TrustNow Banking demande votre accord"
    assert titles[("de", "ciba-purchase")] == "Approve 1.234,50\xa0€?"  # en content, de formatting
    assert g.previews[("de", "ciba-purchase")].locale == "en"
    g.controls["locales"].value = "es"
    g.controls["variants"].value = "-"
    assert list(g.previews) == [("es", None)]
    assert "solicita aprobación" in g.grid.value and g.grid.value.count('class="ciba-grid-cell"') == 1
    assert repr(g) == "LocaleGrid(1 cell(s))"
    only_variant = LocaleGrid([PromptTemplate("t", "b", variant="v")], ctx, variants=["v"])
    assert only_variant.previews[("en", "v")].title == "t"
    only_variant.controls["variants"].value = "-"  # no default content: shown, not raised
    assert only_variant.previews == {} and "Cannot render" in only_variant.grid.value and only_variant.error


def test_phone_view_decides_through_devices(teller, ctx) -> None:
    decided = []

    class Devices:
        def approve(self, key):
            decided.append(("approve", key))

        def deny(self, key):
            decided.append(("deny", key))

    class Pending:
        id, title, body, category = "dev-1", "T", "B", "BANNER_BUTTONS"

    v = PhoneView(Pending(), devices=Devices())
    assert 'class="ciba-title"' in v.html.value
    v.approve_button.click()
    v.deny_button.click()
    assert decided == [("approve", "dev-1"), ("deny", "dev-1")]
    v.show(None)
    assert "No prompt" in v.html.value
    v.approve_button.click()
    assert v.status.value == "no prompt" and len(decided) == 2
    assert "TrustNow Banking is requesting approval" in PhoneView(render_prompt(teller, ctx)).html.value


def test_phone_view_number_matching_end_to_end() -> None:
    """A number-matching prompt shows its numbers on the mockup and one button per number."""
    import copy

    import httpx

    from ciba_kit.protocol.clock import ScaledClock
    from ciba_kit.simulator import Simulator
    from ciba_kit.simulator.demo import DEMO_MFA_POLICY_ID, demo_state

    mfa = copy.deepcopy(demo_state().p1.mfa_policies[DEMO_MFA_POLICY_ID])
    mfa["mobile"]["applications"][0]["push"]["numberMatching"] = {"enabled": True}
    with Simulator.start({"mfaPolicies": [mfa]}, seed=2, clock=ScaledClock(20)) as sim:
        for binding in ("NM-1", "NM-2"):
            r = httpx.post(sim.issuer + "/as/bc-auth.ciba", auth=("demo-poll", "demo-poll-secret"),
                           data={"scope": "openid", "login_hint": "frank", "binding_message": binding})
            assert r.status_code == 200, r.text
        first, second = sim.devices.pending("frank")
        numbers = first.number_challenge
        assert numbers and len(numbers) == 3
        v = PhoneView(first, devices=sim.devices)
        assert v.html.value.count('class="ciba-number"') == 3
        assert all(f">{n}</div>" in v.html.value for n in numbers)
        assert [b.description for b in v.number_buttons] == [str(n) for n in numbers]
        assert v.approve_button not in v.actions.children  # approving is tapping a number
        right = sim.devices.expected_number(first.id)
        v.number_buttons[numbers.index(right)].click()
        assert v.status.value == f"picked {right}"
        truth = [t for t in sim.truth() if t.device_id == first.id][0]
        assert (truth.decision, truth.number_picked) == ("approve", right)
        v.number_buttons[0].click()  # already decided: reported on the widget, not raised
        assert "no pending prompt" in v.status.value
        v.show(second)
        wrong = next(n for n in second.number_challenge if n != sim.devices.expected_number(second.id))
        v.number_buttons[second.number_challenge.index(wrong)].click()
        assert [t for t in sim.truth() if t.device_id == second.id][0].decision == "deny"  # wrong pick denies
        v.show(None)
        assert v.number_buttons == [] and v.approve_button in v.actions.children
    plain = PhoneView(render_prompt([PromptTemplate("t", "b")], None))
    assert "ciba-number" not in plain.html.value and "Approve" in plain.html.value
