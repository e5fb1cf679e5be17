"""The ``sms`` kind: an SMS gateway the CRM sends through, and its callbacks to the CRM.

Operations: ``send`` (the CRM calls the gateway's send API), ``inbound`` (a customer's message
reaches the CRM's webhook) and ``delivery-receipt`` (the gateway reports a message's status),
with the provider's own field names, statuses, error codes and signatures (DOMAIN.md §2).

==========  ===========================================================================
mock        the gateway's send API in the provider's style, delivery receipts posted to
            the CRM with retries, the CRM-side webhooks, an inbox at the admin API
probe       the real gateway's send API: auth, answer shape, refusals and their codes
simulate    inbound messages (long, UCS-2, STOP) and receipts to the CRM, with chaos
load        signed inbound messages or send requests for Locust
==========  ===========================================================================
"""

from __future__ import annotations

from intcheck.kinds.sms.contract import read
from intcheck.kinds.sms.load import SmsLoadDriver
from intcheck.kinds.sms.mock import SmsMock
from intcheck.kinds.sms.probe import SmsProber
from intcheck.kinds.sms.simulator import SmsSimulator
from intcheck.plugins import Kind, read_vocabulary

KIND = Kind(
    name="sms",
    summary="an SMS gateway: send API, delivery receipts, inbound messages",
    vocabulary=read_vocabulary(__name__),
    read=read,
    secret_fields=("/send/auth/token", "/send/auth/password", "/send/auth/value"),
    mock=SmsMock(),
    probe=SmsProber(),
    simulate=SmsSimulator(),
    load=SmsLoadDriver(),
)
