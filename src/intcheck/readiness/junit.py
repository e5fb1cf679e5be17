"""The go/no-go as JUnit XML for CI: one testsuite per integration, one testcase per gate.

A gate that is not met or not tested is a ``<failure>`` (NOT TESTED is never a skip, which
CI dashboards would show green); a gate met with risks passes and lists its risks in
``<system-out>``. The rollout's own checklist is a suite of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from intcheck.readiness.findings import Disposition
from intcheck.readiness.gates import GateStatus

if TYPE_CHECKING:
    from collections.abc import Iterable

    from intcheck.readiness.gates import GateOutcome
    from intcheck.readiness.verdict import Readiness


def render_junit(readiness: Readiness) -> str:
    """``readiness`` as a JUnit XML document (``<testsuites>``)."""
    root = ET.Element(
        "testsuites",
        name=f"intcheck readiness: {readiness.plan_name}",
        verdict=readiness.verdict.value,
    )
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suites: list[tuple[str, dict[str, str], Iterable[GateOutcome]]] = [
        (
            v.name,
            {
                "owner": v.integration.owner,
                "criticality": v.integration.criticality,
                "verdict": v.verdict.value,
            },
            v.gates,
        )
        for v in readiness.integrations
    ]
    suites.append(("rollout", {"verdict": readiness.verdict.value}, [readiness.rollout]))
    for name, properties, outcomes in suites:
        decided = [o for o in outcomes if o.status is not GateStatus.NOT_REQUIRED]
        if not decided:
            continue
        suite = ET.SubElement(root, "testsuite", name=name, timestamp=readiness.generated_at)
        props = ET.SubElement(suite, "properties")
        for key, value in properties.items():
            ET.SubElement(props, "property", name=key, value=_printable(value))
        failures = 0
        for outcome in decided:
            failures += _testcase(suite, name, outcome)
        suite.set("tests", str(len(decided)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        totals["tests"] += len(decided)
        totals["failures"] += failures
    for key, count in totals.items():
        root.set(key, str(count))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _testcase(suite: ET.Element, name: str, outcome: GateOutcome) -> int:
    """Add the gate's testcase; 1 when it failed."""
    label = outcome.gate if outcome.required else f"{outcome.gate} (advisory)"
    case = ET.SubElement(suite, "testcase", classname=name, name=label, time="0")
    blocking = [i for i in outcome.issues if i.disposition is Disposition.BLOCKING]
    if outcome.status in (GateStatus.NOT_MET, GateStatus.NOT_TESTED):
        failure = ET.SubElement(
            case,
            "failure",
            message=_printable(f"{outcome.status.value}: {blocking[0].title}"[:500])
            if blocking
            else outcome.status.value,
        )
        failure.set("type", outcome.status.value.replace(" ", "_"))
        failure.text = _printable(
            "\n".join(f"{i.title}\n  {i.detail}" if i.detail else i.title for i in blocking)
        )
    others = [i for i in outcome.issues if i.disposition is not Disposition.BLOCKING]
    lines = [outcome.summary] if outcome.summary else []
    lines += [f"{i.disposition.value}: {i.title}" for i in others]
    if lines:
        ET.SubElement(case, "system-out").text = _printable("\n".join(lines))
    return 1 if outcome.status in (GateStatus.NOT_MET, GateStatus.NOT_TESTED) else 0


def _printable(text: str) -> str:
    # XML 1.0 cannot carry most control characters, which hostile bodies are full of.
    return "".join(c if c in "\t\n\r" or ord(c) >= 0x20 else "\ufffd" for c in text)
