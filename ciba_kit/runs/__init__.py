"""Campaigns and the durable run log.

``run_campaign`` sends many CIBA flows over a :class:`Population`; every flow lands in a
:class:`RunLog` (SQLite) as it ends; ``load_flows`` / ``load_events`` turn a log into pandas.
"""

from __future__ import annotations

from .campaign import Campaign, CampaignProgress, attach_truth, flow_record, run_campaign
from .notify import start_receiver
from .load import FLOW_COLUMNS, OUTCOME_ORDER, export_flows, load_events, load_flows, load_runs
from .population import DEFAULT_MIX, PERSONAS, Member, PersonaSpec, Population
from .store import FlowRecord, RunInfo, RunLog
from .synthetic import synthesize

__all__ = [
    "run_campaign",
    "Campaign",
    "CampaignProgress",
    "attach_truth",
    "flow_record",
    "Population",
    "PersonaSpec",
    "Member",
    "PERSONAS",
    "DEFAULT_MIX",
    "RunLog",
    "synthesize",
    "RunInfo",
    "FlowRecord",
    "load_flows",
    "load_events",
    "load_runs",
    "export_flows",
    "FLOW_COLUMNS",
    "OUTCOME_ORDER",
    "start_receiver",
]
