"""The dashboard widget: controls redraw the chart; filters narrow the flows (no browser needed)."""

from __future__ import annotations

import pytest

from ciba_kit.protocol.errors import InputError
from ciba_kit.widgets.dashboard import Dashboard


def test_controls_redraw(synthetic) -> None:  # type: ignore[no-untyped-def]
    flows, _ = synthetic
    dash = Dashboard(flows)
    first = bytes(dash.image.value)
    assert first.startswith(b"\x89PNG") and dash.redraws == 1
    assert dash.describe().startswith("latency CDF of decision by outcome; filter (all); 3000 flows")
    dash.group_by.value = "mode"
    assert dash.redraws == 2 and bytes(dash.image.value) != first
    assert dash.figure().axes[0].get_legend().get_texts()[0].get_text().startswith("ping")
    dash.chart.value = "outcome shares"
    assert dash.figure().axes[0].get_ylabel() == "mode"


def test_filter_narrows_the_flows(synthetic) -> None:  # type: ignore[no-untyped-def]
    flows, _ = synthetic
    dash = Dashboard(flows, chart="outcome shares", group_by="persona")
    dash.filter_column.value = "mode"
    assert dash.filter_value.options == ("(all)", "ping", "poll") and dash.redraws == 2
    dash.filter_value.value = "ping"
    n_ping = int((flows["mode"] == "ping").sum())
    assert len(dash.selected()) == n_ping and f"filter mode=ping; {n_ping} flows" in dash.describe()
    assert "Dashboard(3000 flows" in repr(dash)
    bundle = dash._repr_mimebundle_()
    assert bundle["text/plain"] == repr(dash) and "application/vnd.jupyter.widget-view+json" in bundle


def test_bad_choice_is_an_input_error(synthetic) -> None:  # type: ignore[no-untyped-def]
    flows, _ = synthetic
    with pytest.raises(InputError, match="group_by"):
        Dashboard(flows, group_by="nope")
