"""Live mocks of a plan's contracts: one server, a journal of every request, faults, admin API."""

from __future__ import annotations

from intcheck.mock.journal import Journal, JournalQuery
from intcheck.mock.server import MockServer
from intcheck.mock.serving import serve

__all__ = ["Journal", "JournalQuery", "MockServer", "serve"]
