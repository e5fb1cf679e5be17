"""Email contracts: the example reads into typed settings; broken ones are told file:line.

The exact messages of broken email contracts are snapshots under
``tests/data/contracts/invalid/email-*`` (run by ``tests/contracts/test_loader.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from intcheck.contracts import load_plan
from intcheck.errors import ContractError
from intcheck.kinds.email.contract import EmailSettings
from tests.conftest import EXAMPLE_PLAN
from tests.kinds.email_support import email_plan

INVALID = Path(__file__).resolve().parents[1] / "data" / "contracts" / "invalid"


def test_the_example_contract_reads_into_settings_and_operations() -> None:
    contract = load_plan(EXAMPLE_PLAN, environ={"SMTP_PASSWORD": "s3cret-relay"}).contract(
        "email-channel"
    )
    assert [op.id for op in contract.operations] == [
        "email-channel:relay",
        "email-channel:send",
        "email-channel:inbound",
    ]
    settings = EmailSettings.of(contract)
    assert settings.relay.starttls == "required" and settings.relay.port == 2525
    assert settings.relay.auth is not None and settings.relay.auth.after_tls
    assert settings.inbound is not None and settings.inbound.style == "mailgun"
    assert "s3cret-relay" in contract.secrets  # redacted everywhere


def test_every_email_rule_has_a_snapshot() -> None:
    folders = {p.name for p in INVALID.iterdir() if p.name.startswith("email-")}
    assert folders == {
        "email-auth-needs-tls",
        "email-bad-chaos",
        "email-case-rules",
        "email-cases",
        "email-dkim-key",
        "email-mailgun-unsigned",
    }
    for folder in folders:
        assert "contract.yaml:" in (INVALID / folder / "expected.txt").read_text()


def test_a_missing_dkim_key_file_names_the_line(tmp_path: Path) -> None:
    contract = """
        kind: email
        name: mail
        mail:
          from: service@example.com
          dkim: {selector: crm2024, key_file: keys/dkim.pub}
        """
    with pytest.raises(ContractError) as caught:
        email_plan(tmp_path, contract)
    (diagnostic,) = caught.value.diagnostics
    # the contract text starts with a blank line: the key_file is on line 6
    assert (diagnostic.source.path.name, diagnostic.source.line) == ("mail.yaml", 6)
    assert "mail.dkim.key_file: file not found: keys/dkim.pub" in diagnostic.render()


def test_an_unquoted_off_is_read_as_off(tmp_path: Path) -> None:
    plan = email_plan(tmp_path, "kind: email\nname: mail\nrelay: {starttls: off}\n")
    assert EmailSettings.of(plan.contract("mail")).relay.tls is False
