"""Rendering: built-in variables, locale and variant selection (every fallback), missing values."""

from __future__ import annotations

import pytest

from ciba_kit.prompts import NoContentError, PromptContext, PromptTemplate, ScopeInfo, render_prompt, select_content
from ciba_kit.prompts.render import builtin_variables


def test_bank_teller_example(teller, ctx) -> None:
    pv = render_prompt(teller, ctx)
    assert pv.title == "TrustNow Banking is requesting approval"
    assert pv.body == "Message from TrustNow Banking:\nTX-58213"
    assert (pv.locale, pv.variant, pv.template_name) == ("en", None, "transaction")
    assert pv.buttons == ("Approve", "Deny")
    assert pv.findings == []
    assert "environment default language 'en'" in pv.reason


def test_builtins(ctx) -> None:
    b = builtin_variables(ctx, "fr-CA")
    assert b == {"locale": "fr-CA", "requestedScope": "Sign-in\nEmail address access",
                 "requestingApplicationId": "teller-app", "requestingApplicationName": "TrustNow Banking",
                 "requestingApplicationLogoUrl": "", "authUserBindingMessage": "TX-58213"}
    # A scope without description shows its name.
    assert builtin_variables(PromptContext(scopes=[ScopeInfo("openid"), ScopeInfo("x", "")]), "en")[
        "requestedScope"] == "openid\nx"


def test_requested_scope_joined_with_newlines(ctx) -> None:
    pv = render_prompt(PromptTemplate("${requestingApplicationId}", "You allow:\n${requestedScope}\n(${locale})"), ctx)
    assert pv.title == "teller-app"
    assert pv.body == "You allow:\nSign-in\nEmail address access\n(en)"


@pytest.mark.parametrize("locale, user_locale, want, why", [
    ("fr", None, "fr", "request locale 'fr' (exact match)"),
    ("FR_fr", None, "fr", "request locale 'FR_fr' has no content, its language 'fr' does"),
    ("es-ES", "de", "es", "its language 'es' does"),
    (None, "de", "de", "no request locale; user's preferred language 'de' (exact match)"),
    ("ja", "de-AT", "de", "request locale 'ja' has no content; user's preferred language 'de-AT' has no content, "
                          "its language 'de' does"),
    ("ja", "ko", "en", "request locale 'ja' has no content; user's preferred language 'ko' has no content; "
                       "environment default language 'en'"),
    (None, None, "en", "no request locale; no user's preferred language; environment default language 'en'"),
])
def test_locale_selection(teller, ctx, locale, user_locale, want, why) -> None:
    ctx.locale, ctx.user_locale = locale, user_locale
    pv = render_prompt(teller, ctx)
    assert pv.locale == want
    assert why in pv.reason


def test_request_locale_beats_user_language(teller, ctx) -> None:
    ctx.locale, ctx.user_locale = "de", "fr"
    assert render_prompt(teller, ctx).locale == "de"


def test_environment_default_language_and_last_resort(teller, ctx) -> None:
    ctx.locale = "ja"
    pv = render_prompt(teller, ctx, default_language="es")
    assert pv.locale == "es" and "environment default language 'es'" in pv.reason
    only_de = [t for t in teller if t.locale == "de" and not t.variant]
    pv = render_prompt(only_de, ctx)
    assert pv.locale == "de" and "first content 'de' used" in pv.reason
    assert any(f.rule == "no-default-language-content" for f in pv.findings)


def test_variant_case_insensitive_and_fallback(teller, ctx, purchase_vars, pack) -> None:
    pv = render_prompt(teller, ctx, variant="CIBA-Purchase", variables=purchase_vars, language_pack=pack)
    assert pv.variant == "ciba-purchase" and pv.title == "Approve €1,234.50?"
    assert pv.reason.startswith("variant 'CIBA-Purchase'")
    pv = render_prompt(teller, ctx, variant="nope")
    assert pv.variant is None and pv.title == "TrustNow Banking is requesting approval"
    assert "variant 'nope' has no content, default content used" in pv.reason
    assert [f.rule for f in pv.findings] == ["variant-not-found"]


def test_variant_locale_fallback_within_variant(teller, ctx, purchase_vars, pack) -> None:
    ctx.locale = "de"  # the variant has en and fr only
    pv = render_prompt(teller, ctx, variant="ciba-purchase", variables=purchase_vars, language_pack=pack)
    assert (pv.locale, pv.variant) == ("en", "ciba-purchase")
    assert pv.title == "Approve 1.234,50\xa0€?"  # formatted for the user's locale (de)


def test_no_content_errors(teller) -> None:
    with pytest.raises(NoContentError) as err:
        render_prompt(teller, template_name="general")
    assert err.value.field == "template_name" and isinstance(err.value, LookupError)
    only_variant = [PromptTemplate("t", "b", variant="v")]
    with pytest.raises(NoContentError) as err:
        select_content(only_variant, template_name="transaction", variant=None, locale=None, user_locale=None)
    assert err.value.field == "variant" and "'v'" in err.value.fix
    with pytest.raises(ValueError):
        render_prompt([])


def test_template_name_case_insensitive_fallback(teller) -> None:
    assert render_prompt(teller, template_name="Transaction").template_name == "transaction"


def test_missing_value_stays_visible(teller) -> None:
    ctx = PromptContext(client_name="TrustNow Banking")  # no binding message
    pv = render_prompt(teller, ctx)
    assert pv.body == "Message from TrustNow Banking:\n${authUserBindingMessage}"
    f = [f for f in pv.findings if f.rule == "missing-value"]
    assert len(f) == 1 and "binding_message" in f[0].message and f[0].place == "content en body"


def test_empty_binding_message_is_a_value(teller) -> None:
    pv = render_prompt(teller, PromptContext(client_name="X", binding_message=""))
    assert pv.body == "Message from X:\n"


def test_single_template_and_default_context() -> None:
    pv = render_prompt(PromptTemplate("${requestingApplicationName}", "b"))
    assert pv.title == "Demo Client"


def test_lint_false_skips_findings(teller) -> None:
    pv = render_prompt(teller, PromptContext(), lint=False)
    assert pv.findings == [] and "${authUserBindingMessage}" in pv.body


def test_to_dict_and_ok(teller, ctx) -> None:
    d = render_prompt(teller, ctx).to_dict()
    assert d["title"] == "TrustNow Banking is requesting approval" and d["category"] == "BANNER_BUTTONS"
    assert d["locale"] == "en" and d["findings"] == [] and d["buttons"] == ["Approve", "Deny"]
    assert not render_prompt(PromptTemplate("${nope}", "b")).ok
