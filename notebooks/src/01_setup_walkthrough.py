# %% [markdown]
# # 01 · Setup walkthrough: PingOne MFA CIBA Authenticator, step by step
#
# Ping's *CIBA setup* page has three steps, and a client is needed to use them:
#
# 1. **PingOne**: a CIBA authentication policy — an MFA policy whose allowed methods include the
#    Native mobile application the phones are paired with;
# 2. **PingFederate**: a CIBA authenticator instance of type *PingOne MFA CIBA Authenticator*;
# 3. **PingFederate**: a CIBA request policy that drives that authenticator;
# 4. and an **OAuth client** with the CIBA grant type, bound to the request policy.
#
# This notebook configures an **empty** embedded simulator through the same Admin API and
# PingOne API shapes a real deployment uses, then asks the doctor whether everything agrees, and
# finally breaks the client on purpose to show the error a client receives and the doctor's
# diagnosis. Every form below is a widget; the cells drive it through `.value` so the notebook
# runs unattended (edit the forms by hand when you explore).

# %%
import ciba_kit as ck

# Demo-only secret for the client we create; a real profile names an environment variable instead.
secrets = {"CIBA_KIT_DEMO_SECRET": "walkthrough-demo-secret"}

# %% [markdown]
# ## An empty simulator
#
# No clients, no policies, no authenticator: the simulator starts with nothing configured. Time
# runs 20x faster (`ScaledClock(20)`) so the approvals below take a fraction of a second. `alice`
# is the phone owner who will approve our test requests after about two (simulated) seconds.

# %%
clock = ck.ScaledClock(20)
sim = ck.Simulator.start({"base": "empty"}, seed=0, clock=clock)
sim.add_user("alice", persona=ck.Persona(approve=1, deny=0, ignore=0, latency_median_s=2, latency_sigma=0))
admin = ck.PingFederateAdmin(sim.admin_url, username="Administrator", password="2FederateM0re")
print(admin.clients(), admin.request_policies(), admin.authenticators())

# %% [markdown]
# ## Step 1 · PingOne: the CIBA authentication policy
#
# PingOne disregards every method but Mobile Applications for CIBA, so what matters is the MFA
# policy's entry for the Native app: push enabled and the **push timeout** (40–150 s), the time the
# user has to answer. The push content (title and body of the `transaction` template) is what the
# phone shows.

# %%
wizard = ck.SetupWizard(name="walkthrough")
wizard.pingone

# %% [markdown]
# Validation happens as values change, field by field, with the allowed range and the place in the
# PingOne console:

# %%
wizard.pingone.value = {"push_timeout": 30}
print(wizard.pingone.validate()[0])

# %% [markdown]
# PingFederate's default transaction lifetime is 120 s; a push timeout shorter than that would
# leave the user unable to approve for most of the request's life, so match it:

# %%
wizard.pingone.value = {"push_timeout": 120, "variant": "walkthrough",
                        "body": "Code ${authUserBindingMessage}: approve the payment of ${purchaseTotal}?"}
print(wizard.pingone.validate())

# %% [markdown]
# ## Step 2 · PingFederate: the PingOne MFA CIBA Authenticator
#
# The authenticator sends each request to PingOne with the template name and variant that select
# the content above. `purchaseTotal` is an advanced variable: its Velocity value reads the contract
# attribute `amount`, so `amount` must be on the **Extended Contract**.

# %%
wizard.authenticator

# %%
wizard.authenticator.value = {"template_variant": "walkthrough", "extended_attributes": "amount",
                              "variables": "purchaseTotal = $attributes.amount EUR"}
print(wizard.authenticator.validate())

# %% [markdown]
# ## Step 3 · PingFederate: the CIBA request policy
#
# The request policy resolves the identity hint to a user, drives exactly one authenticator and
# sets the transaction lifetime (the client's `expires_in`). Its **Contract Fulfillment** must
# supply every attribute of the authenticator's contract — the doctor and the wizard both check
# the four places (template, variables table, Extended Contract, fulfillment) agree:

# %%
wizard.request_policy

# %%
print(len(wizard.problems(env=secrets)), wizard.problems(env=secrets)[0].field)

# %%
wizard.request_policy.value = {"fulfillment": "amount = TEXT:42.00"}
print(wizard.problems(env=secrets))

# %% [markdown]
# ## The OAuth client
#
# A client may start CIBA only with the CIBA grant type; it polls at least every *Polling
# Interval* seconds. Its secret comes from an environment variable (here from `secrets`) and is
# never shown.

# %%
wizard.client

# %% [markdown]
# ## Plan, then apply
#
# The plan is a dry run: the exact calls in dependency order (PingOne first, then authenticator,
# request policy, default policy, client), with secrets masked. Apply performs them; a second
# apply finds nothing to do.

# %%
print(wizard.plan(sim, env=secrets))

# %%
print(wizard.apply(sim, env=secrets).summary())
print(wizard.apply(sim, env=secrets).summary())

# %% [markdown]
# ## The doctor
#
# The doctor reads the live setup back (Admin API, PingOne API, discovery), checks each rule and
# finishes with a real CIBA request for the authenticator's *Test Username*.

# %%
profile = wizard.profile(env=secrets)
report = ck.doctor(profile, target=sim, clock=clock)
report

# %% [markdown]
# A request of our own: `expires_in` is the policy's transaction lifetime and `interval` the
# client's polling interval, exactly as applied.

# %%
client = ck.SyncCibaClient.discover(sim.issuer, "ciba-kit-poll",
                                    auth=ck.ClientSecretBasic(secrets["CIBA_KIT_DEMO_SECRET"]), clock=clock)
flow = client.authenticate(login_hint="alice", binding_message="SETUP1")
print(flow.outcome, flow.expires_in, flow.interval)

# %% [markdown]
# ## Break it, read the error, ask the doctor, fix it
#
# Untick the client's CIBA grant type and apply:

# %%
wizard.client.value = {"ciba_grant": False}
print(wizard.apply(sim, env=secrets))

# %% [markdown]
# The same request now fails at the backchannel endpoint. The client's error is
# `UnauthorizedClient`, and its hint names the setting to fix:

# %%
broken = client.authenticate(login_hint="alice", binding_message="SETUP2")
print(broken.outcome, broken.error, type(broken.exception).__name__)
print(broken.hint)

# %% [markdown]
# The doctor reaches the same diagnosis from the configuration side, with the console path:

# %%
print(ck.doctor(wizard.profile(env=secrets), target=sim, clock=clock))

# %% [markdown]
# Tick the grant type again, apply, and the request is approved:

# %%
wizard.client.value = {"ciba_grant": True}
print(wizard.apply(sim, env=secrets).summary())
print(client.authenticate(login_hint="alice", binding_message="SETUP3").outcome)

# %%
client.close()
admin.close()
sim.stop()
