"""Velocity variables evaluated by airspeed: objects, Java string methods, formatting, edge cases, errors."""

from __future__ import annotations

import pytest

from ciba_kit.prompts import PromptContext, PromptTemplate, VelocityNames, render_prompt
from ciba_kit.prompts.velocity import attribute_references, reference_texts


def one(source: str, ctx: PromptContext | None = None, **kw):
    pv = render_prompt(PromptTemplate("${v}", "body"), ctx or PromptContext(
        client_name="TrustNow Banking", binding_message="tx-58213", user_attributes={"given_name": "Frank"},
        contract_attributes={"purchaseTotal": "1234.5", "merchant": "  Café Nord  "}), variables={"v": source}, **kw)
    return pv.title, pv.findings


@pytest.mark.parametrize("source, want", [
    ("static text", "static text"),
    ("$attributes.purchaseTotal", "1234.5"),
    ('${attributes.purchaseTotal}', "1234.5"),
    ('$attributes.get("purchaseTotal")', "1234.5"),
    ('$attributes["merchant"].trim()', "Café Nord"),
    ("$request.bindingMessage.toUpperCase()", "TX-58213"),
    ("$request.clientName", "TrustNow Banking"),
    ("$requestingApplicationName / $authUserBindingMessage", "TrustNow Banking / tx-58213"),
    ("$user.given_name", "Frank"),
    ("#if($attributes.purchaseTotal)pay $attributes.purchaseTotal#else free#end", "pay 1234.5"),
    ("#if($attributes.nope)x#else no total#end", " no total"),  # Velocity keeps the space
    ("$!attributes.nope", ""),
    ('${attributes.nope|"n/a"}', "n/a"),
    ('#set($t = "TOTAL")$t.length() $t.lower()', "5 total"),  # literals: airspeed's + Python's methods
    ("$request.scopes.size() scopes", "0 scopes"),
    ('#foreach($s in ["a","b"])$s;#end', "a;b;"),
    ("$request.bindingMessage.substring(3)", "58213"),
    ('$request.bindingMessage.replaceAll("[0-9]", "#")', "tx-#####"),
    ("$1.50 stays text", "$1.50 stays text"),
    ("## a comment\nline", "line"),
])
def test_velocity_sources(source: str, want: str) -> None:
    title, _ = one(source)
    assert title == want


@pytest.mark.parametrize("locale, want", [
    ("en", "€1,234.50"),
    ("en-US", "€1,234.50"),
    ("fr", "1\u202f234,50\xa0€"),
    ("fr-CA", "1\xa0234,50\xa0€"),  # CLDR: fr_CA groups with a no-break space
    ("de", "1.234,50\xa0€"),
    ("xx", "€1,234.50"),  # unknown locale: English formatting
])
def test_currency_per_locale(locale: str, want: str) -> None:
    ctx = PromptContext(locale=locale, contract_attributes={"purchaseTotal": "1234.5"})
    title, _ = one('$format.currency($attributes.purchaseTotal, "EUR")', ctx)
    assert title == want


def test_other_formatters() -> None:
    ctx = PromptContext(locale="de", contract_attributes={"n": "1234567.891", "p": "0.25"})
    assert one("$format.number($attributes.n)", ctx)[0] == "1.234.567,891"
    assert one("$format.decimal($attributes.n, 1)", ctx)[0] == "1.234.567,9"
    assert one("$format.percent($attributes.p)", ctx)[0] == "25\xa0%"


def test_missing_attribute_renders_raw_and_is_flagged() -> None:
    title, findings = one('$format.currency($attributes.total, "EUR")')
    assert title == '$format.currency($attributes.total, "EUR")'
    f = [f for f in findings if f.rule == "missing-value"]
    assert f and "'total'" in f[0].message and f[0].place == "variables.v"


def test_guarded_absent_attribute_is_info_only() -> None:
    _, findings = one("#if($attributes.nope)x#end ok")
    assert [f.rule for f in findings] == ["attribute-absent"]
    assert findings[0].severity == "info"


def test_language_pack_messages(pack) -> None:
    ctx = PromptContext(locale="fr-CA")
    assert one('$messages.get("purchase.label")', ctx, language_pack=pack)[0] == "Achat"
    assert one('$messages.format("greeting", "Frank")', ctx, language_pack=pack)[0] == "Allô Frank"
    assert one('$messages.format("greeting", "Frank")', PromptContext(locale="fr"), language_pack=pack)[0] == \
        "Bonjour Frank"
    assert one('$messages.get("purchase.label")', PromptContext(locale="ja"), language_pack=pack)[0] == "Purchase"
    title, findings = one('$messages.get("nope")', ctx, language_pack=pack)
    assert title == '$messages.get("nope")'
    assert [f.rule for f in findings if f.rule == "missing-message"] == ["missing-message"]


def test_configurable_names() -> None:
    names = VelocityNames(attributes="contract", request="ctx", messages="msg", format="fmt")
    ctx = PromptContext(binding_message="A1", contract_attributes={"total": "5"})
    assert one('$contract.total $ctx.bindingMessage $fmt.currency($contract.total, "USD")', ctx, names=names)[0] == \
        "5 A1 $5.00"
    # the default name is then just an unknown reference
    assert one("$attributes.total", ctx, names=names)[0] == "$attributes.total"


def test_syntax_error_line_and_column() -> None:
    title, findings = one("first line\n#if($attributes.purchaseTotal)\nno end")
    assert title == "${v}"  # a failed row sends nothing: the placeholder stays raw
    f = findings[0]
    assert f.rule == "velocity-syntax" and f.severity == "error"
    assert f.place == "variables.v line 3 col 7"
    assert "#end" in f.message


def test_syntax_error_unclosed_call() -> None:
    f = one('$format.currency($attributes.purchaseTotal, "EUR"')[1][0]
    assert f.rule == "velocity-syntax" and "line 1 col" in f.place


def test_execution_error_position() -> None:
    f = one('ok\n  $format.currency($attributes.merchant, "EUR")')[1][0]
    assert f.rule == "velocity-execution"
    assert f.place == "variables.v line 2 col 3"
    assert "not a number" in f.message


def test_execution_error_type() -> None:
    f = one("#set($x = $attributes.purchaseTotal + 1)$x")[1][0]
    assert f.rule == "velocity-execution" and "TypeError" in f.message


def test_private_names_refused() -> None:
    title, findings = one("$request.__class__")
    assert title == "${v}" and findings[0].rule == "velocity-forbidden"
    assert one("$_x")[1][0].rule == "velocity-forbidden"


def test_static_reference_helpers() -> None:
    src = '$attributes.a ${attributes.b} $!attributes.c $attributes.get("d") $attributes["e"] $request.x'
    assert attribute_references(src) == ["a", "b", "c", "d", "e"]
    assert attribute_references("$contract.a", "contract") == ["a"]
    assert reference_texts('x $a.b(1) ${c} $!d') == ["$a.b(1)", "${c}", "$!d"]


def test_request_scopes_and_java_string_methods() -> None:
    ctx = PromptContext(client_id="app-1", binding_message=" tx-1 ", locale="fr",
                        scopes=[("openid", "Sign-in"), ("email", "Email address access")])
    assert one('#foreach($s in $request.scopeDescriptions)[$s]#end', ctx)[0] == "[Sign-in][Email address access]"
    assert one("$request.scopes.get(1) $request.scopes.contains('email')", ctx)[0] == "email True"
    assert one("$request.locale/$locale/$request.clientId", ctx)[0] == "fr/fr/app-1"
    src = ("$request.bindingMessage.trim().length() $request.bindingMessage.trim().charAt(0) "
           "$request.bindingMessage.isEmpty() $request.bindingMessage.trim().equalsIgnoreCase('TX-1') "
           "$request.bindingMessage.trim().endsWith('1') $request.bindingMessage.indexOf('x') "
           "$request.bindingMessage.trim().matches('tx-[0-9]') $request.bindingMessage.trim().concat('!')")
    assert one(src, ctx)[0] == "4 t False True True 2 True tx-1!"
    assert one("$attributes.containsKey('a') $attributes.size() $attributes.isEmpty()",
               PromptContext(contract_attributes={"a": "1"}))[0] == "True 1 False"


def test_variables_are_independent() -> None:
    # Each row is evaluated on its own (PingFederate sends each value separately): no cross references.
    pv = render_prompt(PromptTemplate("${a}|${b}", "x"), PromptContext(), variables={"a": "A", "b": "$a"})
    assert pv.title == "A|$a"


def test_same_source_renders_per_request() -> None:
    src = '$format.currency($attributes.t, "EUR")'
    assert one(src, PromptContext(locale="en", contract_attributes={"t": "1"}))[0] == "€1.00"
    assert one(src, PromptContext(locale="de", contract_attributes={"t": "2"}))[0] == "2,00\xa0€"
