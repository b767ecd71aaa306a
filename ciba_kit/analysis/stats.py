"""Statistics over run-log flows (the DataFrames of :func:`ciba_kit.runs.load_flows`).

Definitions used throughout:

- A flow is **finished** when its outcome is approved, denied, expired or error; ``cancelled``
  and ``incomplete`` flows (interrupted or killed runs) are left out of rates and latencies.
- **Approval rate** = approved / finished, with a Wilson score interval.
- Latency metrics, in clock seconds since the flow started on the client:
  ``ack`` (acknowledgement received), ``decision`` (the client learnt the user's decision),
  ``tokens`` (tokens received; approved flows only).
- In **poll** mode the user decided somewhere between the last ``authorization_pending`` poll
  and the poll that saw the decision (``decision_after_s`` .. ``decision_before_s``). The measured
  ``decision_s`` is therefore biased late by up to one interval. :func:`decision_time_fit` fits a
  distribution to those intervals with lifelines' interval-censoring likelihood; ping and push
  decisions enter as exact observations.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ciba_kit.protocol.errors import InputError

__all__ = [
    "FINISHED",
    "METRICS",
    "Proportion",
    "wilson_interval",
    "newcombe_interval",
    "finished",
    "approval_rate",
    "outcome_counts",
    "error_counts",
    "latency",
    "decision_bounds",
    "DecisionTimeFit",
    "decision_time_fit",
    "VariantComparison",
    "compare_variants",
    "polls_per_flow",
    "summary",
]

FINISHED = ("approved", "denied", "expired", "error")
#: metric name -> flow column.
METRICS = {"ack": "ack_s", "decision": "decision_s", "tokens": "tokens_s", "total": "tokens_s"}


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise InputError("confidence", f"must lie strictly between 0 and 1, got {confidence!r}", "e.g. 0.95")
    return float(sps.norm.ppf(0.5 + confidence / 2))


def wilson_interval(k: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """Wilson score interval for k successes out of n (vectorised; NaN where n == 0).

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``.
    """
    z = _z(confidence)
    k_arr = np.asarray(k, dtype="float64")
    n_arr = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k_arr / n_arr
        denom = 1 + z * z / n_arr
        centre = (p + z * z / (2 * n_arr)) / denom
        half = z * np.sqrt(p * (1 - p) / n_arr + z * z / (4 * n_arr * n_arr)) / denom
        # At k = 0 (k = n) the bound is exactly 0 (1); pin it against rounding error.
        low = np.where(n_arr > 0, np.where(k_arr <= 0, 0.0, np.clip(centre - half, 0.0, 1.0)), np.nan)
        high = np.where(n_arr > 0, np.where(k_arr >= n_arr, 1.0, np.clip(centre + half, 0.0, 1.0)), np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def newcombe_interval(k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10) for p1 - p2, built from two Wilson intervals."""
    if n1 <= 0 or n2 <= 0:
        return math.nan, math.nan
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, confidence)
    l2, u2 = wilson_interval(k2, n2, confidence)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


@dataclass(frozen=True)
class Proportion:
    """A rate with its interval: ``k`` of ``n`` (``rate`` = k/n, ``ci95`` = Wilson interval)."""

    k: int
    n: int
    rate: float
    ci_low: float
    ci_high: float
    confidence: float = 0.95

    @property
    def ci95(self) -> tuple[float, float]:
        """The interval as a pair."""
        return (self.ci_low, self.ci_high)

    def __repr__(self) -> str:
        pct = int(round(self.confidence * 100))
        return f"{self.k}/{self.n} = {self.rate:.1%} ({pct}% CI {self.ci_low:.1%} – {self.ci_high:.1%})"


def _need(df: pd.DataFrame, *cols: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError("df", f"missing column(s) {missing}", "pass the DataFrame of ck.load_flows(db)")


def _keys(by: str | Sequence[str] | None) -> list[str]:
    return [] if by is None else ([by] if isinstance(by, str) else list(by))


def finished(df: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The flows that ran to an end (approved, denied, expired, error).

    Args:
        columns: keep only these columns (plus ``outcome``; ``started_at`` for a derived
            ``hour``): on a million-flow frame, copying only what a statistic needs is most of
            its cost.
    """
    _need(df, "outcome")
    mask = df["outcome"].isin(FINISHED).to_numpy()  # categorical isin works on codes: fast
    if columns is None:
        return df[mask]
    cols = list(dict.fromkeys(["outcome", *columns]))
    if "hour" in cols and "hour" not in df.columns:
        cols = [c for c in cols if c != "hour"] + ["started_at"]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError("by", f"no column(s) {missing}", f"use columns of ck.load_flows(db): {list(df.columns)} or 'hour'")
    return df.loc[mask, list(dict.fromkeys(cols))]


def _with_by(df: pd.DataFrame, by: str | Sequence[str] | None) -> tuple[pd.DataFrame, list[str]]:
    if by is None:
        return df, []
    keys = [by] if isinstance(by, str) else list(by)
    out = df
    for key in keys:
        if key in df.columns:
            continue
        if key == "hour":
            # Derived: the UTC hour the flow started in.
            out = out.assign(hour=out["started_at"].dt.floor("h"))
        else:
            raise InputError("by", f"no column {key!r}", f"use one of {list(df.columns)} or 'hour'")
    return out, keys


def approval_rate(
    df: pd.DataFrame, by: str | Sequence[str] | None = None, *, confidence: float = 0.95
) -> Proportion | pd.DataFrame:
    """Approval rate of finished flows with its Wilson interval, overall or per group.

    Args:
        df: flows from :func:`~ciba_kit.runs.load_flows`.
        by: a column (``client``, ``group``, ``persona``, ``mode``, ``variant``, ``hour``, ...)
            or several; None for the overall rate.
        confidence: interval level.

    Returns:
        A :class:`Proportion` when ``by`` is None, else a DataFrame indexed by the groups with
        columns ``flows, approved, rate, ci_low, ci_high``.
    """
    fin = finished(df, _keys(by))
    approved = (fin["outcome"] == "approved").to_numpy()
    if by is None:
        k, n = int(approved.sum()), int(len(fin))
        low, high = wilson_interval(k, n, confidence)
        return Proportion(k, n, k / n if n else math.nan, low, high, confidence)
    fin, keys = _with_by(fin, by)
    # Keep the keys' own dtypes: grouping categoricals works on their integer codes.
    frame = pd.DataFrame({**{key: fin[key].reset_index(drop=True) for key in keys}, "approved": approved})
    grouped = frame.groupby(keys, observed=True, sort=True)["approved"]
    out = pd.DataFrame({"flows": grouped.size(), "approved": grouped.sum().astype("int64")})
    out["rate"] = out["approved"] / out["flows"]
    out["ci_low"], out["ci_high"] = wilson_interval(out["approved"].to_numpy(), out["flows"].to_numpy(), confidence)
    return out


def outcome_counts(df: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.Series | pd.DataFrame:
    """Flows per outcome (every outcome listed, zeros included); per group as columns when ``by``."""
    _need(df, "outcome")
    if by is None:
        return df["outcome"].value_counts(sort=False).rename("flows")
    df2, keys = _with_by(df, by)
    return df2.groupby(keys, observed=True)["outcome"].value_counts(sort=False).unstack("outcome", fill_value=0)


def error_counts(df: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.Series | pd.DataFrame:
    """Flows per error code (flows with an error only), most frequent first."""
    _need(df, "error")
    errs = df[df["error"].notna()]
    if by is None:
        return errs["error"].astype(str).value_counts().rename("flows").rename_axis("error")
    errs, keys = _with_by(errs, by)
    return errs.groupby(keys, observed=True)["error"].value_counts().rename("flows")


def _column(metric: str) -> str:
    if metric in METRICS:
        return METRICS[metric]
    if metric.endswith("_s"):
        return metric
    raise InputError("metric", f"unknown latency metric {metric!r}", f"use one of {sorted(METRICS)}")


def latency(
    df: pd.DataFrame,
    metric: str = "decision",
    by: str | Sequence[str] | None = "outcome",
    *,
    percentiles: Sequence[float] = (50, 90, 99),
) -> pd.DataFrame:
    """Latency percentiles (clock seconds) of finished flows, per group.

    Args:
        metric: ``ack``, ``decision`` or ``tokens`` (or a ``*_s`` column).
        by: grouping column(s); None for one row over all flows.
        percentiles: which percentiles (0-100); columns are named ``p50``, ``p90``, ...

    Returns:
        DataFrame with ``n``, ``mean`` and one column per percentile. Groups with no value for the
        metric (e.g. tokens for denied flows) are dropped.
    """
    col = _column(metric)
    fin = finished(df, [col, *_keys(by)])
    fin = fin[fin[col].notna().to_numpy()]
    qs = [p / 100 for p in percentiles]
    names = [f"p{p:g}" for p in percentiles]
    if by is None:
        vals = fin[col].to_numpy(dtype="float64")
        row = {"n": len(vals), "mean": vals.mean() if len(vals) else math.nan}
        row.update({n: (np.quantile(vals, q) if len(vals) else math.nan) for n, q in zip(names, qs)})
        return pd.DataFrame([row], index=pd.Index(["all"], name=metric))
    fin, keys = _with_by(fin, by)
    if len(keys) == 1 and isinstance(fin[keys[0]].dtype, pd.CategoricalDtype):
        return _latency_by_codes(fin, keys[0], col, qs, names)
    g = fin.groupby(keys, observed=True)[col]
    out = pd.DataFrame({"n": g.size(), "mean": g.mean()})
    q = g.quantile(qs).unstack(-1)
    q.columns = names
    return out.join(q)


def _latency_by_codes(fin: pd.DataFrame, key: str, col: str, qs: list[float], names: list[str]) -> pd.DataFrame:
    # One stable sort by category code, then numpy quantiles per slice: several times faster than
    # pandas' groupby-quantile on a million flows, same numbers (linear interpolation).
    cat = fin[key]
    codes = cat.cat.codes.to_numpy()
    vals = fin[col].to_numpy(dtype="float64")
    keep = codes >= 0
    codes, vals = codes[keep], vals[keep]
    order = np.argsort(codes, kind="stable")
    sc, sv = codes[order], vals[order]
    bounds = np.searchsorted(sc, np.arange(len(cat.cat.categories) + 1))
    rows, index = [], []
    for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        if hi > lo:
            part = sv[lo:hi]
            rows.append([hi - lo, part.mean(), *np.quantile(part, qs)])
            index.append(cat.cat.categories[k])
    out = pd.DataFrame(rows, columns=["n", "mean", *names],
                       index=pd.CategoricalIndex(index, categories=cat.cat.categories, name=key))
    out["n"] = out["n"].astype("int64")
    return out


def decision_bounds(df: pd.DataFrame) -> pd.DataFrame:
    """Per decided flow, the interval the user's decision lies in (clock seconds since start).

    Poll mode: ``[decision_after_s, decision_before_s]`` (``lower`` 0 when the first poll saw it).
    Ping / push: ``lower == upper == decision_s`` (exact). Flows without a decision are dropped.

    Returns:
        DataFrame (index as ``df``) with ``lower``, ``upper``, ``exact``, ``measured`` (the client's
        ``decision_s``) and ``seen`` (when the client learnt the decision: the poll that saw it, or
        the notification), plus ``mode``/``outcome``/``group``/... when present.
    """
    extras = [c for c in ("mode", "group", "persona", "variant", "client") if c in df.columns]
    fin = finished(df, ["decision_s", *[c for c in ("decision_after_s", "decision_before_s") if c in df.columns], *extras])
    dec = fin["decision_s"].to_numpy(dtype="float64")
    after = fin["decision_after_s"].to_numpy(dtype="float64") if "decision_after_s" in fin else np.full(len(fin), np.nan)
    before = fin["decision_before_s"].to_numpy(dtype="float64") if "decision_before_s" in fin else np.full(len(fin), np.nan)
    has_bounds = ~np.isnan(before)
    upper = np.where(has_bounds, before, dec)
    lower = np.where(has_bounds, np.where(np.isnan(after), 0.0, after), dec)
    out = pd.DataFrame({"lower": lower, "upper": upper, "exact": ~has_bounds, "measured": dec, "seen": upper},
                       index=fin.index)
    for extra in ("mode", "outcome", "group", "persona", "variant", "client"):
        if extra in fin:
            out[extra] = fin[extra]
    return out[~np.isnan(out["upper"].to_numpy())]


@dataclass
class DecisionTimeFit:
    """A censoring-aware estimate of the time-to-decision distribution.

    Attributes:
        model: ``lognormal`` or ``weibull``.
        n: flows the fit used; ``n_total`` flows were available (``subsampled`` if fewer used).
        censored: flows whose decision was only bracketed (poll mode); the rest were exact.
        params: fitted parameters (lognormal ``mu_``, ``sigma_``; weibull ``lambda_``, ``rho_``).
        median_s: the fitted median decision time.
        naive_median_s: median of when the client *saw* the decision (the poll that saw it, or
            the notification): what a report that ignores censoring would call the decision time.
        by: the stratifying column when the fit is a mixture of per-group fits (``components``,
            mixed with ``weights`` = each group's share of decided flows).
        fitter: the lifelines fitter (None for a mixture: see ``components``).
    """

    model: str
    n: int
    n_total: int
    censored: int
    params: dict[str, float]
    median_s: float
    naive_median_s: float
    subsampled: bool = False
    by: str | None = None
    components: dict[str, "DecisionTimeFit"] = field(default_factory=dict, repr=False)
    weights: dict[str, float] = field(default_factory=dict, repr=False)
    fitter: Any = field(default=None, repr=False)

    def cdf(self, t: Any) -> np.ndarray:
        """Fitted P(decision time <= t)."""
        ta = np.asarray(t, dtype="float64")
        if self.components:
            return sum(w * self.components[k].cdf(ta) for k, w in self.weights.items())  # type: ignore[return-value]
        if self.model == "lognormal":
            with np.errstate(divide="ignore"):
                return sps.norm.cdf((np.log(np.clip(ta, 0, None)) - self.params["mu_"]) / self.params["sigma_"])
        return 1 - np.exp(-((np.clip(ta, 0, None) / self.params["lambda_"]) ** self.params["rho_"]))

    def quantile(self, q: float | Sequence[float]) -> np.ndarray | float:
        """Fitted quantiles of the decision time (q in 0..1)."""
        qa = np.atleast_1d(np.asarray(q, dtype="float64"))
        if self.components:
            # No closed form: invert the CDF on a fine grid (monotone, so interpolation is exact enough).
            hi = 1.0
            while float(np.max(self.cdf(hi))) < max(0.999, float(qa.max())) and hi < 1e7:
                hi *= 2
            grid = np.linspace(0.0, hi, 20_001)
            vals = np.interp(qa, np.maximum.accumulate(self.cdf(grid)), grid)
        elif self.model == "lognormal":
            vals = np.exp(self.params["mu_"] + self.params["sigma_"] * sps.norm.ppf(qa))
        else:
            vals = self.params["lambda_"] * (-np.log1p(-qa)) ** (1 / self.params["rho_"])
        return float(vals[0]) if np.ndim(q) == 0 else vals

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (no fitter)."""
        return {
            "model": self.model,
            "by": self.by,
            "n": self.n,
            "n_total": self.n_total,
            "censored": self.censored,
            "subsampled": self.subsampled,
            "params": self.params,
            "median_s": self.median_s,
            "p90_s": float(self.quantile(0.9)),
            "naive_median_s": self.naive_median_s,
            "components": {k: c.to_dict() for k, c in self.components.items()},
            "weights": self.weights,
        }


def _fit_one(b: pd.DataFrame, model: str, n_total: int, subsampled: bool) -> DecisionTimeFit:
    from lifelines import LogNormalFitter, WeibullFitter

    fitters = {"lognormal": LogNormalFitter, "weibull": WeibullFitter}
    # A zero lower bound is fine (left-censored); a zero upper bound is not for log-scale models.
    eps = 1e-6
    upper = np.clip(b["upper"].to_numpy(dtype="float64"), eps, None)
    lower = np.minimum(np.clip(b["lower"].to_numpy(dtype="float64"), 0.0, None), upper)
    fitter = fitters[model]()
    kwargs: dict[str, Any] = {}
    if model == "lognormal":
        # Start the optimiser at the interval midpoints' log-moments: same optimum, fewer steps.
        mid = np.log(np.clip((lower + upper) / 2, eps, None))
        kwargs["initial_point"] = np.array([mid.mean(), max(float(mid.std()), 0.05)])
    with warnings.catch_warnings():
        # lifelines may warn about convergence details; the fitted parameters are still reported.
        warnings.simplefilter("ignore")
        fitter.fit_interval_censoring(lower, upper, **kwargs)
    params = {k: float(v) for k, v in fitter.params_.items()}
    fit = DecisionTimeFit(
        model=model, n=len(b), n_total=n_total, censored=int((~b["exact"]).sum()), params=params,
        median_s=math.nan, naive_median_s=float(np.median(b["seen"].to_numpy(dtype="float64"))),
        subsampled=subsampled, fitter=fitter,
    )
    fit.median_s = float(fit.quantile(0.5))
    return fit


def decision_time_fit(
    df: pd.DataFrame,
    *,
    model: str = "lognormal",
    by: str | None = None,
    max_flows: int | None = 20_000,
    seed: int = 0,
) -> DecisionTimeFit:
    """Fit the time-to-decision distribution, honouring poll-mode interval censoring.

    Uses lifelines' ``LogNormalFitter`` / ``WeibullFitter`` ``fit_interval_censoring``: a poll-mode
    flow contributes ``F(upper) - F(lower)`` to the likelihood, an exact (ping/push) decision its
    density. (The Turnbull NPMLE, ``KaplanMeierFitter.fit_interval_censoring``, is not offered:
    it cannot place mass inside intervals that every flow shares, i.e. it reproduces the poll
    grid, and its EM is far too slow on thousands of distinct bounds.)

    Args:
        df: flows; only flows with a decision (approved or denied) are used.
        model: ``lognormal`` (default; the simulator's personas answer log-normally) or ``weibull``.
        by: fit each group of this column (e.g. ``persona``, ``group``) separately and mix the
            fits by group share: a population of fast and slow responders is not one log-normal.
        max_flows: fit a seeded random subsample of at most this many flows (the fit is the
            slow step on a million-flow log); None for all.
        seed: subsample seed.
    """
    if model not in ("lognormal", "weibull"):
        raise InputError("model", f"unknown model {model!r}", "use 'lognormal' or 'weibull'")
    b = decision_bounds(df)
    if "outcome" in b:
        b = b[b["outcome"].isin(("approved", "denied")).to_numpy()]
    n_total = len(b)
    if n_total < 2:
        raise InputError("df", f"needs at least 2 decided flows, got {n_total}", "run a longer campaign")
    subsampled = max_flows is not None and n_total > max_flows
    if subsampled:
        b = b.sample(n=max_flows, random_state=seed)
    if by is None:
        return _fit_one(b, model, n_total, bool(subsampled))
    if by not in b.columns:
        raise InputError("by", f"no column {by!r} among the decided flows", "use e.g. 'persona' or 'group'")
    parts = {str(k): part for k, part in b.groupby(b[by].astype(str), observed=True) if len(part) >= 2}
    if not parts:
        raise InputError("by", f"no group of {by!r} has 2 decided flows", "fit without by=")
    used = sum(len(p) for p in parts.values())
    comps = {k: _fit_one(p, model, len(p), bool(subsampled)) for k, p in parts.items()}
    fit = DecisionTimeFit(
        model=model, n=used, n_total=n_total, censored=sum(c.censored for c in comps.values()), params={},
        median_s=math.nan, naive_median_s=float(np.median(b["seen"].to_numpy(dtype="float64"))),
        subsampled=bool(subsampled), by=by, components=comps,
        weights={k: len(p) / used for k, p in parts.items()},
    )
    fit.median_s = float(fit.quantile(0.5))
    return fit


@dataclass
class VariantComparison:
    """Two variants compared: approval rates and decision-latency distributions.

    ``diff`` is rate_a - rate_b with the Newcombe hybrid score interval; ``p_z`` is the
    two-proportion z test (pooled), ``p_fisher`` Fisher's exact test; the latency tests are
    Mann-Whitney U (two-sided) and two-sample Kolmogorov-Smirnov on the measured ``metric``.
    """

    column: str
    a: str
    b: str
    a_rate: Proportion
    b_rate: Proportion
    diff: float
    diff_ci95: tuple[float, float]
    z: float
    p_z: float
    p_fisher: float
    metric: str
    a_median_s: float
    b_median_s: float
    mannwhitney_u: float
    p_mannwhitney: float
    ks_d: float
    p_ks: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        d = asdict(self)
        d["a_rate"] = asdict(self.a_rate)
        d["b_rate"] = asdict(self.b_rate)
        return d

    def table(self, digits: int = 3) -> pd.DataFrame:
        """A small table, rounded for display."""
        rows = {
            "flows": [self.a_rate.n, self.b_rate.n],
            "approved": [self.a_rate.k, self.b_rate.k],
            "approval rate": [round(self.a_rate.rate, digits), round(self.b_rate.rate, digits)],
            "ci95 low": [round(self.a_rate.ci_low, digits), round(self.b_rate.ci_low, digits)],
            "ci95 high": [round(self.a_rate.ci_high, digits), round(self.b_rate.ci_high, digits)],
            f"median {self.metric} (s)": [round(self.a_median_s, 1), round(self.b_median_s, 1)],
        }
        return pd.DataFrame(rows, index=pd.Index([self.a, self.b], name=self.column))

    def approval_summary(self) -> str:
        """The approval-rate half only, rounded: one line that depends on outcome counts alone."""
        lo, hi = self.diff_ci95
        return (
            f"{self.column} {self.a!r} vs {self.b!r}: approval {self.a_rate.k}/{self.a_rate.n} = {self.a_rate.rate:.1%} "
            f"vs {self.b_rate.k}/{self.b_rate.n} = {self.b_rate.rate:.1%}; difference {self.diff:+.1%} "
            f"(95% Newcombe CI {lo:+.1%} to {hi:+.1%}); two-proportion z = {self.z:.2f}, p = {self.p_z:.2g}; "
            f"Fisher exact p = {self.p_fisher:.2g}"
        )

    def __repr__(self) -> str:
        lo, hi = self.diff_ci95
        return (
            f"VariantComparison({self.column}: {self.a!r} vs {self.b!r}; approval {self.a_rate.rate:.1%} vs "
            f"{self.b_rate.rate:.1%}, diff {self.diff:+.1%} (95% CI {lo:+.1%} to {hi:+.1%}), "
            f"z p={self.p_z:.3g}, Fisher p={self.p_fisher:.3g}; {self.metric} median {self.a_median_s:.2f} s vs "
            f"{self.b_median_s:.2f} s, Mann-Whitney p={self.p_mannwhitney:.3g}, KS p={self.p_ks:.3g})"
        )


def compare_variants(
    df: pd.DataFrame,
    column: str = "variant",
    a: str | None = None,
    b: str | None = None,
    *,
    metric: str = "decision",
    confidence: float = 0.95,
) -> VariantComparison:
    """Compare two groups of ``column`` (two prompt wordings, two clients, two modes...).

    Args:
        column: the column that tells variants apart.
        a, b: the two values; the first two values in sorted order when omitted.
        metric: latency metric for the distribution tests (``decision``, ``ack``, ``tokens``).
    """
    mcol = _column(metric)
    fin, _ = _with_by(finished(df, [column, mcol]), column)
    values = sorted(str(v) for v in fin[column].dropna().unique())
    if a is None or b is None:
        if len(values) < 2:
            raise InputError(column, f"needs two values to compare, found {values}", "pass a= and b=")
        a, b = (values[0] if a is None else a), (values[1] if b is None else b)
    for v in (a, b):
        if v not in values:
            raise InputError(column, f"no finished flows with value {v!r}", f"use one of {values}")
    keys = fin[column]
    approved = (fin["outcome"] == "approved").to_numpy()
    if isinstance(keys.dtype, pd.CategoricalDtype):
        # Compare category codes, not a million strings.
        cats = [str(c) for c in keys.cat.categories]
        codes = keys.cat.codes.to_numpy()
        ma, mb = codes == cats.index(a), codes == cats.index(b)
    else:
        col = np.asarray(keys.astype(str))
        ma, mb = col == a, col == b
    ka, na = int(approved[ma].sum()), int(ma.sum())
    kb, nb = int(approved[mb].sum()), int(mb.sum())
    pa = Proportion(ka, na, ka / na, *wilson_interval(ka, na, confidence), confidence)
    pb = Proportion(kb, nb, kb / nb, *wilson_interval(kb, nb, confidence), confidence)
    pooled = (ka + kb) / (na + nb)
    se = math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
    z = (pa.rate - pb.rate) / se if se > 0 else 0.0
    p_z = float(2 * sps.norm.sf(abs(z)))
    p_fisher = float(sps.fisher_exact([[ka, na - ka], [kb, nb - kb]]).pvalue)
    la = fin.loc[ma, mcol].dropna().to_numpy(dtype="float64")
    lb = fin.loc[mb, mcol].dropna().to_numpy(dtype="float64")
    if len(la) and len(lb):
        mw = sps.mannwhitneyu(la, lb, alternative="two-sided")
        with warnings.catch_warnings():
            # scipy falls back from the exact to the asymptotic p-value on large samples, with a warning.
            warnings.simplefilter("ignore", RuntimeWarning)
            ks = sps.ks_2samp(la, lb)
        u, p_mw, d, p_ks = float(mw.statistic), float(mw.pvalue), float(ks.statistic), float(ks.pvalue)
    else:
        u = p_mw = d = p_ks = math.nan
    return VariantComparison(
        column=column, a=a, b=b, a_rate=pa, b_rate=pb, diff=pa.rate - pb.rate,
        diff_ci95=newcombe_interval(ka, na, kb, nb, confidence), z=float(z), p_z=p_z, p_fisher=p_fisher,
        metric=metric, a_median_s=float(np.median(la)) if len(la) else math.nan,
        b_median_s=float(np.median(lb)) if len(lb) else math.nan,
        mannwhitney_u=u, p_mannwhitney=p_mw, ks_d=d, p_ks=p_ks,
    )


def polls_per_flow(df: pd.DataFrame) -> dict[str, float]:
    """Token polls per finished flow: mean, p50, p90, max, and flows that hit a ``slow_down``."""
    fin = finished(df, ["polls", *(["slow_downs"] if "slow_downs" in df.columns else [])])
    polls = fin["polls"].dropna().to_numpy(dtype="float64")
    slow = fin["slow_downs"].dropna().to_numpy(dtype="float64") if "slow_downs" in fin else np.array([])
    if not len(polls):
        return {"flows": 0, "mean": math.nan, "p50": math.nan, "p90": math.nan, "max": math.nan, "slow_down_flows": 0}
    return {
        "flows": int(len(polls)),
        "mean": float(polls.mean()),
        "p50": float(np.quantile(polls, 0.5)),
        "p90": float(np.quantile(polls, 0.9)),
        "max": float(polls.max()),
        "slow_down_flows": int((slow > 0).sum()),
    }


def _clean(value: Any) -> Any:
    """JSON-safe: NaN -> None, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if math.isnan(f) else f
    return value


def summary(
    df: pd.DataFrame,
    *,
    percentiles: Iterable[float] = (50, 90, 99),
    fit: bool = True,
    fit_max_flows: int | None = 20_000,
) -> dict[str, Any]:
    """Everything ``ciba-kit report`` writes to ``summary.json``, as a JSON-safe dict.

    Keys: ``flows``, ``finished``, ``counts`` (by outcome), ``errors`` (by code), ``approval_rate``,
    ``approval_rate_ci95`` ([low, high]), ``latency_s`` (metric -> outcome -> n/p50/p90/p99),
    ``polls_per_flow``, ``decision_time_fit`` (censoring-aware, when there are decisions).
    """
    pcts = tuple(percentiles)
    rate = approval_rate(df)
    assert isinstance(rate, Proportion)
    lat: dict[str, Any] = {}
    for metric in ("ack", "decision", "tokens"):
        table = latency(df, metric, by="outcome", percentiles=pcts)
        lat[metric] = {
            str(idx): {k: row[k] for k in ["n", *[f"p{p:g}" for p in pcts]]} for idx, row in table.iterrows()
        }
    out: dict[str, Any] = {
        "flows": int(len(df)),
        "finished": rate.n,
        "counts": {str(k): int(v) for k, v in outcome_counts(df).items()},
        "errors": {str(k): int(v) for k, v in error_counts(df).items()},
        "approval_rate": rate.rate,
        "approval_rate_ci95": [rate.ci_low, rate.ci_high],
        "latency_s": lat,
        "polls_per_flow": polls_per_flow(df),
    }
    if fit:
        try:
            out["decision_time_fit"] = decision_time_fit(df, max_flows=fit_max_flows).to_dict()
        except InputError:
            out["decision_time_fit"] = None
    return _clean(out)
