# %% [markdown]
# # 03 · Latency and outcomes: campaigns, statistics, charts
#
# One CIBA request tells you whether the plumbing works. A **campaign** of hundreds tells you how
# users behave: how many approve, how long they take, how often the client polls in vain, and
# whether one prompt wording does better than another.
#
# This notebook
#
# 1. starts the embedded simulator and adds 300 simulated users with seeded **personas**
#    (prompt approvers, slow approvers, deniers, users who ignore the push);
# 2. runs a campaign of 300 flows against it, 20 at a time, into a durable **run log** (SQLite);
# 3. computes approval rates with Wilson intervals, latency percentiles, and a
#    **censoring-aware** estimate of the time users take to decide;
# 4. draws every chart, compares two prompt wordings, and ends with a small dashboard.
#
# Simulator and client share a `ScaledClock(25)`: 25 simulated seconds pass per real second, so
# the whole campaign takes a few seconds. All times below are in simulated (clock) seconds.
#
# Outcomes are deterministic: every persona has one certain outcome and the population is seeded,
# so the counts and approval rates below are the same on every run. Latencies depend on real
# scheduling, so cells that print them are marked `NBVAL_IGNORE_OUTPUT` (nbval does not compare them).

# %%
import ciba_kit as ck

sim = ck.Simulator.start(seed=7, clock=ck.ScaledClock(25))
client = ck.CibaClient.discover(sim.issuer, "demo-poll", auth=ck.ClientSecretBasic("demo-poll-secret"),
                                clock=sim.clock)
client.client_id, client.mode.value

# %% [markdown]
# ## 1. A population with two prompt wordings
#
# We want to compare two wordings of the push prompt, `short` and `detailed`. In PingOne a wording
# is a *template variant*; which users see which variant is up to the A/B set-up. In the simulator
# the effect of a wording is modelled by the behaviour of the users who get it: 150 users see
# `short` (the default mix: 55 % prompt approvers, 20 % slow approvers, 15 % deniers, 10 % who
# ignore the push), and 150 see `detailed`, whose users deny more often. The statistics must find
# that difference without being told.

# %%
short = ck.Population.generate(150, seed=7, prefix="s", variant="short")
detailed = ck.Population.generate(150, seed=8, prefix="d", variant="detailed",
                                  mix={"prompt": 0.45, "slow": 0.15, "denier": 0.30, "ignorer": 0.10})
population = ck.Population.concat(short, detailed)
population, population.install(sim)

# %% [markdown]
# What the persona mix implies for the approval rate (the ground truth the campaign must recover):

# %%
round(short.expected_approval_rate(), 3), round(detailed.expected_approval_rate(), 3)

# %% [markdown]
# ## 2. The campaign
#
# `run_campaign` sends one flow per user, at most 20 in flight (an `asyncio.Semaphore`), and writes
# each flow to the run log as it starts and as it ends: an interrupted campaign (kernel interrupt,
# Ctrl-C) records in-flight flows as `cancelled` and loses nothing that finished. `truth=sim` joins
# the simulator's ground truth onto every flow afterwards. The progress bar shows done / approved /
# denied / expired / errors.

# %%
# NBVAL_IGNORE_OUTPUT
log = await ck.run_campaign(client, population, flows=300, concurrency=20, seed=7, truth=sim,
                            db="runs/03_campaign.db", name="wording A/B")
log

# %% [markdown]
# The log is an ordinary SQLite file (several runs can share one); `load_flows` and `load_events`
# turn a run into typed pandas DataFrames: UTC timestamps, categoricals for outcome, mode, client,
# group. The auth_req_id is stored only as a hash.

# %%
flows = ck.load_flows(log, run_id=log.run_id)
events = ck.load_events(log, run_id=log.run_id)
flows.dtypes[["started_at", "outcome", "mode", "client", "group", "variant"]].astype(str).to_dict()

# %% [markdown]
# ## 3. Outcomes and approval rates
#
# Users who ignore the push end as `denied`: when the PingOne push times out (40 s), PingFederate
# answers `access_denied`.

# %%
ck.analysis.outcome_counts(flows)

# %%
ck.analysis.approval_rate(flows)

# %% [markdown]
# By persona (each persona has one certain outcome, so the rates are 0 or 1 with narrow intervals)
# and by wording:

# %%
ck.analysis.approval_rate(flows, by="persona").round(3)

# %%
ck.analysis.approval_rate(flows, by="variant").round(3)

# %% [markdown]
# ## 4. Latency
#
# Three latencies per flow, measured by the client from the moment it sent the request:
# acknowledgement, decision, tokens. Percentiles by outcome:

# %%
# NBVAL_IGNORE_OUTPUT
ck.analysis.latency(flows, "decision", by="outcome").round(2)

# %%
# NBVAL_IGNORE_OUTPUT
ck.analysis.latency(flows, "tokens", by="variant").round(2)

# %% [markdown]
# ### When did the user really decide?
#
# A polling client only learns the decision at the next poll: the user decided somewhere between
# the last `authorization_pending` answer and the poll that saw the decision (`decision_after_s`
# .. `decision_before_s`). Reading "when the poll saw it" as the decision time overstates it by up
# to one interval (2 s here). `decision_time_fit` treats each flow as an *interval-censored*
# observation and fits a distribution with lifelines (`LogNormalFitter.fit_interval_censoring`),
# one per persona, mixed by share. (Users who ignore the push "decide" when it times out, at 40 s.)
# The simulator's ground truth shows which estimate is closer.

# %%
fit = ck.analysis.decision_time_fit(flows, by="persona")
fit.model, fit.by, fit.n, fit.censored

# %%
# NBVAL_IGNORE_OUTPUT
{"true median (s)": round(float(flows.true_decision_s.median()), 2), "censoring-aware fit (s)": round(fit.median_s, 2),
 "when the poll saw it (s)": round(fit.naive_median_s, 2)}

# %% [markdown]
# ## 5. Charts
#
# Every chart is one function of `ck.plots` returning a matplotlib Figure.

# %%
ck.plots.latency_cdf(flows, "decision", fit=fit)

# %%
ck.plots.latency_histogram(flows, "decision", by="persona")

# %%
ck.plots.approval_over_time(flows, bins=10, by="variant")

# %%
ck.plots.outcome_shares(flows, by="persona")

# %%
ck.plots.polls_per_flow(flows, by="variant")

# %% [markdown]
# A swimlane of a few flows: the request, the acknowledgement, each poll answer
# (`authorization_pending`, or `slow_down` when a poll came too early), the span the decision
# must lie in, and the tokens or the denial.

# %%
ck.plots.swimlane(flows, events, n=12, seed=3)

# %% [markdown]
# ## 6. Comparing the two wordings
#
# `compare_variants` gives the difference in approval rate with Newcombe's interval, a
# two-proportion z test and Fisher's exact test; and for latency, Mann-Whitney U and
# Kolmogorov-Smirnov tests on the decision times.

# %%
cmp = ck.analysis.compare_variants(flows, "variant", a="short", b="detailed")
cmp.approval_summary()

# %%
# NBVAL_IGNORE_OUTPUT
cmp

# %% [markdown]
# ## 7. Dashboard
#
# Pick a chart, a grouping, a latency and a filter; the chart redraws. (Setting a control's
# `.value` from code does exactly what choosing it does.)

# %%
dash = ck.Dashboard(flows, fit=fit)
dash

# %%
dash.group_by.value = "variant"
dash.filter_column.value = "persona"
dash.filter_value.value = "prompt"
dash.describe()

# %% [markdown]
# ## 8. Report and export
#
# `write_report` writes what `ciba-kit report --db runs/03_campaign.db --out report/` writes:
# `summary.json`, a PNG per chart and `report.md`. Flows export to CSV or Parquet.

# %%
report = ck.analysis.write_report(log, "runs/03_report", run_id=log.run_id)
sorted(report.data), report.data["counts"]

# %%
ck.export_flows(flows, "runs/03_flows.parquet").name

# %%
await client.aclose()
sim.stop()
