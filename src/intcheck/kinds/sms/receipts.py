"""The mock gateway's delivery receipts: posted to each message's status callback, with retries.

Each accepted message ends in the outcome drawn from the contract's mix, reported as the
provider reports it (Twilio ``sent`` then ``delivered`` or ``undelivered`` with 3000x codes,
Vonage ``accepted`` then ``delivered``/``failed`` with ``err-code`` per part, Infobip one final
report), each receipt ``delay_ms`` (±50 %) after the previous, signed as the provider signs.
A CRM that does not answer 2xx gets the receipt again after ``retry_ms``, then twice that, …,
``retries`` times at most. Every attempt is journaled (``protocol: http-out``) and kept on the
message for the admin API.

This client is the mock's own (with its own timeouts): the probe's hardened transport lives in
``probe/``, which kinds may not import.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp

from intcheck.kinds.sms import payloads
from intcheck.kinds.sms.contract import Webhook
from intcheck.kinds.sms.webhooks import outbound

if TYPE_CHECKING:
    import random

    from intcheck.kinds.base import JournalSink
    from intcheck.kinds.probing import ProbeRequest
    from intcheck.kinds.sms.contract import SmsContract
    from intcheck.kinds.sms.messages import Delivery, Message
    from intcheck.kinds.sms.providers import Code

MAX_PENDING = 5_000  # messages whose receipts are under way; beyond, receipts are not sent
MAX_BACKOFF_S = 60.0
CONNECT_TIMEOUT_S = 2.0
TOTAL_TIMEOUT_S = 5.0


def backoffs(retries: int, retry_ms: float) -> list[float]:
    """The waits (seconds) before each retry: ``retry_ms``, doubled each time, capped.

    >>> backoffs(3, 500)
    [0.5, 1.0, 2.0]
    """
    return [min(retry_ms * 2**n / 1000, MAX_BACKOFF_S) for n in range(retries)]


class ReceiptSender:
    """A ``MockService``: sends the receipts of the messages the gateway accepted."""

    def __init__(self, contract: SmsContract, journal: JournalSink, rng: random.Random) -> None:
        self.contract = contract
        self.journal = journal
        self.rng = rng
        receipts = contract.receipts
        default = Webhook(path="", method="POST", encoding=contract.provider.webhook_encoding)
        self.webhook = receipts.webhook if receipts is not None else default
        self.delay_s = (receipts.delay_ms if receipts is not None else 200.0) / 1000
        self.backoffs = backoffs(
            receipts.retries if receipts is not None else 3,
            receipts.retry_ms if receipts is not None else 500.0,
        )
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=TOTAL_TIMEOUT_S, sock_connect=CONNECT_TIMEOUT_S),
            connector=aiohttp.TCPConnector(limit=32),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def endpoints(self) -> list[tuple[str, str]]:
        receipts = self.contract.receipts
        if receipts is None or not self.contract.target:
            return []
        return [("delivery receipts to", self.contract.target + receipts.webhook.path)]

    def schedule(self, message: Message, delivery: Delivery) -> None:
        """Send ``message``'s receipts in the background (or say why they are not sent)."""
        why = ""
        if self._session is None:
            why = "the receipt sender is not running"
        elif len(self._tasks) >= MAX_PENDING:
            why = f"more than {MAX_PENDING} messages are waiting for receipts"
        if why:
            delivery.receipts.append({"status": None, "sent": False, "note": f"not sent: {why}"})
            self.journal(
                "delivery-receipt",
                protocol="http-out",
                method="POST",
                path=message.callback,
                validation="not-sent",
                note=f"receipts of {message.id} not sent: {why}",
            )
            return
        task = asyncio.get_running_loop().create_task(self._run(message, delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, message: Message, delivery: Delivery) -> None:
        outcome = self.contract.provider.outcomes[message.outcome]
        error = self.rng.choice(outcome.errors) if outcome.errors else None
        steps: list[tuple[str, Code | None]] = [(s, None) for s in outcome.before]
        steps.append((outcome.final, error))
        # Vonage reports each part of a concatenated message on its own
        parts = range(len(message.part_ids)) if self.contract.provider.name == "vonage" else [0]
        for status, code in steps:
            await asyncio.sleep(self.delay_s * self.rng.uniform(0.5, 1.5))
            for part in parts:
                await self._post(message, delivery, status, code, part)
            payloads.apply(delivery, status, code)

    async def _post(
        self, message: Message, delivery: Delivery, status: str, code: Code | None, part: int
    ) -> None:
        record: dict[str, Any] = {"status": status, "part": part, "sent": False, "attempts": []}
        delivery.receipts.append(record)
        params = payloads.receipt(self.contract, message, status, code, part=part)
        total = len(self.backoffs) + 1
        for attempt in range(total):
            # signed again on each attempt, as the gateway would (a fresh Vonage timestamp)
            request = outbound(
                message.callback,
                self.webhook,
                params,
                self.contract.signature,
                self.contract.webhook_auth,
            )
            answered, error, took_ms = await self._deliver(request)
            ok = answered is not None and 200 <= answered < 300
            wait = self.backoffs[attempt] if not ok and attempt < total - 1 else None
            record["attempts"].append(
                {
                    "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "status": answered,
                    "error": error,
                }
            )
            self._journal(
                request,
                message.part_ids[part],
                status,
                attempt,
                total,
                answered,
                error,
                took_ms,
                wait,
            )
            if ok:
                record["sent"] = True
                return
            if wait is not None:
                await asyncio.sleep(wait)

    async def _deliver(self, request: ProbeRequest) -> tuple[int | None, str, float]:
        """The CRM's status (None when it gave none), what went wrong, and how long it took."""
        assert self._session is not None
        started = time.perf_counter()
        try:
            async with self._session.request(
                request.method,
                request.url,
                headers=dict(request.headers),
                data=request.body or None,
                allow_redirects=False,
            ) as response:
                await response.content.read(64 * 1024)  # drain a little; the answer is not used
                return response.status, "", (time.perf_counter() - started) * 1000
        except TimeoutError:
            return None, f"no answer within {TOTAL_TIMEOUT_S:g} s", _since(started)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}", _since(started)

    def _journal(
        self,
        request: ProbeRequest,
        message_id: str,
        status: str,
        attempt: int,
        total: int,
        answered: int | None,
        error: str,
        took_ms: float,
        wait: float | None,
    ) -> None:
        outcome = f"answered {answered}" if answered is not None else f"failed: {error}"
        note = f"{message_id} {status}: attempt {attempt + 1} of {total}, {outcome}"
        if wait is not None:
            note += f"; next in {wait:g} s"
        if answered is None:
            validation = "crm-unreachable"
        else:
            validation = "ok" if 200 <= answered < 300 else f"crm-answered-{answered}"
        self.journal(
            "delivery-receipt",
            protocol="http-out",
            method=request.method,
            path=request.url,
            headers=tuple(request.headers.items()),
            body=request.body,
            validation=validation,
            status=answered or 0,
            duration_ms=took_ms,
            note=note,
        )


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
