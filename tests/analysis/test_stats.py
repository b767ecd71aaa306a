"""Every statistic against values computed by hand (or published worked examples)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ciba_kit import analysis as A
from ciba_kit.protocol.errors import InputError

from .conftest import make_flows


# -- intervals ----------------------------------------------------------------------------------------
def test_wilson_matches_newcombe_1998_examples() -> None:
    # Newcombe (1998), Stat Med 17:857, Table I, method 3 (Wilson score).
    assert A.wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert A.wilson_interval(15, 148) == pytest.approx((0.0624, 0.1605), abs=5e-5)


def test_wilson_edges_by_hand() -> None:
    z2 = 1.959963984540054**2
    # k = 0: low is exactly 0, high = z²/(n+z²).
    assert A.wilson_interval(0, 10) == (0.0, pytest.approx(z2 / (10 + z2)))
    # k = n mirrors it.
    low, high = A.wilson_interval(10, 10)
    assert high == 1.0 and low == pytest.approx(10 / (10 + z2))
    assert all(math.isnan(v) for v in A.wilson_interval(0, 0))
    lo, hi = A.wilson_interval(np.array([1, 2]), np.array([2, 4]))
    assert lo[0] == pytest.approx(lo[1] + 0, abs=0.2) and hi.shape == (2,)


def test_newcombe_difference_matches_published_values() -> None:
    # Newcombe (1998), Stat Med 17:873, Table II, method 10.
    assert A.newcombe_interval(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert A.newcombe_interval(9, 10, 3, 10) == pytest.approx((0.1705, 0.8090), abs=5e-5)


def test_confidence_must_be_a_probability() -> None:
    with pytest.raises(InputError, match="confidence"):
        A.wilson_interval(1, 2, confidence=95)


# -- rates and counts ---------------------------------------------------------------------------------
def _four() -> "object":
    return make_flows([
        {"outcome": "approved", "group": "a", "decision_s": 1.0, "tokens_s": 1.5, "ack_s": 0.1},
        {"outcome": "approved", "group": "a", "decision_s": 2.0, "tokens_s": 2.5, "ack_s": 0.2},
        {"outcome": "denied", "group": "b", "decision_s": 3.0, "ack_s": 0.3, "error": "access_denied"},
        {"outcome": "expired", "group": "b", "ack_s": 0.4, "error": "expired_token", "polls": 5},
        {"outcome": "cancelled", "group": "b"},
        {"outcome": "incomplete", "group": "a"},
    ])


def test_approval_rate_counts_only_finished_flows() -> None:
    rate = A.approval_rate(_four())
    assert (rate.k, rate.n, rate.rate) == (2, 4, 0.5)
    assert rate.ci95 == pytest.approx(A.wilson_interval(2, 4))
    assert "2/4 = 50.0%" in repr(rate)


def test_approval_rate_by_group() -> None:
    t = A.approval_rate(_four(), by="group")
    assert t.loc["a", "flows"] == 2 and t.loc["a", "approved"] == 2 and t.loc["a", "rate"] == 1.0
    assert t.loc["b", "flows"] == 2 and t.loc["b", "approved"] == 0
    assert t.loc["b", "ci_low"] == 0.0
    assert t.loc["a", "ci_high"] == 1.0


def test_approval_rate_by_hour_is_derived_from_started_at() -> None:
    df = _four()
    df["started_at"] = df["started_at"] + np.array([0, 0, 3600, 3600, 0, 0]) * np.timedelta64(1, "s")
    t = A.approval_rate(df, by="hour")
    assert list(t["flows"]) == [2, 2] and list(t["approved"]) == [2, 0]


def test_outcome_and_error_counts() -> None:
    counts = A.outcome_counts(_four())
    assert dict(counts) == {"approved": 2, "denied": 1, "expired": 1, "error": 0, "cancelled": 1, "incomplete": 1}
    assert dict(A.error_counts(_four())) == {"access_denied": 1, "expired_token": 1}
    by = A.outcome_counts(_four(), by="group")
    assert by.loc["a", "approved"] == 2 and by.loc["b", "denied"] == 1


def test_unknown_column_is_an_input_error() -> None:
    with pytest.raises(InputError, match="by"):
        A.approval_rate(_four(), by="nope")


# -- latency ------------------------------------------------------------------------------------------
def test_latency_percentiles_by_hand() -> None:
    df = make_flows([{"outcome": "approved", "decision_s": v} for v in (1.0, 2.0, 3.0, 4.0)])
    t = A.latency(df, "decision", by="outcome")
    # Linear interpolation: p50 = 2.5, p90 = 3 + 0.7 = 3.7, p99 = 3 + 0.97 = 3.97.
    assert t.loc["approved", "n"] == 4
    assert t.loc["approved", "mean"] == 2.5
    assert t.loc["approved", ["p50", "p90", "p99"]].tolist() == pytest.approx([2.5, 3.7, 3.97])
    overall = A.latency(df, "decision", by=None, percentiles=(25,))
    assert overall["p25"].iloc[0] == pytest.approx(1.75)


def test_latency_drops_groups_without_the_metric() -> None:
    t = A.latency(_four(), "tokens", by="outcome")
    assert list(t.index) == ["approved"]
    assert t.loc["approved", "p50"] == 2.0
    with pytest.raises(InputError, match="metric"):
        A.latency(_four(), "bogus")


def test_decision_bounds_poll_and_ping() -> None:
    df = make_flows([
        {"outcome": "approved", "mode": "poll", "decision_s": 3.0, "decision_after_s": 2.0, "decision_before_s": 4.0},
        {"outcome": "approved", "mode": "ping", "decision_s": 2.5},
        {"outcome": "denied", "mode": "poll", "decision_s": 0.6, "decision_before_s": 1.1},
        {"outcome": "expired", "mode": "poll"},
    ])
    b = A.decision_bounds(df)
    assert b[["lower", "upper"]].values.tolist() == [[2.0, 4.0], [2.5, 2.5], [0.0, 1.1]]
    assert b["exact"].tolist() == [False, True, False]


def test_polls_per_flow_by_hand() -> None:
    p = A.polls_per_flow(make_flows([{"outcome": "approved", "polls": k} for k in (1, 2, 3, 10)]))
    assert p["mean"] == 4.0 and p["p50"] == 2.5 and p["max"] == 10 and p["flows"] == 4


# -- censoring-aware fit --------------------------------------------------------------------------------
def test_fit_with_exact_decisions_is_the_lognormal_mle() -> None:
    # With exact (ping) decisions the log-normal MLE is mean and (ddof=0) std of the logs.
    vals = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 13.0])
    df = make_flows([{"outcome": "approved", "mode": "ping", "decision_s": v} for v in vals])
    fit = A.decision_time_fit(df)
    logs = np.log(vals)
    assert fit.params["mu_"] == pytest.approx(logs.mean(), abs=1e-3)
    assert fit.params["sigma_"] == pytest.approx(logs.std(), abs=1e-3)
    assert fit.median_s == pytest.approx(math.exp(logs.mean()), rel=1e-3)
    assert fit.censored == 0 and fit.quantile(0.5) == pytest.approx(fit.median_s)
    assert float(fit.cdf(fit.median_s)) == pytest.approx(0.5)


def test_fit_recovers_a_censored_distribution(synthetic) -> None:  # type: ignore[no-untyped-def]
    flows, _ = synthetic
    fit = A.decision_time_fit(flows, by="persona")
    decided = flows[flows["outcome"].isin(["approved", "denied"])]
    true = decided["true_decision_s"].to_numpy()
    # The stratified fit's quantiles sit closer to the truth than the naive "when the poll saw it".
    for q in (0.25, 0.5, 0.75):
        t = np.quantile(true, q)
        naive = np.quantile(A.decision_bounds(decided)["seen"], q)
        assert abs(fit.quantile(q) - t) < abs(naive - t)
    assert fit.by == "persona" and set(fit.components) == {"prompt", "slow", "denier"}
    assert sum(fit.weights.values()) == pytest.approx(1.0)


def test_fit_subsample_and_bad_model(synthetic) -> None:  # type: ignore[no-untyped-def]
    flows, _ = synthetic
    fit = A.decision_time_fit(flows, max_flows=200, model="weibull")
    assert fit.subsampled and fit.n == 200 and fit.n_total > 200 and "rho_" in fit.params
    with pytest.raises(InputError, match="model"):
        A.decision_time_fit(flows, model="turnbull")
    with pytest.raises(InputError):
        A.decision_time_fit(make_flows([{"outcome": "expired"}]))


# -- variant comparison ---------------------------------------------------------------------------------
def test_compare_variants_by_hand() -> None:
    rows = [{"outcome": "approved", "variant": "A", "decision_s": v} for v in (1.0, 2.0, 3.0)]
    rows += [{"outcome": "denied", "variant": "B", "decision_s": v} for v in (4.0, 5.0, 6.0)]
    c = A.compare_variants(make_flows(rows))
    assert (c.a, c.b, c.diff) == ("A", "B", 1.0)
    # 3/3 vs 0/3: pooled p = 1/2, se = sqrt(1/4 * 2/3), z = 1/se = sqrt(6).
    assert c.z == pytest.approx(math.sqrt(6))
    assert c.p_z == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(math.sqrt(6) / math.sqrt(2)))))
    # Fisher: only the observed table and its mirror are as extreme: 2 / C(6,3) = 0.1.
    assert c.p_fisher == pytest.approx(0.1)
    # Complete separation: U = 0, exact two-sided p = 2 / C(6,3); KS D = 1, same p.
    assert c.mannwhitney_u == 0 and c.p_mannwhitney == pytest.approx(0.1)
    assert c.ks_d == 1.0 and c.p_ks == pytest.approx(0.1)
    assert (c.a_median_s, c.b_median_s) == (2.0, 5.0)
    assert c.diff_ci95 == pytest.approx(A.newcombe_interval(3, 3, 0, 3))


def test_compare_variants_z_matches_hand_computation() -> None:
    rows = [{"outcome": "approved" if i < 56 else "denied", "variant": "x"} for i in range(70)]
    rows += [{"outcome": "approved" if i < 48 else "denied", "variant": "y"} for i in range(80)]
    c = A.compare_variants(make_flows(rows), a="x", b="y")
    pooled = 104 / 150
    z = 0.2 / math.sqrt(pooled * (1 - pooled) * (1 / 70 + 1 / 80))
    assert c.z == pytest.approx(z) and z == pytest.approx(2.6502, abs=1e-4)
    assert c.diff_ci95 == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert math.isnan(c.p_mannwhitney)  # no latencies given
    assert list(c.table().index) == ["x", "y"]
    with pytest.raises(InputError):
        A.compare_variants(make_flows(rows), a="x", b="zzz")


# -- summary --------------------------------------------------------------------------------------------
def test_summary_has_the_report_fields(synthetic) -> None:  # type: ignore[no-untyped-def]
    flows, _ = synthetic
    s = A.summary(flows)
    assert s["flows"] == 3000 and sum(s["counts"].values()) == 3000
    rate = A.approval_rate(flows)
    assert s["approval_rate"] == rate.rate and s["approval_rate_ci95"] == list(rate.ci95)
    assert set(s["latency_s"]) == {"ack", "decision", "tokens"}
    assert set(s["latency_s"]["decision"]["approved"]) == {"n", "p50", "p90", "p99"}
    assert s["polls_per_flow"]["mean"] > 1
    assert s["decision_time_fit"]["model"] == "lognormal"
