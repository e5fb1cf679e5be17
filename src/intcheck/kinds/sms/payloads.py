"""The bodies each provider puts on the wire: send answers, refusals, receipts, inbound messages.

Field names and shapes are the providers' own (DOMAIN.md §2): Twilio's Message resource and its
form-encoded callbacks, Vonage's all-strings ``messages[]`` and hyphenated DLR fields, Infobip's
``results[]`` with status and error objects, and intcheck's generic JSON. Everything returned is
plain data; ``webhooks`` encodes and signs it.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import phonenumbers

from intcheck.kinds.sms.providers import INFOBIP_NO_ERROR, INFOBIP_STATUSES
from intcheck.kinds.sms.segments import UCS2

if TYPE_CHECKING:
    import random

    from intcheck.kinds.sms.contract import SmsContract
    from intcheck.kinds.sms.messages import Delivery, Message
    from intcheck.kinds.sms.providers import Code, Rejection
    from intcheck.kinds.sms.segments import Segments

API_VERSION = "2010-04-01"
# A plausible MCCMNC per country for Vonage's network-code and Infobip's mccMnc.
_NETWORKS = {"DE": "26201", "FR": "20801", "GB": "23410", "IT": "22201", "ES": "21401",
             "NL": "20404", "AT": "23201", "CH": "22801", "US": "310260"}  # fmt: skip


def new_id(provider: str, rng: random.Random) -> str:
    """A message id in the provider's form: ``SM`` + 32 hex, 16 upper hex, a UUID, ``msg_``."""
    if provider == "twilio":
        return "SM" + f"{rng.getrandbits(128):032x}"
    if provider == "vonage":
        return f"{rng.getrandbits(64):016X}"
    if provider == "infobip":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return "msg_" + f"{rng.getrandbits(96):024x}"


def digits(number: str) -> str:
    """``+4915112345678`` as Vonage and Infobip write it: international digits, no '+'."""
    return number.removeprefix("+")


def region(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number, None)) or ""
    except phonenumbers.NumberParseException:
        return ""


def network(number: str) -> str:
    return _NETWORKS.get(region(number), "")


def rfc2822(at: float) -> str:
    """``Thu, 30 Jul 2015 20:12:31 +0000``, as Twilio dates its resources."""
    return format_datetime(datetime.fromtimestamp(int(at), UTC))


def infobip_time(at: float) -> str:
    """``2019-09-03T10:42:30.123+0000`` (Infobip's ``yyyy-MM-dd'T'HH:mm:ss.SSSZ``)."""
    moment = datetime.fromtimestamp(at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _code_object(code: Code) -> dict[str, Any]:
    """An Infobip status or error object (the description is the name, in words)."""
    return {
        "groupId": code.group_id,
        "groupName": code.group_name,
        "id": int(code.id),
        "name": code.name,
        "description": code.name.replace("_", " ").capitalize(),
    }


def infobip_status(name: str) -> dict[str, Any]:
    return _code_object(INFOBIP_STATUSES[name])


def accepted(contract: SmsContract, messages: list[Message]) -> tuple[int, Any]:
    """The provider's answer to a send it took: status and body."""
    provider = contract.provider.name
    if provider == "twilio":
        (message,) = messages
        return 201, twilio_resource(contract, message, "queued")
    if provider == "vonage":
        parts = [
            {
                "to": digits(m.to),
                "message-id": part_id,
                "status": "0",
                "remaining-balance": "3.14159265",
                "message-price": "0.03330000",
                "network": network(m.to),
                **({"client-ref": m.reference} if m.reference else {}),
            }
            for m in messages
            for part_id in m.part_ids
        ]
        return 200, {"message-count": str(len(parts)), "messages": parts}
    if provider == "infobip":
        return 200, {
            "bulkId": messages[0].bulk_id,
            "messages": [
                {
                    "to": digits(m.to),
                    "messageId": m.id,
                    "status": infobip_status("PENDING_ACCEPTED"),
                }
                for m in messages
            ],
        }
    (message,) = messages
    return 201, {
        "id": message.id,
        "status": "queued",
        "to": message.to,
        "from": message.sender,
        "segments": message.segments.count,
        "encoding": message.segments.encoding,
        "created_at": datetime.fromtimestamp(message.created_at, UTC).isoformat(),
    }


def twilio_resource(contract: SmsContract, message: Message, status: str) -> dict[str, Any]:
    """Twilio's Message resource (``POST …/Messages.json`` answers it with 201)."""
    uri = f"/2010-04-01/Accounts/{contract.account_sid}/Messages/{message.id}"
    created = rfc2822(message.created_at)
    return {
        "account_sid": contract.account_sid,
        "api_version": API_VERSION,
        "body": message.body,
        "date_created": created,
        "date_sent": None,
        "date_updated": created,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": message.sender,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": str(message.segments.count),
        "price": None,
        "price_unit": "USD",
        "sid": message.id,
        "status": status,
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": message.to,
        "uri": f"{uri}.json",
    }


def refused(
    contract: SmsContract,
    rejection: Rejection,
    *,
    to: str = "",
    message_id: str = "",
    field: str = "messages[0].text",
) -> tuple[int, Any]:
    """The provider's answer to a send it refused (the texts are already formatted);
    ``field`` is the request field an Infobip validation error names."""
    provider = contract.provider.name
    if provider == "twilio":
        code = int(rejection.code)
        return rejection.status, {
            "code": code,
            "message": rejection.text,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": rejection.status,
        }
    if provider == "vonage":
        part = {"status": rejection.code, "error-text": rejection.text}
        return 200, {
            "message-count": "1",
            "messages": [{**part, **({"to": digits(to)} if to else {})}],
        }
    if provider == "infobip":
        if rejection.code in INFOBIP_STATUSES:
            status = {**infobip_status(rejection.code), "description": rejection.text}
            entry = {"to": digits(to), "messageId": message_id, "status": status}
            return 200, {"bulkId": "", "messages": [entry]}
        exception: dict[str, Any] = {"messageId": rejection.code, "text": rejection.text}
        if rejection.status == 400:
            exception["validationErrors"] = {field: ["must not be blank"]}
        return rejection.status, {"requestError": {"serviceException": exception}}
    return rejection.status, {"error": {"code": rejection.code, "message": rejection.text}}


def receipt(
    contract: SmsContract,
    message: Message,
    status: str,
    error: Code | None,
    *,
    part: int = 0,
    at: float | None = None,
) -> dict[str, Any]:
    """One delivery receipt for ``message`` (its ``part``-th part for Vonage), as params."""
    at = time.time() if at is None else at
    provider = contract.provider.name
    moment = datetime.fromtimestamp(at, UTC)
    if provider == "twilio":
        params = {
            "SmsSid": message.id,
            "SmsStatus": status,
            "MessageStatus": status,
            "To": message.to,
            "MessageSid": message.id,
            "AccountSid": contract.account_sid,
            "From": message.sender,
            "ApiVersion": API_VERSION,
        }
        if error is not None:
            params["ErrorCode"] = error.id
        if status in ("delivered", "undelivered"):
            params["RawDlrDoneDate"] = moment.strftime("%y%m%d%H%M")
        return params
    if provider == "vonage":
        params = {
            "msisdn": digits(message.to),
            "to": message.sender.removeprefix("+"),
            "network-code": network(message.to),
            "messageId": message.part_ids[part],
            "price": "0.03330000",
            "status": status,
            "scts": moment.strftime("%y%m%d%H%M"),
            "err-code": error.id if error is not None else "0",
            "message-timestamp": moment.strftime("%Y-%m-%d %H:%M:%S"),
        }
        if contract.send_auth is not None:
            params["api-key"] = contract.send_auth.username
        if message.reference:
            params["client-ref"] = message.reference
        return params
    if provider == "infobip":
        result: dict[str, Any] = {
            "bulkId": message.bulk_id,
            "messageId": message.id,
            "to": digits(message.to),
            "from": message.sender,
            "sentAt": infobip_time(message.created_at),
            "doneAt": infobip_time(at),
            "smsCount": message.segments.count,
            "mccMnc": network(message.to),
            "price": {"pricePerMessage": 0.01, "currency": "EUR"},
            "status": infobip_status(status),
            "error": _infobip_error(error),
        }
        if message.reference:
            result["callbackData"] = message.reference
        return {"results": [result]}
    return {
        "id": message.id,
        "status": status,
        "to": message.to,
        "from": message.sender,
        "error_code": error.id if error is not None else None,
        "error_message": error.name if error is not None else None,
        "timestamp": moment.isoformat(),
        **({"reference": message.reference} if message.reference else {}),
    }


def _infobip_error(error: Code | None) -> dict[str, Any]:
    error = error or INFOBIP_NO_ERROR
    return {**_code_object(error), "permanent": error.permanent}


def apply(delivery: Delivery, status: str, error: Code | None) -> None:
    """Advance ``delivery`` to the status a receipt reported."""
    delivery.status = status
    delivery.error_code = error.id if error is not None and error.id != "0" else ""


def inbound(
    contract: SmsContract,
    *,
    message_id: str,
    sender: str,
    text: str,
    segments: Segments,
    keyword: str,
    at: float,
    opt_out: bool,
) -> dict[str, Any]:
    """A customer's message as the provider posts it to the CRM (one post: reassembled)."""
    provider = contract.provider.name
    moment = datetime.fromtimestamp(at, UTC)
    if provider == "twilio":
        params = {
            "ToCountry": region(contract.number),
            "SmsMessageSid": message_id,
            "NumMedia": "0",
            "SmsSid": message_id,
            "SmsStatus": "received",
            "Body": text,
            "FromCountry": region(sender),
            "To": contract.number,
            "NumSegments": str(segments.count),
            "MessageSid": message_id,
            "AccountSid": contract.account_sid,
            "From": sender,
            "ApiVersion": API_VERSION,
        }
        if opt_out:
            params["OptOutType"] = "STOP"  # Advanced Opt-Out names the keyword's kind
        return params
    if provider == "vonage":
        params = {
            "msisdn": digits(sender),
            "to": digits(contract.number),
            "messageId": message_id,
            "text": text,
            "type": "unicode" if segments.encoding == UCS2 else "text",
            "keyword": keyword,
            "message-timestamp": moment.strftime("%Y-%m-%d %H:%M:%S"),
        }
        if contract.send_auth is not None:
            params["api-key"] = contract.send_auth.username
        return params
    if provider == "infobip":
        clean = text.strip()[len(keyword) :].strip() if keyword and opt_out else text
        result = {
            "messageId": message_id,
            "from": digits(sender),
            "to": digits(contract.number),
            "text": text,
            "cleanText": clean,
            "keyword": keyword if opt_out else "",
            "receivedAt": infobip_time(at),
            "smsCount": segments.count,
            "price": {"pricePerMessage": 0, "currency": "EUR"},
            "callbackData": None,
        }
        return {"results": [result], "messageCount": 1, "pendingMessageCount": 0}
    return {
        "id": message_id,
        "from": sender,
        "to": contract.number,
        "text": text,
        "received_at": moment.isoformat(),
        "segments": segments.count,
        "encoding": segments.encoding,
    }


def vonage_part(
    params: dict[str, Any], *, ref: str, total: int, part: int, text: str
) -> dict[str, Any]:
    """One part of a concatenated Vonage inbound message: its text and the concat fields."""
    return {
        **params,
        "text": text,
        "concat": "true",
        "concat-ref": ref,
        "concat-total": str(total),
        "concat-part": str(part),
    }
