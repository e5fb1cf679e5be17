"""Endpoints that misbehave below the contract: they stall, flood, reset or lie in HTTP itself.

A raw asyncio server (aiohttp would refuse to send most of this) on 127.0.0.1:0. Each
behaviour is one coroutine that gets the connection after the request head was read.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import ssl
import struct
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def billion_laughs(root: str) -> bytes:
    """A document whose DTD expands ``&lol9;`` to 10^9 bytes; ``root`` uses ``&lol9;``."""
    names = ["lol", *(f"lol{n}" for n in range(1, 10))]
    entities = [' <!ENTITY lol "lol">']
    entities += [f' <!ENTITY {names[n]} "{f"&{names[n - 1]};" * 10}">' for n in range(1, 10)]
    doctype = "<!DOCTYPE lolz [\n" + "\n".join(entities) + "\n]>"
    return f'<?xml version="1.0"?>\n{doctype}\n{root}\n'.encode()


XML_BOMB = billion_laughs(
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>\n'
    '<GetOrderResponse xmlns="urn:example:orders:v1">&lol9;</GetOrderResponse>\n'
    "</soap:Body></soap:Envelope>"
)


def _head(status: str, *headers: str) -> bytes:
    return ("HTTP/1.1 " + status + "\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode()


async def slowloris(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    while True:  # one byte of a never-ending header every 100 ms
        writer.write(b"X")
        await writer.drain()
        await asyncio.sleep(0.1)


async def endless_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(_head("200 OK", "Content-Type: application/json", "Transfer-Encoding: chunked"))
    chunk = b"[" * 65536
    while True:
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()


async def huge_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(_head("200 OK", "X-Huge: " + "a" * 200_000, "Content-Length: 2") + b"{}")
    await writer.drain()


_BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


async def gzip_bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(
        _head(
            "200 OK",
            "Content-Type: application/json",
            "Content-Encoding: gzip",
            f"Content-Length: {len(_BOMB)}",
        )
        + _BOMB
    )
    await writer.drain()


async def xml_bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(
        _head("200 OK", "Content-Type: text/xml; charset=utf-8", f"Content-Length: {len(XML_BOMB)}")
        + XML_BOMB
    )
    await writer.drain()


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    # SO_LINGER with a zero timeout turns close() into a TCP RST.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)  # half-open: the connection stays, no answer ever comes


async def redirect_loop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(_head("302 Found", "Location: /loop", "Content-Length: 0"))
    await writer.drain()


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"\x16\x03\x01 this is not HTTP at all\r\n\r\n")
    await writer.drain()


BEHAVIOURS: dict[str, Behaviour] = {
    "slowloris": slowloris,
    "endless_body": endless_body,
    "huge_headers": huge_headers,
    "gzip_bomb": gzip_bomb,
    "xml_bomb": xml_bomb,
    "reset": reset,
    "hang": hang,
    "redirect_loop": redirect_loop,
    "garbage": garbage,
}


class HostileServer:
    """``async with HostileServer("reset") as server: server.url``."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = BEHAVIOURS[behaviour]
        self.url = ""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> HostileServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            await self.behaviour(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.transport.abort()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1, made with the openssl command line."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


class TlsServer:
    """A correct-looking JSON endpoint behind a self-signed certificate."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> TlsServer:
        cert, key = self_signed_certificate(self.folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        self.url = f"https://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _answer(self, request: web.Request) -> web.Response:
        return web.json_response({"title": "not found", "status": 404}, status=404)
