"""The ``email`` kind: the SMTP relay the CRM sends through, and inbound mail to the CRM.

Operations (DOMAIN.md §3): ``relay`` (the CRM connects, takes STARTTLS and authenticates),
``send`` (it hands a message over) and, where the contract declares it, ``inbound`` (a
customer's mail reaches the CRM, as an inbound-parse webhook or over SMTP).

==============  ====================================================================
``contract``    the kind's fields as typed values, and the rules across fields
``certs``       the mock relay's certificate, made at start; reading a peer's
``capture``     captured mail: envelope, raw, parsed MIME; the bounded, searchable store
``mailchecks``  checks on captured mail: From/Reply-To, placeholders, text part, links, DKIM
``relay``       the mock relay (aiosmtpd) as a ``MockService``: TLS, AUTH, SIZE, chaos
``receiver``    the mock's stand-in for the CRM's inbound webhook
``mock``        the ``Mocker``: relay, receiver and the mail API under ``/__intcheck/``
``smtpprobe``   one SMTP dialogue with a real relay (smtplib), recorded
``probe``       the ``Prober``: cases and the claims checked on each dialogue
``inbound``     customers' mail, and the fields SendGrid and Mailgun post
``simulate``    the ``Simulator``: inbound mail delivered to the CRM, answers judged
==============  ====================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intcheck.kinds.email.contract import check_source
from intcheck.kinds.email.mock import EmailMocker
from intcheck.kinds.email.probe import EmailProber
from intcheck.kinds.email.simulate import EmailSimulator
from intcheck.model import Operation
from intcheck.plugins import Kind, read_vocabulary

if TYPE_CHECKING:
    from intcheck.contracts.source import ContractParts, ContractSource


def read(source: ContractSource) -> ContractParts | None:
    """``relay`` and ``send`` always; ``inbound`` where the contract declares it."""
    from intcheck.contracts.source import ContractParts

    before = len(source.diagnostics)
    check_source(source)
    if any(d.level.value == "error" for d in source.diagnostics[before:]):
        return None
    data, name, ref = source.data, source.name, source.doc.ref
    relay = ref("/relay" if "relay" in data else "")
    operations = [
        Operation(
            contract=name, name="relay", summary="the CRM connects to the SMTP relay", source=relay
        ),
        Operation(
            contract=name, name="send", summary="the CRM hands a message to the relay", source=relay
        ),
    ]
    if "inbound" in data:
        inbound = data["inbound"]
        webhook = inbound.get("via", "webhook") == "webhook"
        operations.append(
            Operation(
                contract=name,
                name="inbound",
                summary="a customer's mail reaches the CRM (email-to-case)",
                method="POST" if webhook else "",
                path=inbound.get("path", "") if webhook else "",
                source=ref("/inbound"),
            )
        )
    return ContractParts(operations=tuple(operations))


KIND = Kind(
    name="email",
    summary="mail: the SMTP relay out, inbound mail (email-to-case) in",
    vocabulary=read_vocabulary(__name__),
    read=read,
    secret_fields=("/relay/auth/password",),
    mock=EmailMocker(),
    probe=EmailProber(),
    simulate=EmailSimulator(),
)
