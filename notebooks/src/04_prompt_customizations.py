# %% [markdown]
# # 04 · Prompt customizations
#
# What does the user's phone show when a CIBA request reaches the PingOne MFA CIBA Authenticator?
# Two levels of customization (Ping's *CIBA prompt customizations* page):
#
# - **simple**: the PingOne notification template content (title, body, category per locale and
#   variant) with the six built-in request variables such as `${requestingApplicationName}` and
#   `${authUserBindingMessage}`;
# - **advanced**: extra variables defined in PingFederate (the authenticator's *PingOne Template
#   Variables* table), each a Velocity source combining contract attributes, request values and
#   language-pack messages.
#
# Everything below renders with `ck.render_prompt`, the same code the simulator's phones use, so the
# last section can check that a real round trip shows exactly the preview.

# %%
import ciba_kit as ck

# %% [markdown]
# ## 1. The bank teller (simple customization)
#
# Ping's example: a teller at *TrustNow Banking* asks the customer to approve; the binding message
# carries a transaction code the customer can compare with the teller's screen. One content per
# language of the `transaction` template.

# %%
teller = [
    ck.PromptTemplate("${requestingApplicationName} is requesting approval",
                      "Message from ${requestingApplicationName}:\n${authUserBindingMessage}", locale="en"),
    ck.PromptTemplate("${requestingApplicationName} demande votre accord",
                      "Message de ${requestingApplicationName} :\n${authUserBindingMessage}", locale="fr"),
    ck.PromptTemplate("${requestingApplicationName} bittet um Freigabe",
                      "Nachricht von ${requestingApplicationName}:\n${authUserBindingMessage}", locale="de"),
    ck.PromptTemplate("${requestingApplicationName} solicita aprobación",
                      "Mensaje de ${requestingApplicationName}:\n${authUserBindingMessage}", locale="es"),
]
request = ck.PromptContext(client_id="demo-poll", client_name="TrustNow Banking", binding_message="TX-58213")
preview = ck.render_prompt(teller, request)
preview

# %%
print(preview.title)
print(preview.body)
print(preview.reason)

# %% [markdown]
# ## 2. Which content PingOne picks
#
# The request's locale wins over the user's preferred language; an unmatched locale falls back to
# its language (`es-ES` → `es`), then to the environment default language (`en`). The preview says
# which step matched.

# %%
print(ck.render_prompt(teller, ck.PromptContext(client_name="TrustNow Banking", locale="es-ES")).reason)
print(ck.render_prompt(teller, ck.PromptContext(client_name="TrustNow Banking", locale="ja", user_locale="de")).reason)
print(ck.render_prompt(teller, ck.PromptContext(client_name="TrustNow Banking", user_locale="pt-BR")).reason)

# %% [markdown]
# ## 3. An advanced variable: the purchase total, formatted per locale
#
# A `ciba-purchase` variant shows the amount. PingFederate computes `${purchaseTotal}` from the
# contract attribute `purchaseTotal` with Velocity; `$format.currency` formats it for the user's
# locale and `$messages` reads the language pack (`pingone-mfa-messages_<locale>.properties`, with
# Java's fallback `fr_CA` → `fr` → base; `ck.LanguagePack.from_dir(...)` reads PingFederate's
# folder). The Velocity object names (`$attributes`, `$request`, `$messages`, `$format`) are
# ciba_kit's choice, since Ping does not document them; `ck.VelocityNames` renames them.

# %%
purchase = [
    ck.PromptTemplate("Approve ${purchaseTotal}?",
                      "${purchaseLabel} ${purchaseTotal} at ${merchant}\nCode: ${authUserBindingMessage}",
                      locale="en", variant="ciba-purchase"),
    ck.PromptTemplate("Approuver ${purchaseTotal} ?",
                      "${purchaseLabel} ${purchaseTotal} chez ${merchant}\nCode : ${authUserBindingMessage}",
                      locale="fr", variant="ciba-purchase"),
    ck.PromptTemplate("${purchaseTotal} freigeben?",
                      "${purchaseLabel} ${purchaseTotal} bei ${merchant}\nCode: ${authUserBindingMessage}",
                      locale="de", variant="ciba-purchase"),
]
variables = {
    "purchaseTotal": "$format.currency($attributes.purchaseTotal, $attributes.currency)",
    "purchaseLabel": '$messages.get("ciba.purchase.label")',
    "merchant": "$attributes.merchant.trim()",
}
language_pack = ck.LanguagePack({"": {"ciba.purchase.label": "Purchase of"},
                                 "fr": {"ciba.purchase.label": "Achat de"},
                                 "de": {"ciba.purchase.label": "Kauf über"}})
shop = ck.PromptContext(client_id="demo-poll", client_name="TrustNow Banking", binding_message="TX-58213",
                        locale="fr-CA", contract_attributes={"purchaseTotal": "1234.50", "currency": "EUR",
                                                             "merchant": "  Café Nord  "})
ck.render_prompt(teller + purchase, shop, variant="ciba-purchase", variables=variables, language_pack=language_pack)

# %% [markdown]
# ## 4. Every locale and variant side by side
#
# The same request in each locale (columns) and variant (rows). German formats the amount the
# German way; Spanish has no `ciba-purchase` content, so PingOne falls back to English while the
# amount keeps the user's (Spanish) formatting.

# %%
grid = ck.LocaleGrid(teller + purchase, shop, locales=["en", "fr", "de", "es"], variables=variables,
                     language_pack=language_pack)
grid

# %%
print(grid.previews[("de", "ciba-purchase")].title)
print(grid.previews[("es", "ciba-purchase")].title, "|", grid.previews[("es", "ciba-purchase")].reason)

# %% [markdown]
# ## 5. Lint: the four places must agree
#
# An advanced variable needs the template, the variables table, the authenticator's Extended
# Contract and the request policy's Contract Fulfillment to agree. Here the table has a typo
# (`purchaseTotl`), `merchant` was never added to the Extended Contract, and the teller typed a
# binding message with spaces, which PingFederate (as reported) rejects.

# %%
mistake = {**variables, "purchaseTotal": "$format.currency($attributes.purchaseTotl, $attributes.currency)"}
teller_typed = ck.PromptContext(client_id="demo-poll", client_name="TrustNow Banking", binding_message="TX 58213",
                                contract_attributes=shop.contract_attributes)
findings = ck.lint_prompt(teller + purchase, teller_typed, variant="ciba-purchase", variables=mistake,
                          language_pack=language_pack, extended_contract=["purchaseTotal", "currency"],
                          fulfilled_attributes=["subject", "purchaseTotal", "currency"])
print("\n".join(str(f) for f in findings))

# %% [markdown]
# The prompt studio edits title, body, variables and the sample request, re-rendering and linting
# as you type. Setting a control's value from code does the same:

# %%
studio = ck.PromptStudio(teller + purchase, shop, variables=variables, variant="ciba-purchase",
                         language_pack=language_pack)
studio

# %%
studio.controls["attributes"].value = "purchaseTotal = 99.9\ncurrency = USD\nmerchant = Kiosk 7"
print(studio.preview.title)
print(studio.preview.body)

# %% [markdown]
# ## 6. A real CIBA round trip: the simulated phone shows exactly the preview
#
# Configure the embedded simulator the way you would configure Ping: the teller contents go to
# PingOne's `/environments/{envId}/templates/transaction/contents` (replacing the English and
# French contents of the same locale, adding German and Spanish), and the PingFederate Admin API
# renames the demo client *TrustNow Banking*. Then send a CIBA request for `frank` (who waits
# for a manual decision) and compare what his phone shows with the preview of section 1.

# %%
clock = ck.ScaledClock(20)
sim = ck.Simulator.start(seed=0, clock=clock)
pingone = ck.PingOneApi.for_simulator(sim)
stored = pingone.upsert_template_contents(teller)
print([(c["locale"], c["title"]) for c in pingone.template_contents("transaction")])

# %%
admin = ck.PingFederateAdmin.for_simulator(sim)
demo_poll = admin.find_client("demo-poll")
demo_poll.name = "TrustNow Banking"
print(admin.update_client(demo_poll).name)

# %%
client = ck.CibaClient.discover(sim.issuer, "demo-poll", auth=ck.ClientSecretBasic("demo-poll-secret"), clock=clock)
req = await client.start(login_hint="frank", binding_message="TX-58213")
phone = sim.devices.wait_for_prompt("frank")
print(phone.title == preview.title and phone.body == preview.body)

# %%
ck.PhoneView(phone, devices=sim.devices)

# %%
sim.devices.approve("frank")
flow = await client.wait(req)
print(flow.outcome)

# %%
await client.aclose()
sim.stop()
