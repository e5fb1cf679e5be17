"""A server that answers every request with the same bytes, exactly as given.

aiohttp refuses to send a header that is not valid text; real devices send them anyway (a
Latin-1 ``X-Note: café``, a stray ``\\xff``). This one writes whatever it is told to.
"""

from __future__ import annotations

import asyncio
import contextlib


def answer(status: str, headers: list[bytes], body: bytes) -> bytes:
    """An HTTP/1.1 answer from raw header lines; ``Content-Length`` is added."""
    head = [b"HTTP/1.1 " + status.encode(), *headers, b"Content-Length: %d" % len(body)]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class RawServer:
    """``async with RawServer(answer(...)) as server: server.url``; counts what it answered."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.url = ""
        self.answered = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: one answer per request on the connection
                head = await reader.readuntil(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        await reader.readexactly(int(line.split(b":")[1]))
                writer.write(self.reply)
                await writer.drain()
                self.answered += 1
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
