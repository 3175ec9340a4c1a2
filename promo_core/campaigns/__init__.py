"""Campaigns: the loop from a plan to a measured result and back into the next plan.

* :mod:`.holdout` — a seeded, stratified holdout group in every target list, and what those group
  sizes can measure (minimum detectable lift) and cost (profit given up);
* :mod:`.readout` — after the campaign, treatment against holdout per segment and in total through
  the A/B engine, beside the plan's forecast; the result as a JSON-safe :class:`CampaignReadout`
  and as A/B evidence for the planner's next forecast (:func:`readout_evidence`).
"""

from .holdout import (
    DEFAULT_SEED,
    DEFAULT_SHARE,
    MAX_SHARE,
    MIN_GROUP,
    assign_holdout,
    campaign_targets,
    held_out_count,
    holdout_summary,
    min_detectable_lift,
    plan_counts,
)
from .readout import (
    CampaignReadout,
    SegmentReadout,
    campaign_readout,
    forecast_from_json,
    outcomes_from_events,
    outcomes_from_file,
    read_targets,
    readout_evidence,
)

__all__ = ["DEFAULT_SEED", "DEFAULT_SHARE", "MAX_SHARE", "MIN_GROUP", "CampaignReadout", "SegmentReadout",
           "assign_holdout", "campaign_readout", "campaign_targets", "forecast_from_json", "held_out_count",
           "holdout_summary", "min_detectable_lift", "outcomes_from_events", "outcomes_from_file", "plan_counts",
           "read_targets", "readout_evidence"]
