"""What each SMS provider calls things: paths, auth, signatures, statuses and error codes.

Tables only, from DOMAIN.md §2 and the providers' own references (Twilio's error dictionary and
test-credential magic numbers, Vonage's SMS API and DLR ``err-code`` tables, Infobip's status
and error registries). ``payloads`` turns them into bodies; nothing here does I/O.

A delivery outcome is provider-neutral (``delivered``, ``undelivered``, ``failed``,
``expired``, ``rejected``); each provider reports it as its own sequence of statuses, the last
one carrying one of its real error codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    """A provider's status or error: its id, name and, for Infobip, its group."""

    id: str
    name: str
    group_id: int = 0
    group_name: str = ""
    permanent: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """How a provider reports one neutral outcome: statuses before the last, the last, errors."""

    before: tuple[str, ...]
    final: str
    errors: tuple[Code, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejection:
    """A send refused at once: the HTTP status and the provider's code and text."""

    status: int
    code: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Provider:
    """One provider's conventions."""

    name: str
    title: str
    send_path: str
    send_auth: tuple[str, ...]  # auth types its send API accepts
    send_auth_hint: str
    signatures: tuple[str, ...]  # signature schemes its webhooks may carry
    signature_hint: str
    webhook_encoding: str  # the default for a POST webhook
    webhook_encodings: tuple[str, ...]
    webhook_words: str
    outcomes: dict[str, Outcome]
    rejections: dict[str, Rejection]
    receipt_statuses: tuple[str, ...]  # every status word its delivery receipts carry


_TWILIO_UNDELIVERED = (
    Code("30003", "Unreachable destination handset"),
    Code("30005", "Unknown destination handset"),
    Code("30006", "Landline or unreachable carrier"),
    Code("30008", "Unknown error"),
)
_VONAGE_UNDELIVERED = (
    Code("1", "Unknown"),
    Code("2", "Absent Subscriber - Temporary"),
    Code("3", "Absent Subscriber - Permanent"),
    Code("7", "Handset Busy"),
    Code("8", "Network Error"),
    Code("12", "Destination Unreachable"),
)
# The status words each provider's delivery receipts carry (DOMAIN.md §2).
_TWILIO_RECEIPTS = ("sending", "sent", "delivered", "undelivered", "failed", "read", "canceled")
_VONAGE_RECEIPTS = ("accepted", "buffered", "delivered", "expired", "failed", "rejected", "unknown")
_GENERIC_RECEIPTS = ("queued", "sent", "delivered", "undelivered", "failed", "expired", "rejected")
INFOBIP_NO_ERROR = Code("0", "NO_ERROR", 0, "OK")


def _handset(id_: str, name: str, permanent: bool = False) -> Code:
    return Code(id_, name, 1, "HANDSET_ERRORS", permanent)


# Infobip's status objects by name: (groupId, groupName, id).
INFOBIP_STATUSES = {
    "PENDING_ACCEPTED": Code("26", "PENDING_ACCEPTED", 1, "PENDING"),
    "PENDING_ENROUTE": Code("7", "PENDING_ENROUTE", 1, "PENDING"),
    "DELIVERED_TO_OPERATOR": Code("2", "DELIVERED_TO_OPERATOR", 3, "DELIVERED"),
    "DELIVERED_TO_HANDSET": Code("5", "DELIVERED_TO_HANDSET", 3, "DELIVERED"),
    "UNDELIVERABLE_REJECTED_OPERATOR": Code(
        "4", "UNDELIVERABLE_REJECTED_OPERATOR", 2, "UNDELIVERABLE"
    ),
    "UNDELIVERABLE_NOT_DELIVERED": Code("9", "UNDELIVERABLE_NOT_DELIVERED", 2, "UNDELIVERABLE"),
    "EXPIRED_EXPIRED": Code("15", "EXPIRED_EXPIRED", 4, "EXPIRED"),
    "REJECTED_NETWORK": Code("6", "REJECTED_NETWORK", 5, "REJECTED"),
    "REJECTED_SOURCE": Code("11", "REJECTED_SOURCE", 5, "REJECTED"),
    "REJECTED_DESTINATION_BLOCKLISTED": Code(
        "14", "REJECTED_DESTINATION_BLOCKLISTED", 5, "REJECTED"
    ),
    "REJECTED_FLOODING_FILTER": Code("20", "REJECTED_FLOODING_FILTER", 5, "REJECTED"),
    "REJECTED_MESSAGE_TOO_LONG": Code("25", "REJECTED_MESSAGE_TOO_LONG", 5, "REJECTED"),
    "MISSING_TO": Code("51", "MISSING_TO", 5, "REJECTED"),
    "REJECTED_DESTINATION": Code("52", "REJECTED_DESTINATION", 5, "REJECTED"),
}

TWILIO = Provider(
    name="twilio",
    title="Twilio",
    send_path="/2010-04-01/Accounts/{AccountSid}/Messages.json",
    send_auth=("basic",),
    send_auth_hint="Twilio takes Basic auth: username the AccountSid, password the Auth Token",
    signatures=("twilio", "none"),
    signature_hint="Twilio signs every webhook with X-Twilio-Signature: scheme: twilio, "
    "secret: the Auth Token",
    webhook_encoding="form",
    webhook_encodings=("form", "query"),
    webhook_words="form posts or GET queries, never JSON",
    outcomes={
        "delivered": Outcome(before=("sent",), final="delivered"),
        "undelivered": Outcome(before=("sent",), final="undelivered", errors=_TWILIO_UNDELIVERED),
        "failed": Outcome(
            before=(),
            final="failed",
            errors=(
                Code("30001", "Queue overflow"),
                Code("30002", "Account suspended"),
                Code("30010", "Message price exceeds max price"),
            ),
        ),
        "expired": Outcome(
            before=(), final="failed", errors=(Code("30036", "Validity Period Expired"),)
        ),
        "rejected": Outcome(
            before=("sent",),
            final="undelivered",
            errors=(Code("30004", "Message blocked"), Code("30007", "Message filtered")),
        ),
    },
    receipt_statuses=_TWILIO_RECEIPTS,
    rejections={
        "auth": Rejection(status=401, code="20003", text="Authenticate"),
        "missing-recipient": Rejection(
            status=400, code="21604", text="A 'To' phone number is required."
        ),
        "invalid-recipient": Rejection(
            status=400, code="21211", text="The 'To' number {to} is not a valid phone number."
        ),
        "empty-body": Rejection(status=400, code="21602", text="Message body is required."),
        "missing-sender": Rejection(
            status=400, code="21603", text="A 'From' phone number is required."
        ),
        "invalid-callback": Rejection(
            status=400, code="21609", text="The StatusCallback URL {url} is not a valid URL."
        ),
        "too-long": Rejection(
            status=400,
            code="21617",
            text="The concatenated message body exceeds the {limit} character limit.",
        ),
        "invalid-sender": Rejection(
            status=400,
            code="21212",
            text="The 'From' number {sender} is not a valid phone number, shortcode, "
            "or alphanumeric sender ID.",
        ),
        "sender-not-owned": Rejection(
            status=400,
            code="21606",
            text="The From phone number {sender} is not a valid, SMS-capable inbound phone "
            "number or short code for your account.",
        ),
        "opted-out": Rejection(
            status=400, code="21610", text="Attempt to send to unsubscribed recipient"
        ),
        "unroutable": Rejection(
            status=400,
            code="21612",
            text="The 'To' phone number is not currently reachable via SMS.",
        ),
        "no-permission": Rejection(
            status=400,
            code="21408",
            text="Permission to send an SMS has not been enabled for the region indicated by "
            "the 'To' number: {to}.",
        ),
        "not-mobile": Rejection(
            status=400, code="21614", text="'To' number is not a valid mobile number"
        ),
        "queue-full": Rejection(
            status=400,
            code="21611",
            text="This 'From' number has exceeded the maximum number of queued messages",
        ),
    },
)

VONAGE = Provider(
    name="vonage",
    title="Vonage",
    send_path="/sms/json",
    send_auth=("basic",),
    send_auth_hint="Vonage takes api_key and api_secret (or Basic with them): "
    "auth: {type: basic, username: <api_key>, password: <api_secret>}",
    signatures=("vonage-md5", "vonage-sha256", "none"),
    signature_hint="Vonage signs with the sig parameter: scheme vonage-md5 (the dashboard's "
    "default) or vonage-sha256, secret: the signature secret",
    webhook_encoding="form",
    webhook_encodings=("form", "json", "query"),
    webhook_words="GET queries, form posts or JSON posts",
    outcomes={
        "delivered": Outcome(
            before=("accepted",), final="delivered", errors=(Code("0", "Delivered"),)
        ),
        "undelivered": Outcome(before=("accepted",), final="failed", errors=_VONAGE_UNDELIVERED),
        "failed": Outcome(
            before=(),
            final="failed",
            errors=(Code("5", "Portability Error"), Code("11", "Unroutable")),
        ),
        "expired": Outcome(
            before=("buffered",),
            final="expired",
            errors=(Code("2", "Absent Subscriber - Temporary"),),
        ),
        "rejected": Outcome(
            before=(),
            final="rejected",
            errors=(
                Code("4", "Call Barred by User"),
                Code("6", "Anti-Spam Rejection"),
                Code("9", "Illegal Number"),
                Code("14", "Number Blocked by Carrier"),
            ),
        ),
    },
    receipt_statuses=_VONAGE_RECEIPTS,
    # The SMS API answers 200 even when it refuses: the status is in messages[].status.
    rejections={
        "auth": Rejection(status=200, code="4", text="Bad Credentials"),
        "missing-recipient": Rejection(status=200, code="2", text="Missing to param"),
        "invalid-recipient": Rejection(status=200, code="3", text="Invalid to param"),
        "empty-body": Rejection(status=200, code="2", text="Missing text param"),
        "missing-sender": Rejection(status=200, code="2", text="Missing from param"),
        "invalid-callback": Rejection(status=200, code="3", text="Invalid callback url"),
        "missing-credentials": Rejection(status=200, code="2", text="Missing api_key"),
        "too-long": Rejection(status=200, code="12", text="Message too long"),
        "invalid-sender": Rejection(
            status=200, code="15", text="Illegal Sender Address - rejected"
        ),
        "sender-not-owned": Rejection(
            status=200, code="15", text="Illegal Sender Address - rejected"
        ),
        "opted-out": Rejection(status=200, code="7", text="Number barred."),
        "unroutable": Rejection(status=200, code="6", text="Unroutable message - rejected"),
        "no-permission": Rejection(status=200, code="6", text="Unroutable message - rejected"),
        "not-mobile": Rejection(status=200, code="6", text="Invalid Message"),
        "queue-full": Rejection(status=200, code="1", text="Throughput Rate Exceeded"),
        "bad-signature": Rejection(status=200, code="14", text="Invalid Signature"),
    },
)

INFOBIP = Provider(
    name="infobip",
    title="Infobip",
    send_path="/sms/2/text/advanced",
    send_auth=("apikey", "basic"),
    send_auth_hint="Infobip takes 'Authorization: App <key>': "
    "auth: {type: apikey, header: Authorization, value: App ${INFOBIP_API_KEY}}",
    signatures=("none",),
    signature_hint="Infobip does not sign its webhooks; protect them with basic auth or an "
    "API key header in `auth:`, or an IP allow-list",
    webhook_encoding="json",
    webhook_encodings=("json",),
    webhook_words="JSON posts",
    outcomes={
        "delivered": Outcome(before=(), final="DELIVERED_TO_HANDSET", errors=(INFOBIP_NO_ERROR,)),
        "undelivered": Outcome(
            before=(),
            final="UNDELIVERABLE_NOT_DELIVERED",
            errors=(
                _handset("27", "EC_ABSENT_SUBSCRIBER"),
                _handset("1", "EC_UNKNOWN_SUBSCRIBER", permanent=True),
                _handset("13", "EC_CALL_BARRED"),
            ),
        ),
        "failed": Outcome(
            before=(),
            final="UNDELIVERABLE_REJECTED_OPERATOR",
            errors=(_handset("32", "EC_SM_DELIVERY_FAILURE"), _handset("34", "EC_SYSTEM_FAILURE")),
        ),
        "expired": Outcome(
            before=(), final="EXPIRED_EXPIRED", errors=(_handset("6", "EC_ABSENT_SUBSCRIBER_SM"),)
        ),
        "rejected": Outcome(before=(), final="REJECTED_NETWORK", errors=(INFOBIP_NO_ERROR,)),
    },
    receipt_statuses=tuple(INFOBIP_STATUSES),
    # A refused destination is a 200 whose message carries a REJECTED status; a malformed
    # request is a 400 with a serviceException.
    rejections={
        "auth": Rejection(status=401, code="UNAUTHORIZED", text="Invalid login details"),
        "missing-recipient": Rejection(status=200, code="MISSING_TO", text="Missing destination."),
        "invalid-recipient": Rejection(
            status=200, code="REJECTED_DESTINATION", text="Invalid destination address."
        ),
        "empty-body": Rejection(status=400, code="BAD_REQUEST", text="Bad request"),
        "missing-sender": Rejection(status=400, code="BAD_REQUEST", text="Bad request"),
        "invalid-callback": Rejection(status=400, code="BAD_REQUEST", text="Bad request"),
        "too-long": Rejection(
            status=200, code="REJECTED_MESSAGE_TOO_LONG", text="Message too long."
        ),
        "invalid-sender": Rejection(status=200, code="REJECTED_SOURCE", text="Invalid sender."),
        "sender-not-owned": Rejection(status=200, code="REJECTED_SOURCE", text="Invalid sender."),
        "opted-out": Rejection(
            status=200, code="REJECTED_DESTINATION_BLOCKLISTED", text="Destination blocklisted."
        ),
        "unroutable": Rejection(status=200, code="REJECTED_NETWORK", text="Network not covered."),
        "no-permission": Rejection(
            status=200, code="REJECTED_NETWORK", text="Network not covered."
        ),
        "not-mobile": Rejection(
            status=200, code="REJECTED_DESTINATION", text="Invalid destination address."
        ),
        "queue-full": Rejection(
            status=200, code="REJECTED_FLOODING_FILTER", text="Flooding filter."
        ),
    },
)

GENERIC = Provider(
    name="generic",
    title="The generic gateway",
    send_path="/messages",
    send_auth=("bearer", "basic", "apikey"),
    send_auth_hint="",
    signatures=("hmac-sha256", "hmac-sha1", "none"),
    signature_hint="a generic gateway signs the raw body with HMAC in a header: scheme "
    "hmac-sha256, header: X-Signature",
    webhook_encoding="json",
    webhook_encodings=("json", "form", "query"),
    webhook_words="JSON or form posts, or GET queries",
    outcomes={
        "delivered": Outcome(before=("sent",), final="delivered"),
        "undelivered": Outcome(
            before=("sent",),
            final="undelivered",
            errors=(
                Code("001", "absent subscriber"),
                Code("005", "unknown subscriber"),
                Code("011", "subscriber busy"),
            ),
        ),
        "failed": Outcome(before=(), final="failed", errors=(Code("012", "system failure"),)),
        "expired": Outcome(before=("sent",), final="expired"),
        "rejected": Outcome(before=(), final="rejected", errors=(Code("009", "call barred"),)),
    },
    receipt_statuses=_GENERIC_RECEIPTS,
    rejections={
        "auth": Rejection(status=401, code="unauthorized", text="missing or wrong credentials"),
        "missing-recipient": Rejection(
            status=400, code="invalid-recipient", text="'to' is required"
        ),
        "invalid-recipient": Rejection(
            status=400, code="invalid-recipient", text="'to' {to} is not an E.164 number"
        ),
        "empty-body": Rejection(status=400, code="empty-body", text="'text' is empty"),
        "missing-sender": Rejection(status=400, code="invalid-sender", text="'from' is required"),
        "invalid-callback": Rejection(
            status=400, code="invalid-callback", text="'status_callback' {url} is not a URL"
        ),
        "too-long": Rejection(
            status=400, code="too-many-segments", text="the text needs more than {limit} segments"
        ),
        "invalid-sender": Rejection(
            status=400, code="invalid-sender", text="'from' {sender} is not a sender id"
        ),
        "sender-not-owned": Rejection(
            status=400, code="invalid-sender", text="'from' {sender} is not one of this account's"
        ),
        "opted-out": Rejection(
            status=400, code="recipient-opted-out", text="the recipient replied STOP"
        ),
        "unroutable": Rejection(status=400, code="unroutable", text="no route to {to}"),
        "no-permission": Rejection(
            status=400, code="region-not-enabled", text="sending to {to} is not enabled"
        ),
        "not-mobile": Rejection(status=400, code="not-a-mobile-number", text="{to} cannot get SMS"),
        "queue-full": Rejection(status=429, code="rate-limited", text="too many messages queued"),
    },
)

PROVIDERS = {p.name: p for p in (GENERIC, TWILIO, VONAGE, INFOBIP)}

# Twilio's test-credential magic numbers; the mock honours them for every provider, each
# answering with that provider's own code for the same refusal.
MAGIC_RECIPIENTS = {
    "+15005550001": "invalid-recipient",
    "+15005550002": "unroutable",
    "+15005550003": "no-permission",
    "+15005550004": "opted-out",
    "+15005550009": "not-mobile",
}
MAGIC_SENDERS = {
    "+15005550001": "invalid-sender",
    "+15005550007": "sender-not-owned",
    "+15005550008": "queue-full",
}
TWILIO_BODY_LIMIT = 1600  # characters of Body Twilio accepts (21617 above)
