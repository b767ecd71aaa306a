# %% [markdown]
# # 00 · Quickstart: one CIBA round trip
#
# **Client Initiated Backchannel Authentication (CIBA)**: an application (the *client*) asks the
# provider to authenticate a user on *another* device — the user's phone — and gets tokens once the
# user approves there. No browser redirect, no password typed into the application.
#
# This notebook needs no Ping account: it starts the embedded **simulator** (a PingFederate runtime
# with the PingOne MFA CIBA Authenticator and simulated phones) inside this kernel, then
#
# 1. sends a CIBA request for `alice`, whose simulated phone approves after about 2 seconds;
# 2. sends one for `frank`, whose phone waits for *you*: we approve it through the device API;
# 3. reads the validated ID token and compares the client's view with the simulator's ground truth.
#
# The simulator runs on a `ScaledClock(10)`: its time, and the client's, runs ten times faster than
# the wall clock, so a 2-second approval takes 0.2 s. Client and simulator share the clock object.

# %%
import ciba_kit as ck

sim = ck.Simulator.start(seed=1, clock=ck.ScaledClock(10))
sim.client_ids()

# %% [markdown]
# The demo configuration has six OAuth clients (see DESIGN.md). `demo-poll` authenticates with
# `client_secret_basic` and *polls* the token endpoint. `discover` reads the provider's
# `/.well-known/openid-configuration` and checks that it supports CIBA.

# %%
client = ck.CibaClient.discover(sim.issuer, "demo-poll", auth=ck.ClientSecretBasic("demo-poll-secret"),
                                clock=sim.clock)
client.metadata.backchannel_token_delivery_modes_supported

# %% [markdown]
# ## 1. Alice approves on her phone
#
# `authenticate` sends the backchannel request (`/as/bc-auth.ciba`), gets an `auth_req_id`, then
# polls `/as/token.oauth2` at the advertised interval until the user has answered.

# %%
flow = await client.authenticate(login_hint="alice", binding_message="W4SCT")
flow.outcome, flow.error, flow.expires_in, flow.interval

# %% [markdown]
# ## 2. Frank waits for a manual decision
#
# `start` only sends the request. The push is now on Frank's simulated phone: the device API shows
# it exactly as the PingOne template renders it (title, body with the binding message).

# %%
req = await client.start(login_hint="frank", binding_message="HELLO-1")
prompt = sim.devices.wait_for_prompt("frank")
print(prompt.title)
print(prompt.body)

# %% [markdown]
# Tap **Approve** (the phone widget of notebook 02 does the same call), then let the client
# collect the result.

# %%
sim.devices.approve("frank").status

# %%
flow = await client.wait(req)
flow.outcome

# %% [markdown]
# ## 3. The ID token
#
# The client validated the ID token's signature against the simulator's `/pf/JWKS` and its claims
# (issuer, audience, expiry). Tokens themselves are never shown; the times differ on every run.

# %%
flow.safe_claims(without_times=True)

# %%
# NBVAL_IGNORE_OUTPUT
flow.tokens

# %% [markdown]
# ## 4. Ground truth
#
# The simulator records what really happened to every transaction, keyed by a hash of the
# `auth_req_id` (never the value itself), so the client's measurements can be checked.

# %%
truth = sim.truth(flow.auth_req_id_hash)
truth.user, truth.decision, truth.outcome, truth.device_status

# %%
await client.aclose()
sim.stop()
