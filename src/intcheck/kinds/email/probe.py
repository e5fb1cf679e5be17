"""``intcheck probe`` for email: the real SMTP relay, checked against the contract.

Cases (the SMTP ones each a ``ProbeCase.perform``: SMTP is not one HTTP request):

- ``<name>:relay#session``: greeting, EHLO, MAIL FROM before TLS, STARTTLS, the certificate,
  EHLO again; checked by the claims below. Its status is the greeting's reply code (220).
- ``<name>:relay#login:<MECHANISM>`` (with credentials): AUTH after TLS is accepted (235), and
  ``#login:wrong-password``: a wrong password is refused (535).
- ``<name>:send#test-message`` (with ``relay.sink``): one small message to the sink. It writes,
  so ``--read-only`` holds it back.
- ``<name>:send#case:<name>``, ``<name>:inbound#case:<name>``: the contract's written cases
  (``written``): a message handed to the relay, a customer's mail delivered to the CRM.
- ``<name>:inbound``: without written cases not probed (said so): ``intcheck simulate``
  delivers inbound mail.

Could not connect, timed out, TLS broke off: ERRORED. The relay answered and broke a claim:
FAILED. A claim the contract does not make, or that cannot apply (no TLS, no SIZE): SKIPPED.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from intcheck.kinds.email.contract import EmailSettings
from intcheck.kinds.email.smtpprobe import (
    Endpoint,
    observe_session,
    perform,
    send_test_message,
    try_login,
)
from intcheck.kinds.email.written import WrittenMail
from intcheck.kinds.probing import (
    Check,
    Exchange,
    Finding,
    ProbeCase,
    ProbeRequest,
    written_cases,
)
from intcheck.model import Severity, Status

if TYPE_CHECKING:
    from intcheck.kinds.probing import DatasetIndex
    from intcheck.model import Contract, Operation


def _skip(why: str) -> Finding:
    return Finding(why, Status.SKIPPED)


def _settings(case: ProbeCase) -> EmailSettings:
    settings: EmailSettings = case.data["settings"]
    return settings


def ehlo_is_accepted(case: ProbeCase, exchange: Exchange) -> Finding | None:
    code = exchange.observed.get("ehlo_code")
    return None if code == 250 else Finding(f"EHLO was answered {code}, expected 250")


def starttls_is_offered(case: ProbeCase, exchange: Exchange) -> Finding | None:
    relay = _settings(case).relay
    if not relay.tls:
        return _skip("the contract does not ask for TLS (relay.starttls is off)")
    if exchange.observed.get("url", "").startswith("smtps://"):
        return None  # implicit TLS from the first byte
    if exchange.observed.get("before_tls", {}).get("starttls"):
        return None
    return Finding(f"STARTTLS is not offered; the contract says relay.starttls: {relay.starttls}")


def starttls_is_required(case: ProbeCase, exchange: Exchange) -> Finding | None:
    if _settings(case).relay.starttls != "required":
        return _skip("the contract does not require STARTTLS")
    observed = exchange.observed
    if "before_tls" not in observed:
        return None  # implicit TLS: nothing is ever sent in the clear
    mail = str(observed.get("mail_before_tls", ""))
    open_mechanisms = observed["before_tls"].get("mechanisms", [])
    if mail[:1] in ("4", "5") and not open_mechanisms:
        return None
    if open_mechanisms:
        return Finding(
            f"AUTH {' '.join(open_mechanisms)} is offered before STARTTLS: credentials may "
            "cross the network in the clear"
        )
    return Finding(f"MAIL FROM before STARTTLS was accepted ({mail}); TLS is not required")


def _certificate(exchange: Exchange) -> tuple[dict[str, Any] | None, Finding | None]:
    tls = exchange.observed.get("tls")
    if tls is None:
        return None, _skip("no TLS session: the relay offers no STARTTLS")
    certificate = tls.get("certificate")
    if certificate is None:
        return None, Finding(f"the TLS handshake failed: {tls.get('error', 'no certificate')}")
    return certificate, None


def certificate_is_trusted(case: ProbeCase, exchange: Exchange) -> Finding | None:
    if exchange.observed.get("insecure"):
        return _skip("--insecure: the certificate chain was not verified")
    certificate, finding = _certificate(exchange)
    if certificate is None:
        return finding
    tls = exchange.observed["tls"]
    if tls.get("verified"):
        return None
    return Finding(f"the certificate is not trusted: {tls.get('verify_error', 'unverified')}")


def certificate_matches_hostname(case: ProbeCase, exchange: Exchange) -> Finding | None:
    certificate, finding = _certificate(exchange)
    if certificate is None:
        return finding
    if certificate["hostname_matches"]:
        return None
    names = ", ".join(certificate["dns_names"] + certificate["ip_addresses"]) or "none"
    return Finding(f"the certificate is not for {certificate['hostname']} (it names {names})")


def certificate_is_not_expiring(case: ProbeCase, exchange: Exchange) -> Finding | None:
    certificate, finding = _certificate(exchange)
    if certificate is None:
        return finding
    days, margin = certificate["days_left"], _settings(case).relay.min_days
    if days < 0:
        return Finding(f"the certificate expired on {certificate['not_after']}")
    if days < margin:
        return Finding(
            f"the certificate expires in {days:g} days ({certificate['not_after']}), "
            f"less than relay.certificate.min_days {margin}"
        )
    return None


def auth_is_offered_only_after_tls(case: ProbeCase, exchange: Exchange) -> Finding | None:
    auth = _settings(case).relay.auth
    if auth is None:
        return _skip("the contract names no relay credentials")
    observed = exchange.observed
    before = observed.get("before_tls", {}).get("mechanisms", [])
    after = observed.get("after_tls", observed.get("before_tls", {})).get("mechanisms", [])
    if auth.after_tls and before:
        return Finding(f"AUTH {' '.join(before)} is offered before STARTTLS")
    missing = [m for m in auth.mechanisms if m not in after]
    if missing:
        offered = " ".join(after) or "no AUTH"
        return Finding(f"AUTH {' '.join(missing)} is not offered after TLS (offered: {offered})")
    return None


def size_fits_largest_message(case: ProbeCase, exchange: Exchange) -> Finding | None:
    observed = exchange.observed
    capabilities = observed.get("after_tls") or observed.get("before_tls") or {}
    size = capabilities.get("size")
    wanted = _settings(case).relay.max_size
    if size is None:
        return _skip("the relay does not advertise SIZE (RFC 1870): its limit is unknown")
    if wanted is None or size == 0 or size >= wanted:
        return None  # SIZE 0: no fixed limit
    return Finding(f"the relay takes at most {size} bytes, the contract sends up to {wanted}")


def credentials_are_accepted(case: ProbeCase, exchange: Exchange) -> Finding | None:
    code = exchange.observed.get("code")
    if code == 235:
        return None
    return Finding(f"AUTH {case.data['mechanism']} was answered {exchange.observed.get('reply')}")


def wrong_credentials_are_refused(case: ProbeCase, exchange: Exchange) -> Finding | None:
    code = int(exchange.observed.get("code") or 0)
    if 500 <= code < 600 or code == 454:
        return None
    return Finding(f"a wrong password was answered {exchange.observed.get('reply')}, expected 535")


def test_message_is_accepted(case: ProbeCase, exchange: Exchange) -> Finding | None:
    observed = exchange.observed
    if observed.get("code") == 250 and not observed.get("refused"):
        return None
    return Finding(f"the test message to {case.data['sink']} was answered {observed.get('reply')}")


SESSION_CHECKS = (
    Check(name="ehlo_is_accepted", function=ehlo_is_accepted),
    Check(name="starttls_is_offered", function=starttls_is_offered, severity=Severity.CRITICAL),
    Check(name="starttls_is_required", function=starttls_is_required, severity=Severity.CRITICAL),
    Check(name="certificate_is_trusted", function=certificate_is_trusted),
    Check(name="certificate_matches_hostname", function=certificate_matches_hostname),
    Check(name="certificate_is_not_expiring", function=certificate_is_not_expiring),
    Check(
        name="auth_is_offered_only_after_tls",
        function=auth_is_offered_only_after_tls,
        severity=Severity.CRITICAL,
    ),
    Check(
        name="size_fits_largest_message",
        function=size_fits_largest_message,
        severity=Severity.MEDIUM,
    ),
)


class EmailProber:
    """The ``Prober`` of the email kind."""

    def writes(self, operation: Operation) -> bool:
        return operation.name in ("send", "inbound")

    def build_cases(self, contract: Contract, target: str, index: DatasetIndex) -> list[ProbeCase]:
        settings = EmailSettings.of(contract)
        relay = settings.relay
        # --target NAME=smtp://... names the relay; the contract's own target is the CRM
        url = (
            target
            if target.startswith(("smtp://", "smtps://")) and target != contract.target
            else relay.url
        )
        operations = {op.name: op for op in contract.operations}
        endpoint = _endpoint(url, settings) if url else None
        written = WrittenMail(
            contract, settings, relay=endpoint, crm=crm_url(contract, target)
        ).cases(written_cases(contract))
        cases: list[ProbeCase] = []
        # inbound mail is the simulator's, unless the contract writes cases for it
        if "inbound" in operations and not any(c.operation.name == "inbound" for c in written):
            cases.append(
                ProbeCase(
                    id=f"{operations['inbound'].id}#not-probed",
                    operation=operations["inbound"],
                    kind="contract",
                    request=ProbeRequest(method="POST", url=target),
                    checks=(),
                    source=operations["inbound"].source,
                    skip="inbound mail is delivered to the CRM by `intcheck simulate`, not probed",
                    skipped_by="operation_is_probed",
                )
            )
        if endpoint is None:
            return [
                *cases,
                *(
                    ProbeCase(
                        id=f"{operations[name].id}#session",
                        operation=operations[name],
                        kind="contract",
                        request=ProbeRequest(method="SMTP", url=""),
                        checks=(),
                        source=operations[name].source,
                        skip="no SMTP endpoint: set relay.url or pass "
                        f"--target {contract.name}=smtp://host:587",
                    )
                    for name in ("relay", "send")
                ),
                *written,
            ]
        describe = ProbeRequest(method="SMTP", url=url)
        data = {"settings": settings}

        def case(
            operation: str, suffix: str, dialogue: Any, checks: tuple[Check, ...], **extra: Any
        ) -> ProbeCase:
            return ProbeCase(
                id=f"{operations[operation].id}#{suffix}",
                operation=operations[operation],
                kind="contract",
                request=describe,
                checks=checks,
                expect_status=("220",),
                source=operations[operation].source,
                data={**data, **extra},
                perform=partial(perform, describe, dialogue, endpoint),
            )

        cases.append(case("relay", "session", observe_session, SESSION_CHECKS))
        if relay.auth is not None:
            auth = relay.auth
            accepted = Check(
                name="credentials_are_accepted",
                function=credentials_are_accepted,
                severity=Severity.CRITICAL,
            )
            for mechanism in auth.mechanisms:
                dialogue = partial(_login, auth.username, auth.password, mechanism)
                cases.append(
                    case("relay", f"login:{mechanism}", dialogue, (accepted,), mechanism=mechanism)
                )
            refused = Check(
                name="wrong_credentials_are_refused",
                function=wrong_credentials_are_refused,
                severity=Severity.HIGH,
            )
            wrong = partial(_login, auth.username, auth.password + "-wrong", auth.mechanisms[0])
            cases.append(
                case(
                    "relay", "login:wrong-password", wrong, (refused,), mechanism=auth.mechanisms[0]
                )
            )
        if relay.sink:
            credentials = (relay.auth.username, relay.auth.password) if relay.auth else None
            sender = settings.mail.sender or (
                relay.auth.username
                if relay.auth and "@" in relay.auth.username
                else "intcheck-probe@example.invalid"
            )
            dialogue = partial(_send, sender, relay.sink, credentials)
            accepted_message = Check(
                name="test_message_is_accepted", function=test_message_is_accepted
            )
            cases.append(
                case("send", "test-message", dialogue, (accepted_message,), sink=relay.sink)
            )
        return [*cases, *written]


def _endpoint(url: str, settings: EmailSettings) -> Endpoint:
    """The relay at ``url``, with the certificate name and CA the contract gives for it."""
    relay = settings.relay
    hostname = relay.hostname if relay.hostname and relay.url == url else ""
    return Endpoint(
        url=url,
        hostname=hostname or Endpoint(url=url, hostname="").host,
        ca_file=str(relay.ca_file) if relay.ca_file else None,
    )


def crm_url(contract: Contract, target: str) -> str:
    """Where written inbound mail goes: an http(s) ``--target`` (the CRM), else ``target``."""
    if target.startswith(("http://", "https://")):
        return target
    return contract.target


def _login(username: str, password: str, mechanism: str, endpoint: Endpoint) -> dict[str, Any]:
    return try_login(endpoint, username, password, mechanism)


def _send(
    sender: str, sink: str, credentials: tuple[str, str] | None, endpoint: Endpoint
) -> dict[str, Any]:
    return send_test_message(endpoint, sender, sink, credentials)
