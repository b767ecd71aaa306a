"""Fixtures for the analysis tests: hand-made flow tables and a small synthetic run log."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ciba_kit.runs import OUTCOME_ORDER, RunLog, load_events, load_flows  # noqa: E402
from ciba_kit.runs.synthetic import synthesize  # noqa: E402


def make_flows(rows: list[dict]) -> pd.DataFrame:
    """A flows DataFrame shaped like ``load_flows`` from a few hand-written rows."""
    base = {
        "run_id": 1, "group": "g", "client": "demo-poll", "mode": "poll", "variant": None, "error": None,
        "ack_s": np.nan, "decision_s": np.nan, "decision_after_s": np.nan, "decision_before_s": np.nan,
        "tokens_s": np.nan, "polls": 1, "slow_downs": 0, "persona": None, "user": "u",
    }
    df = pd.DataFrame([{**base, "seq": i, "flow_id": i + 1, **r} for i, r in enumerate(rows)])
    df["outcome"] = pd.Categorical(df["outcome"], categories=OUTCOME_ORDER)
    if "started_at" not in df:
        df["started_at"] = pd.to_datetime(1_767_225_600 + np.arange(len(df)) * 60.0, unit="s", utc=True)
    for col in ("mode", "client", "group", "variant"):
        df[col] = pd.Categorical(df[col])
    df["polls"] = df["polls"].astype("Int64")
    df["slow_downs"] = df["slow_downs"].astype("Int64")
    return df


@pytest.fixture(scope="session")
def synthetic_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-flow synthetic run log (seeded)."""
    path = tmp_path_factory.mktemp("synth") / "runs.db"
    synthesize(path, 3_000, seed=5).close()
    return path


@pytest.fixture(scope="session")
def synthetic(synthetic_db: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(flows, events) of the synthetic log."""
    with RunLog(synthetic_db) as log:
        return load_flows(log), load_events(log)
