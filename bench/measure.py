"""How the mock benchmark measures: wrk runs, callgrind counts, and the lines it prints."""

from __future__ import annotations

import http.client
import json
import re
import statistics
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mock_servers import AUTH, Scenario, Server


@dataclass
class Run:
    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    non_2xx: int
    cpu_us: float = 0.0  # server CPU per request


def wrk(
    url: str,
    duration: float,
    connections: int,
    script: str | None = None,
    *,
    pin: bool = True,
) -> Run:
    command = [*(["taskset", "-c", "1"] if pin else []), "wrk", "-t1" if pin else "-t2"]
    command += [f"-c{connections}", f"-d{duration}s", "--latency"]
    command += ["-H", f"Authorization: {AUTH['Authorization']}"]
    if script:
        command += ["-s", script]
    command.append(url)
    print("$", " ".join(command), flush=True)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Run(
        rps=float(_find(r"Requests/sec:\s+([\d.]+)", out)),
        requests=int(_find(r"(\d+) requests in", out)),
        p50_ms=_ms(_find(r"50%\s+([\d.]+\w+)", out)),
        p99_ms=_ms(_find(r"99%\s+([\d.]+\w+)", out)),
        non_2xx=int(non2xx.group(1)) if non2xx else 0,
    )


def measured(
    server: Server, url: str, duration: float, connections: int, script: str | None
) -> Run:
    before = server.cpu_seconds()
    run = wrk(url, duration, connections, script)
    run.cpu_us = (server.cpu_seconds() - before) / max(run.requests, 1) * 1e6
    return run


def _find(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"wrk printed no {pattern!r}:\n{text}")
    return found.group(1)


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def lua(folder: Path, scenario: Scenario) -> str | None:
    """The wrk script sending ``scenario`` (None for a plain GET with the bearer header)."""
    if scenario.body is None:
        return None
    lines = [f'wrk.method = "{scenario.method}"']
    lines += [
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in scenario.headers.items()
    ]
    if scenario.varied == "body":
        # mock_servers.varied_get_order in Lua: a trace header, a Body prefix and an order of
        # their own on every request
        envelope = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        lines += [
            "counter = 0",
            "request = function()",
            "  counter = counter + 1",
            "  local n = counter",
            '  local order = string.format("O2026%04d", n % 18 + 1)',
            '  local body = \'<?xml version="1.0" encoding="utf-8"?>\''
            f" .. '{envelope}'"
            " .. '<soap:Header><t:Trace xmlns:t=\"urn:trace\">' .. n .. '</t:Trace></soap:Header>'"
            " .. '<soap:Body><o' .. n .. ':GetOrder xmlns:o' .. n .. '=\"urn:example:orders:v1\">'"
            " .. '<o' .. n .. ':OrderId>' .. order .. '</o' .. n .. ':OrderId></o' .. n"
            " .. ':GetOrder></soap:Body></soap:Envelope>'",
            "  return wrk.format(nil, nil, nil, body)",
            "end",
        ]
    elif scenario.varied:
        # a trace header that differs on every request, as a WS-Security nonce does: the
        # request bytes never repeat, so no answer can be reused by its bytes
        head, tail = scenario.body.decode().split("<soap:Body>")
        before = json.dumps(head + '<soap:Header><t:Trace xmlns:t="urn:trace">')
        after = json.dumps("</t:Trace></soap:Header><soap:Body>" + tail)
        lines += [
            "counter = 0",
            "request = function()",
            "  counter = counter + 1",
            f"  return wrk.format(nil, nil, nil, {before} .. counter .. {after})",
            "end",
        ]
    else:
        lines.append(f"wrk.body = {json.dumps(scenario.body.decode())}")
    path = folder / f"{scenario.name.replace(' ', '-').lower()}.lua"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def fetch(
    url: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> bytes:
    request = urllib.request.Request(url, data=data, headers=headers or dict(AUTH), method=method)
    with urllib.request.urlopen(request, timeout=120) as resp:
        return bytes(resp.read())


def journal_total(base: str) -> int:
    """Requests the mock answered: those its journal holds and those it dropped to stay within
    its disk bound (``--journal-max-mb``), which a million requests overflow."""
    answer = json.loads(fetch(base + "/__intcheck/journal?limit=1"))
    return int(answer["total"]) + int(answer.get("dropped", 0))


# -- printing -----------------------------------------------------------------------------


def median(runs: list[Run], field: str) -> float:
    return float(statistics.median(getattr(run, field) for run in runs))


def row(name: str, runs: list[Run], versus: list[Run] | None = None, label: str = "") -> None:
    line = (
        f"{name:<44} {median(runs, 'rps'):>8.0f} req/s  p50 {median(runs, 'p50_ms'):6.2f} ms"
        f"  p99 {median(runs, 'p99_ms'):6.2f} ms"
    )
    if any(run.cpu_us for run in runs):
        line += f"  cpu {median(runs, 'cpu_us'):6.1f} us/req"
    if versus:
        share = median(runs, "rps") / median(versus, "rps")
        rounds = ", ".join(f"{a.rps / b.rps:.0%}" for a, b in zip(runs, versus, strict=False))
        line += f"  {share:6.1%} of {label or 'raw'} (rounds: {rounds})"
        if all(run.cpu_us for run in runs + versus):
            line += f"; cpu ratio {median(versus, 'cpu_us') / median(runs, 'cpu_us'):.0%}"
    bad = sum(run.non_2xx for run in runs)
    print(line + (f"  NON-2xx {bad}" if bad else ""), flush=True)


# -- callgrind ------------------------------------------------------------------------------


def control(server: Server, *command: str) -> None:
    subprocess.run(
        ["callgrind_control", *command, str(server.pid)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def sequential(port: int, scenario: Scenario, count: int, start: int = 0) -> None:
    """``count`` requests of ``scenario``, one after the other on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        for number in range(start, start + count):
            body = scenario.body_for(number)
            connection.request(scenario.method, scenario.path, body=body, headers=scenario.headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 300:
                raise RuntimeError(f"{scenario.name} {scenario.path} answered {response.status}")
    finally:
        connection.close()


def latest_total(out: Path) -> int:
    """Instructions in the newest callgrind dump next to ``out``."""
    time.sleep(1.0)  # the dump is written by the server process
    dumps = sorted(out.parent.glob(out.name + ".*"), key=lambda p: p.stat().st_mtime)
    text = dumps[-1].read_text()
    found = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no totals in {dumps[-1]}")
    return int(found.group(1))
