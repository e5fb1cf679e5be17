"""Contracts: YAML with line marks, ${ENV}, a shipped meta-schema, file:line errors."""

from intcheck.contracts.loader import find_plan, load_plan

__all__ = ["find_plan", "load_plan"]
