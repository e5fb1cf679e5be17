"""Messages per second through the mock SMTP relay: smtplib, 10 concurrent senders, 20 KB mail.

    python bench/smtp_bench.py [--messages 100] [--senders 10] [--size 20000] [--rounds 3]

``intcheck mock`` runs in its own process (as users run it: uvloop, journal on) on a plan with
one email contract; the senders are threads in this process, each with one smtplib connection
that sends ``--messages`` messages of ``--size`` bytes (text and an attachment). Two relays:
plain SMTP, and STARTTLS + AUTH PLAIN once per connection as the example contract asks. Every
message is captured, header-parsed and put through the mail checks before the relay answers
250. Printed per round and as medians: messages/s (wall clock), and the mock's CPU time per
message (user + system from /proc, steadier than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import smtplib
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.message import EmailMessage
from pathlib import Path

RELAYS = {
    "plain": "relay: {port: 0, max_size: 10485760}",
    "starttls+auth": (
        "relay: {port: 0, max_size: 10485760, starttls: required,"
        " auth: {username: crm, password: bench-password, after_tls: true}}"
    ),
}
CONTRACT = """kind: email
name: mail
{relay}
mail: {{from: service@example.com, reply_to: support@example.com, domains: [example.com]}}
"""


def _message(size: int, number: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Service <service@example.com>"
    mail["To"] = f"customer{number}@example.com"
    mail["Reply-To"] = "support@example.com"
    mail["Subject"] = f"Your case {number}"
    mail["Message-ID"] = f"<bench-{number}@example.com>"
    text = ("Hello, your case is solved: https://crm.example.com/cases/42\n" * 40)[: size // 2]
    mail.set_content(text)
    mail.add_attachment(
        b"x" * ((size - len(text)) * 3 // 4),  # base64 grows it by a third
        maintype="application",
        subtype="pdf",
        filename="case.pdf",
    )
    return mail.as_bytes(policy=policy.SMTP)  # CRLF line ends, as a mail client writes


def _start(folder: Path, relay: str) -> tuple[subprocess.Popen[str], str]:
    (folder / "plan.yaml").write_text("name: bench\nintegrations:\n  - contract: mail.yaml\n")
    (folder / "mail.yaml").write_text(CONTRACT.format(relay=relay))
    command = [sys.executable, "-m", "intcheck", "--no-color", "mock", str(folder), "--port", "0"]
    print("$", " ".join(command), flush=True)
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "smtp://" in line:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining
            return proc, line.split()[-1]
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("the mock did not start")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sender(url: str, tls: bool, messages: list[bytes]) -> None:
    host, port = url.removeprefix("smtp://").rsplit(":", 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with smtplib.SMTP(host, int(port), timeout=30) as client:
        if tls:
            client.starttls(context=context)
            client.login("crm", "bench-password")
        for number, raw in enumerate(messages):
            refused = client.sendmail("service@example.com", [f"customer{number}@example.com"], raw)
            assert not refused, refused


def _round(url: str, pid: int, tls: bool, args: argparse.Namespace) -> tuple[float, float]:
    batches = [
        [_message(args.size, s * args.messages + n) for n in range(args.messages)]
        for s in range(args.senders)
    ]
    cpu, started = _cpu_s(pid), time.perf_counter()
    with ThreadPoolExecutor(args.senders) as pool:
        for done in [pool.submit(_sender, url, tls, batch) for batch in batches]:
            done.result()
    wall, used = time.perf_counter() - started, _cpu_s(pid) - cpu
    total = args.senders * args.messages
    return total / wall, used / total * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100, help="messages per sender")
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--size", type=int, default=20_000, help="bytes per message")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = len(_message(args.size, 0))
    print(
        f"{args.senders} senders x {args.messages} messages of {size} bytes, {args.rounds} rounds"
    )
    for name, relay in RELAYS.items():
        with tempfile.TemporaryDirectory(prefix="intcheck-smtp-bench-") as folder:
            proc, url = _start(Path(folder), relay)
            try:
                _round(
                    url,
                    proc.pid,
                    name != "plain",
                    argparse.Namespace(**{**vars(args), "messages": 5}),
                )
                rates, costs = [], []
                for number in range(args.rounds):
                    rate, cost = _round(url, proc.pid, name != "plain", args)
                    rates.append(rate)
                    costs.append(cost)
                    print(
                        f"  {name:<14} round {number + 1}: {rate:7.0f} messages/s, "
                        f"mock CPU {cost:.2f} ms/message"
                    )
                print(
                    f"{name:<14} median {statistics.median(rates):7.0f} messages/s, "
                    f"mock CPU {statistics.median(costs):.2f} ms/message"
                )
            finally:
                proc.terminate()
                proc.wait(10)


if __name__ == "__main__":
    main()
