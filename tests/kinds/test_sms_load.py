"""The sms load driver: requests built up front are what the mock gateway and CRM accept."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import TYPE_CHECKING

import aiohttp
import pytest

from intcheck.contracts import load_plan
from intcheck.errors import UsageError
from intcheck.kinds.loading import LoadContext
from intcheck.kinds.sms import KIND
from intcheck.mock import JournalQuery, MockServer
from intcheck.probe.runner import dataset_index
from tests.kinds.sms_support import PROVIDERS, write_plan

if TYPE_CHECKING:
    from pathlib import Path

    from intcheck.kinds.loading import LoadRequest
    from intcheck.model import Plan


def _requests(plan: Plan, name: str, operation: str, target: str, count: int) -> list[LoadRequest]:
    contract = plan.contract(name)
    step = contract.operation(operation)
    assert step is not None and KIND.load is not None
    ctx = LoadContext(
        contract=contract,
        operation=step,
        target=target,
        index=dataset_index(plan),
        rng=random.Random(7),
        count=count,
    )
    return KIND.load.load_requests(ctx)


async def _play(requests: list[LoadRequest]) -> list[int]:
    statuses = []
    async with asyncio.timeout(60), aiohttp.ClientSession() as client:
        for request in requests:
            async with client.request(
                request.method, request.url, headers=dict(request.headers), data=request.body
            ) as response:
                statuses.append(response.status)
    return statuses


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_send_requests_are_accepted_by_the_mock_gateway(
    tmp_path: Path, provider: str
) -> None:
    plan = write_plan(tmp_path, provider)
    async with MockServer(plan) as mock:
        requests = _requests(plan, "sms", "send", f"{mock.url}/sms", 9)
        statuses = await _play(requests)
        _, entries = mock.journal.read(JournalQuery(contract="sms", operation="send"))
        async with aiohttp.ClientSession() as client:
            url = f"{mock.url}/__intcheck/contracts/sms/messages"
            async with client.get(url) as response:
                messages = (await response.json())["messages"]
    assert all(s in requests[0].ok_statuses for s in statuses)
    assert {e["validation"] for e in entries} == {"ok"}
    assert len(messages) == 9 and all(m["to"].startswith("+447700900") for m in messages)
    assert Counter(m["encoding"] for m in messages) == {"GSM-7": 6, "UCS-2": 3}
    assert {r.name for r in requests} == {"sms:send"}


async def test_signed_webhooks_are_accepted_by_the_crm_side(example_plan_path: Path) -> None:
    plan = load_plan(example_plan_path, environ={})
    async with MockServer(plan) as mock:
        target = f"{mock.url}/sms-gateway"
        inbound = _requests(plan, "sms-gateway", "inbound", target, 5)
        receipts = _requests(plan, "sms-gateway", "delivery-receipt", target, 5)
        statuses = await _play([*inbound, *receipts])
        _, entries = mock.journal.read(JournalQuery(contract="sms-gateway"))
    assert all(200 <= s < 300 for s in statuses)
    assert [e["validation"] for e in entries] == ["ok"] * 10
    assert {e["operation"] for e in entries} == {"inbound", "delivery-receipt"}


def test_a_send_step_without_a_gateway_url_is_a_usage_error(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, "generic")  # target is the CRM's, and no send.url
    with pytest.raises(UsageError, match=r"set send\.url in sms\.yaml or pass --target sms=URL"):
        _requests(plan, "sms", "send", plan.contract("sms").target, 1)
