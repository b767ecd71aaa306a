"""Fixtures for the prompt tests: the bank-teller contents, a purchase variant, a language pack."""

from __future__ import annotations

import pytest

from ciba_kit.prompts import LanguagePack, PromptContext, PromptTemplate, ScopeInfo

TELLER_TITLE = "${requestingApplicationName} is requesting approval"
TELLER_BODY = "Message from ${requestingApplicationName}:\n${authUserBindingMessage}"


@pytest.fixture
def teller() -> list[PromptTemplate]:
    return [
        PromptTemplate(TELLER_TITLE, TELLER_BODY, locale="en"),
        PromptTemplate("${requestingApplicationName} demande votre accord",
                       "Message de ${requestingApplicationName} :\n${authUserBindingMessage}", locale="fr"),
        PromptTemplate("${requestingApplicationName} bittet um Freigabe",
                       "Nachricht von ${requestingApplicationName}:\n${authUserBindingMessage}", locale="de"),
        PromptTemplate("${requestingApplicationName} solicita aprobación",
                       "Mensaje de ${requestingApplicationName}:\n${authUserBindingMessage}", locale="es"),
        PromptTemplate("Approve ${purchaseTotal}?", "${purchaseLabel}: ${purchaseTotal}\nCode ${authUserBindingMessage}",
                       locale="en", variant="ciba-purchase"),
        PromptTemplate("Approuver ${purchaseTotal} ?", "${purchaseLabel} : ${purchaseTotal}\nCode ${authUserBindingMessage}",
                       locale="fr", variant="ciba-purchase"),
    ]


@pytest.fixture
def purchase_vars() -> dict[str, str]:
    return {
        "purchaseTotal": '$format.currency($attributes.purchaseTotal, "EUR")',
        "purchaseLabel": '$messages.get("purchase.label")',
    }


@pytest.fixture
def pack() -> LanguagePack:
    return LanguagePack({"": {"purchase.label": "Purchase", "greeting": "Hello {0}"},
                         "fr": {"purchase.label": "Achat", "greeting": "Bonjour {0}"},
                         "fr_CA": {"greeting": "Allô {0}"}})


@pytest.fixture
def ctx() -> PromptContext:
    return PromptContext(client_id="teller-app", client_name="TrustNow Banking", binding_message="TX-58213",
                         scopes=[ScopeInfo("openid", "Sign-in"), ScopeInfo("email", "Email address access")],
                         contract_attributes={"purchaseTotal": "1234.5"})
