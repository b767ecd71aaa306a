"""Every lint rule: where it points and what fix it proposes."""

from __future__ import annotations

from ciba_kit.prompts import (
    BindingMessageRule,
    PromptContext,
    PromptTemplate,
    ScreenLimits,
    contract_names,
    fulfilled_names,
    lint_inputs_from_pingfederate,
    lint_prompt,
    render_prompt,
    template_variables_from_authenticator,
)


def rules(findings) -> list[str]:
    return [f.rule for f in findings]


def test_clean_prompt_has_no_findings(teller, ctx, purchase_vars, pack) -> None:
    assert lint_prompt(teller, ctx) == []
    assert lint_prompt(teller, ctx, variant="ciba-purchase", variables=purchase_vars, language_pack=pack,
                       extended_contract=["purchaseTotal"], fulfilled_attributes=["purchaseTotal", "subject"]) == []


def test_unknown_placeholder_with_suggestion(ctx) -> None:
    f = lint_prompt(PromptTemplate("${requestingApplicationNme} asks", "b"), ctx)
    assert rules(f) == ["unknown-placeholder"]
    assert f[0].place == "content en title" and "did you mean ${requestingApplicationName}?" in f[0].fix
    assert f[0].severity == "error"


def test_unknown_placeholder_in_other_locales_too(teller, ctx) -> None:
    bad = teller + [PromptTemplate("${oops}", "b", locale="it")]
    f = lint_prompt(bad, ctx)
    assert rules(f) == ["unknown-placeholder"] and f[0].place == "content it title"
    # render_prompt reports only the content it rendered
    assert render_prompt(bad, ctx).findings == []


def test_placeholder_without_braces(ctx) -> None:
    f = lint_prompt(PromptTemplate("$requestingApplicationName asks", "costs $5"), ctx)
    assert rules(f) == ["placeholder-without-braces"] and "${requestingApplicationName}" in f[0].fix


def test_unused_variable(teller, ctx) -> None:
    f = lint_prompt(teller, ctx, variables={"spare": "x"})
    assert rules(f) == ["unused-variable"] and f[0].place == "variables.spare"
    # used by another locale of the same variant: not unused
    fr_only = [PromptTemplate("t", "b"), PromptTemplate("${x}", "b", locale="fr")]
    assert lint_prompt(fr_only, ctx, variables={"x": "1"}) == []
    # used only by another variant: unused for this authenticator (default content)
    assert "unused-variable" in rules(lint_prompt(teller, ctx, variables={"purchaseTotal": "1"}))


def test_invalid_name_and_shadowing(ctx) -> None:
    t = PromptTemplate("${authUserBindingMessage}", "b")
    f = lint_prompt(t, ctx, variables={"bad-name": "x", "authUserBindingMessage": "mine"})
    assert set(rules(f)) == {"invalid-variable-name", "shadows-builtin"}
    assert render_prompt(t, ctx, variables={"authUserBindingMessage": "mine"}).title == "mine"


def test_contract_not_in_extended_contract(teller, ctx, purchase_vars, pack) -> None:
    f = lint_prompt(teller, ctx, variant="ciba-purchase", variables=purchase_vars, language_pack=pack,
                    extended_contract=[{"name": "subject"}], fulfilled_attributes=["subject"])
    assert rules(f) == ["contract-not-in-extended-contract"]
    assert "Extended Contract tab" in f[0].fix and f[0].place == "variables.purchaseTotal"


def test_contract_not_fulfilled(teller, ctx, purchase_vars, pack) -> None:
    f = lint_prompt(teller, ctx, variant="ciba-purchase", variables=purchase_vars, language_pack=pack,
                    extended_contract={"coreAttributes": [{"name": "subject"}],
                                       "extendedAttributes": [{"name": "purchaseTotal"}]},
                    fulfilled_attributes={"subject": {"source": {"type": "REQUEST"}, "value": "IDENTITY_HINT_SUBJECT"},
                                          "purchaseTotal": {"source": {"type": "NO_MAPPING"}}})
    assert rules(f) == ["contract-not-fulfilled"] and "Contract Fulfillment tab" in f[0].fix


def test_contract_checks_see_unevaluated_branches(ctx) -> None:
    src = "#if($attributes.vip)VIP $attributes.tier#end"
    f = lint_prompt(PromptTemplate("${v}", "b"), ctx, variables={"v": src}, extended_contract=["vip"])
    assert [x.message for x in f if x.rule == "contract-not-in-extended-contract"] == [
        "variable v reads contract attribute 'tier', which the authenticator's Extended Contract does not declare"]


def test_subject_is_always_in_the_contract(ctx) -> None:
    f = lint_prompt(PromptTemplate("${v}", "b"), PromptContext(contract_attributes={"subject": "frank"}),
                    variables={"v": "$attributes.subject"}, extended_contract=[], fulfilled_attributes=["subject"])
    assert f == []


def test_velocity_errors_are_findings(ctx) -> None:
    f = lint_prompt(PromptTemplate("${v}", "b"), ctx, variables={"v": "#foreach($x in [1])"})
    assert rules(f)[0] == "velocity-syntax" and "line 1 col" in f[0].place


def test_empty_result_and_empty_variable(ctx) -> None:
    f = lint_prompt(PromptTemplate("${v}", "   "), ctx, variables={"v": "#if(false)x#end"})
    assert set(rules(f)) == {"empty-result", "empty-variable"}
    assert sorted(x.place for x in f if x.rule == "empty-result") == ["content en body", "content en title"]
    assert "as whitespace only" in [x for x in f if x.place == "content en body"][0].message


def test_binding_message_rule(teller) -> None:
    f = lint_prompt(teller, PromptContext(binding_message="Transfer 500 EUR to Bob"))
    assert rules(f) == ["binding-message-rejected"]
    assert "23 characters" in f[0].message and "' '" in f[0].message and f[0].place == "request.binding_message"
    assert lint_prompt(teller, PromptContext(binding_message="TX-58213")) == []
    assert rules(lint_prompt(teller, PromptContext(binding_message="ok+ñ"))) == ["binding-message-rejected"]
    keycloak = BindingMessageRule(pattern=r"^[a-zA-Z0-9-._+/!?#]{1,50}$", max_length=50, source="Keycloak")
    assert lint_prompt(teller, PromptContext(binding_message="A-much-longer-code-but-still-ok"), binding_rule=keycloak) == []


def test_truncation_warnings_state_the_assumption(ctx) -> None:
    long_title = PromptTemplate("${requestingApplicationName} is requesting your approval now", "b")
    f = lint_prompt(long_title, ctx)
    assert rules(f) == ["title-truncated"] and "assumed limit" in f[0].message
    many_lines = PromptTemplate("t", "1\n2\n3\n4\n5")
    assert rules(lint_prompt(many_lines, ctx)) == ["body-truncated"]
    assert rules(lint_prompt(PromptTemplate("t", "x" * 151), ctx)) == ["body-truncated"]
    assert lint_prompt(long_title, ctx, limits=ScreenLimits(title_chars=80)) == []


def test_findings_sorted_errors_first(ctx) -> None:
    f = lint_prompt(PromptTemplate("${nope}", "b"), PromptContext(binding_message="has space"), variables={"u": "x"})
    assert [x.severity for x in f] == sorted((x.severity for x in f), key=["error", "warning", "info"].index)
    assert str(f[0]).startswith("ERROR ")


AUTHENTICATOR = {
    "id": "p1mfa", "name": "PingOne MFA", "pluginDescriptorRef": {
        "id": "com.pingidentity.oobauth.pingone.mfa.PingOneMfaCibaAuthenticator"},
    "configuration": {
        "fields": [{"name": "PingOne Template Name", "value": "transaction"},
                   {"name": "PingOne Template Variant", "value": "ciba-purchase"}],
        "tables": [{"name": "PingOne Template Variables", "rows": [
            {"defaultRow": False, "fields": [
                {"name": "PingOne Template Variable Name", "value": "purchaseTotal"},
                {"name": "PingOne Template Variable Value", "value": '$format.currency($attributes.purchaseTotal, "EUR")'}]},
        ]}]},
    "attributeContract": {"coreAttributes": [{"name": "subject"}], "extendedAttributes": []},
}
POLICY = {"id": "demo", "identityHintMapping": {"attributeContractFulfillment": {
    "subject": {"source": {"type": "REQUEST"}, "value": "IDENTITY_HINT_SUBJECT"},
    "USER_KEY": {"source": {"type": "REQUEST"}, "value": "IDENTITY_HINT_SUBJECT"}}}}


def test_pingfederate_admin_api_shapes(teller, ctx) -> None:
    assert template_variables_from_authenticator(AUTHENTICATOR) == {
        "purchaseTotal": '$format.currency($attributes.purchaseTotal, "EUR")'}
    assert contract_names(AUTHENTICATOR) == {"subject"}
    assert fulfilled_names(POLICY) == {"subject", "USER_KEY"}
    assert contract_names(None) is None and fulfilled_names(None) is None
    kw = lint_inputs_from_pingfederate(AUTHENTICATOR, POLICY)
    assert kw["template_name"] == "transaction" and kw["variant"] == "ciba-purchase"
    f = lint_prompt(teller, ctx, **kw)
    assert "contract-not-in-extended-contract" in rules(f)
    assert "unknown-placeholder" in rules(f)  # ${purchaseLabel} has no row
