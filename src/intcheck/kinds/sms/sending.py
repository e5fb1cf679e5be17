"""Where the CRM's side of an sms contract is reached, and its send request in each style.

``gateway_url`` is the real gateway (``--target`` or ``send.url``), ``crm_url`` the CRM's
webhook base (``target``); ``send_request`` is the CRM's call to the gateway's send API with the
contract's credentials, shared by the probe, its written cases and the load driver.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from intcheck.kinds.probing import ProbeRequest
from intcheck.kinds.sms.segments import UCS2, split
from intcheck.kinds.sms.webhooks import FORM

if TYPE_CHECKING:
    from intcheck.kinds.sms.contract import SmsContract

FICTIONAL = "+447700900999"  # Ofcom's drama range: a valid-looking number no phone has
# The status each provider answers a refused send with (Vonage refuses in a 200's body).
REFUSAL_STATUS: dict[str, tuple[str, ...]] = {
    "twilio": ("400",),
    "vonage": ("200",),
    "infobip": ("200", "400"),
}


def no_gateway(contract: str) -> str:
    """Why nothing can be sent to the gateway: the contract does not say where it is."""
    return (
        "no gateway URL: `target` is the CRM's webhook base; set send.url or pass "
        f"--target {contract}=URL"
    )


def gateway_url(sms: SmsContract, target: str, contract_target: str) -> str:
    """The gateway's base URL: an explicit ``--target``, else ``send.url``, else ``target``
    when the contract has no CRM webhooks (then ``target`` can only be the gateway)."""
    if target and target != contract_target:
        return target.rstrip("/")
    if sms.gateway_url:
        return sms.gateway_url
    webhooks = sms.inbound is not None or sms.receipts is not None
    return "" if webhooks else target.rstrip("/")


def crm_url(sms: SmsContract, target: str, contract_target: str) -> str:
    """The CRM's webhook base, where written inbound messages and receipts go: ``target``.

    ``--target`` names the gateway; it moves the webhooks too only where the contract's
    ``target`` and ``send.url`` are one server (the mock serves both sides).
    """
    own = contract_target.rstrip("/")
    if target and target != contract_target and sms.gateway_url and sms.gateway_url == own:
        return target.rstrip("/")
    return own


def send_request(
    sms: SmsContract,
    url: str,
    to: str,
    text: str,
    *,
    credentials: bool = True,
    sender: str = "",
) -> ProbeRequest:
    """The CRM's send request in the provider's style, with the contract's credentials;
    ``sender`` replaces the contract's sender id."""
    auth = sms.send_auth if credentials else None
    headers = dict(auth.headers()) if auth is not None else {}
    provider, sender = sms.provider.name, sender or sms.sender
    body: bytes
    if provider == "twilio":
        body = urlencode({"To": to, "From": sender, "Body": text}).encode()
        headers["Content-Type"] = FORM
    elif provider == "vonage":
        fields: dict[str, Any] = {"from": sender.removeprefix("+"), "to": to.removeprefix("+")}
        fields |= {"text": text, "type": "unicode" if split(text).encoding == UCS2 else "text"}
        # Vonage also takes the key and secret as fields; Basic keeps them in a header,
        # which every output masks whole (a url-encoded secret in a body could slip through)
        body = urlencode(fields).encode()
        headers["Content-Type"] = FORM
    elif provider == "infobip":
        message = {"from": sender, "destinations": [{"to": to.removeprefix("+")}], "text": text}
        body = json.dumps({"messages": [message]}, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    else:
        body = json.dumps({"to": to, "from": sender, "text": text}, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    return ProbeRequest(method="POST", url=url, headers=headers, body=body)
