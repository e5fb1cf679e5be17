"""sms contracts: the example's typed view, the provider rules, and where their errors point."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from intcheck.contracts import load_plan
from intcheck.errors import ContractError
from intcheck.kinds.sms.contract import SmsContract, is_e164, sender_problem
from intcheck.model import Level

if TYPE_CHECKING:
    from pathlib import Path


def test_the_example_contract_reads_with_the_providers_defaults(example_plan_path: Path) -> None:
    plan = load_plan(example_plan_path, environ={"VONAGE_API_SECRET": "real-secret-1"})
    contract = plan.contract("sms-gateway")
    assert [op.id for op in contract.operations] == [
        "sms-gateway:send",
        "sms-gateway:inbound",
        "sms-gateway:delivery-receipt",
    ]
    sms = SmsContract.of(contract)
    assert sms.provider.name == "vonage" and sms.send_path == "/sms/json"
    assert sms.gateway_url == "http://127.0.0.1:8080/sms-gateway"
    assert sms.inbound is not None and sms.inbound.encoding == "form"
    assert sms.receipts is not None and sum(sms.receipts.outcomes.values()) == pytest.approx(1)
    assert sms.test_numbers == ("+447700900456",)
    # the gateway's credentials are secrets like the common ones: masked in every output
    assert "real-secret-1" in plan.secrets
    assert "demo-sms-secret" in plan.secrets


def test_a_twilio_contract_gets_twilios_path_and_form_webhooks(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text("name: p\nintegrations:\n  - contract: c.yaml\n")
    (tmp_path / "c.yaml").write_text(
        "kind: sms\nname: tw\nprovider: twilio\nsender: '+15005550006'\n"
        "inbound: {path: /in}\ndelivery_receipts: {path: /status, method: GET}\n"
        "signature: {scheme: twilio, secret: '${TOKEN:-t}'}\n"
    )
    sms = SmsContract.of(load_plan(tmp_path / "plan.yaml", environ={}).contract("tw"))
    assert sms.send_path == "/2010-04-01/Accounts/{AccountSid}/Messages.json"
    assert sms.inbound is not None and sms.inbound.encoding == "form"
    assert sms.receipts is not None and sms.receipts.webhook.encoding == "query"
    assert sms.number == "+15005550006" and sms.expect_status == ("2XX",)


@pytest.mark.parametrize(
    ("sender", "problem"),
    [
        ("ExampleCo", ""),
        ("Shop 24", ""),
        ("+4915112345678", ""),
        ("4915112345678", ""),  # Vonage writes numbers without '+'
        ("12345", ""),  # a short code
        ("ExampleCompany", "1 to 11"),
        ("12", "not a short code"),
        ("+49", "not a possible E.164 number"),
        ("Café-Bar", "1 to 11"),
    ],
)
def test_sender_ids(sender: str, problem: str) -> None:
    assert (problem in sender_problem(sender)) if problem else sender_problem(sender) == ""


def test_e164_is_parsed_by_phonenumbers_not_a_pattern() -> None:
    assert is_e164("+447700900456")
    assert not is_e164("+999123456")  # no such country code
    assert not is_e164("015112345678")  # national, no '+'
    assert not is_e164("+49 151 1234 5678")


def test_a_literal_gateway_password_is_a_warning_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text("name: p\nintegrations:\n  - contract: c.yaml\n")
    (tmp_path / "c.yaml").write_text(
        "kind: sms\nname: vg\nprovider: vonage\nsend:\n"
        "  auth: {type: basic, username: key, password: hunter22}\n"
    )
    plan = load_plan(tmp_path / "plan.yaml", environ={})
    (warning,) = plan.warnings
    assert warning.level is Level.WARNING and warning.rule == "literal-secret"
    assert warning.render().startswith(f"{tmp_path / 'c.yaml'}:5:")
    assert "send.auth.password: credential written into the contract" in warning.render()
    with pytest.raises(ContractError):
        load_plan(tmp_path / "plan.yaml", environ={}, strict=True)
