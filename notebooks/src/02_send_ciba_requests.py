# %% [markdown]
# # 02 · Send CIBA requests: poll, ping, errors, signed requests, and a request console
#
# This notebook sends real CIBA requests over loopback HTTP to the embedded simulator (a
# PingFederate runtime with the PingOne MFA CIBA Authenticator and simulated phones):
#
# 1. a **poll** flow (the client polls `/as/token.oauth2` at the advertised interval);
# 2. a **ping** flow (the provider calls the client's notification endpoint, then the client makes
#    exactly one token call);
# 3. an **error with its hint**: a client without the CIBA grant;
# 4. a **signed request object** (`demo-signed` requires one);
# 5. the **request console**: a form that sends a request, shows its timeline as it happens, and a
#    phone on which you approve or deny the push for the manual user `frank`.
#
# Time runs on a `ScaledClock(20)` shared by the simulator and the clients: the demo's 2-second
# polling interval takes a tenth of a second.

# %%
import ciba_kit as ck

sim = ck.Simulator.start(seed=2, clock=ck.ScaledClock(20))
receiver = ck.start_receiver(sim, ["demo-ping"])
sim.client_ids()

# %% [markdown]
# The receiver listens on a free loopback port, and `start_receiver` registers that URL as
# `demo-ping`'s notification endpoint through the simulator's Admin API (the demo configuration's
# `http://127.0.0.1:9032/cb` may be taken on your machine). It checks the bearer `client_notification_token` of every callback
# in constant time, answers `401` to a wrong one and ignores `auth_req_id`s it does not know.
#
# One client object per OAuth client. `discover` reads `/.well-known/openid-configuration`,
# checks the CIBA fields (backchannel endpoint, delivery mode, signing algorithms) and caches the
# provider's JWKS for ID-token validation.

# %%
poll = ck.CibaClient.discover(sim.issuer, "demo-poll", auth=ck.ClientSecretBasic("demo-poll-secret"),
                              clock=sim.clock)
ping = ck.CibaClient.discover(sim.issuer, "demo-ping", auth=ck.ClientSecretBasic("demo-ping-secret"),
                              clock=sim.clock, mode="ping", receiver=receiver)
nociba = ck.CibaClient.discover(sim.issuer, "demo-nociba", auth=ck.ClientSecretBasic("demo-nociba-secret"),
                                clock=sim.clock)
signed = ck.CibaClient.discover(sim.issuer, "demo-signed", auth=ck.PrivateKeyJwt(ck.demo_client_key()),
                                clock=sim.clock, sign_requests=True)
poll.auth, signed.auth

# %% [markdown]
# Secrets and keys are masked in every representation (`***`).
#
# ## 1. Poll mode
#
# `alice`'s simulated phone approves after about 2 seconds. The client waits at least the
# `interval` of the acknowledgement between polls (5 s if the provider sends none), measured from
# the previous poll, adds 5 s for good after a `slow_down`, and stops at the `expires_in` deadline.

# %%
flow = await poll.authenticate(login_hint="alice", binding_message="W4SCT")
flow.outcome.value, flow.error, flow.expires_in, flow.interval

# %% [markdown]
# The validated ID-token claims (issuer, audience, subject; the times change on every run):

# %%
{name: flow.id_token_claims[name] for name in ("sub", "aud")}

# %% [markdown]
# The whole flow, with the timeline of every exchange (times vary from run to run):

# %%
# NBVAL_IGNORE_OUTPUT
flow

# %% [markdown]
# `bob` denies on his phone: the token endpoint answers `access_denied`, the outcome is `denied`.

# %%
denied = await poll.authenticate(login_hint="bob")
denied.outcome.value, denied.error

# %% [markdown]
# ## 2. Ping mode
#
# `start` sends the request and returns once it is acknowledged; the push is then on `frank`'s
# phone. After the approval the simulator *pings* the receiver, and the client makes exactly one
# token call: no polling at all.

# %%
req = await ping.start(login_hint="frank", binding_message="PING-1")
prompt = sim.devices.wait_for_prompt("frank")
print(prompt.title)
print(prompt.body)

# %%
sim.devices.approve(prompt.id).status

# %%
flow = await ping.wait(req)
flow.outcome.value, [event.kind for event in flow.timeline]

# %% [markdown]
# ## 3. An error, with the hint that names the setup cause
#
# `demo-nociba` has no CIBA grant. Every error code of the specs has its own exception class, and
# each carries the provider's description plus a hint pointing at the console setting to check.
# `authenticate` reports it in the result; `start` raises it.

# %%
bad = await nociba.authenticate(login_hint="alice")
print(bad.outcome.value, bad.error, type(bad.exception).__name__)
print(bad.hint)

# %% [markdown]
# `start` (and `raise_for_error()`) raise that exception; its message is the whole story:

# %%
print(bad.exception)

# %% [markdown]
# ## 4. A signed request object
#
# `demo-signed` requires the request parameters inside a JWT signed with its key (`request`), with
# `aud`, `iss`, `exp`, `iat`, `nbf`, `jti` and `client_id` inside as well as outside (PingFederate's
# rule). The client authenticates with `private_key_jwt` using the same demo key.

# %%
flow = await signed.authenticate(login_hint="alice", binding_message="SIGNED-1")
flow.outcome.value, flow.error

# %% [markdown]
# The same client without a request object is refused:

# %%
unsigned = await signed.authenticate(login_hint="alice", sign_request=False)
unsigned.error, unsigned.error_description

# %% [markdown]
# ## 5. The request console
#
# Fill in the hint, binding message and scope, pick a mode and a client, and press **Send request**.
# The timeline grows as the exchanges happen. The phone on the right is `frank`'s: tap
# **Approve** or **Deny** there.

# %%
console = ck.RequestConsole({"demo-poll": poll, "demo-ping": ping, "demo-nociba": nociba}, devices=sim.devices)
console

# %% [markdown]
# The cells below drive the console exactly as a person would (they set the fields and click the
# buttons), so the notebook checks itself when it runs in CI.

# %%
console.hint.value = "frank"
console.binding_message.value = "NB-42"
console.mode.value = "poll"
console.send_button.click()

# %%
await console.started()
print(console.refresh_phone().body)

# %%
console.approve_button.click()
flow = await console.result()
flow.outcome.value, flow.client_id, "approved" in console.timeline.value

# %% [markdown]
# Now the ping client, and a denial on the phone:

# %%
console.mode.value = "ping"
console.binding_message.value = "NB-43"
console.send_button.click()
await console.started()
console.deny_button.click()
flow = await console.result()
flow.outcome.value, flow.mode.value, flow.error

# %% [markdown]
# Bad input never reaches the provider: with an empty hint the console reports the field and the
# fix (exactly one of `login_hint`, `login_hint_token`, `id_token_hint` must be given).

# %%
console.hint.value = ""
console.send_button.click()
await console.result()
print(console.last_error)

# %% [markdown]
# And the client without the CIBA grant: the console shows the error class and its hint.

# %%
console.hint.value = "frank"
console.mode.value = "poll"
console.client.value = "demo-nociba"
console.send_button.click()
await console.result()
type(console.last_error).__name__

# %%
for c in (poll, ping, nociba, signed): await c.aclose()  # noqa: E701 - close the four clients
receiver.stop()
sim.stop()
