"""Key users' test scenarios: stories across integrations, played step by step through the kinds.

``story`` reads ``scenarios/*.yaml`` and checks each step against its contract's kind (file:line
errors), ``player`` plays them against the targets or the mocks, ``answers`` reads the values a
step saves for the next. ``intcheck scenario run`` writes the standard report (kind
``scenario``); a scenario's sign-off is a manual item of the plan's readiness gates.
"""

from __future__ import annotations

from intcheck.scenario.player import Outcome, ScenarioOptions, run_scenarios
from intcheck.scenario.story import Scenario, Step, load_scenarios, shared_plan

__all__ = [
    "Outcome",
    "Scenario",
    "ScenarioOptions",
    "Step",
    "load_scenarios",
    "run_scenarios",
    "shared_plan",
]
