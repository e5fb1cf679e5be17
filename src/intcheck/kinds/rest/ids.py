"""The ids a create hands out: the next number when ids are numbered, else drawn from the schema.

Real systems hand out the next number (C000012 → C000013), which is also much cheaper than
drawing ids from the id field's pattern until one is free. Whether ids are numbered, and the
highest number, are read from the records once per dataset generation (once after a reset);
from then on every create costs a few lookups in the store's id index, the same after 100 000
records as after 10. A set of taken ids is never kept beside the records: the index is it, and
it shrinks with the records the store drops to keep its bound.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from intcheck.data import value_keys

if TYPE_CHECKING:
    from intcheck.data import DataStore
    from intcheck.kinds.valuegen import Generator

_NUMBERED = re.compile(r"([^0-9]*)([0-9]+)")
_TRIES = 50  # candidates tried before a UUID is used
_MAX_DIGITS = 30  # longer runs of digits are not a counter


@dataclass(slots=True)
class _Sequence:
    generation: int  # the store's generation it was read from
    prefix: str | None  # None: ids are not numbered
    width: int
    highest: int
    integer: bool  # ids are JSON integers (1, 2, 3) rather than text (C000001)


class IdMaker:
    """New ids for one collection's ``field``: free in the store, valid for ``id_schema``."""

    def __init__(
        self,
        store: DataStore,
        collection: str,
        field: str,
        id_schema: Any,
        generator: Generator,
        types: Callable[[Any], set[str]],
    ) -> None:
        self.store = store
        self.collection = collection
        self.field = field
        self.id_schema = id_schema
        self.generator = generator
        self.integer_ids = "integer" in types(id_schema) and "string" not in types(id_schema)
        self._sequence: _Sequence | None = None
        self._handed: tuple[Any, int] = (None, 0)  # the last numbered id new() handed out
        self.numbering = True  # False once a numbered id broke the id field's schema

    def new(self) -> tuple[Any, bool]:
        """A free id, and whether it is the next number (which the caller may find unfit)."""
        sequence = self._sequence
        if sequence is None or sequence.generation != self.store.generation:
            sequence = self._sequence = self._read()
        if self.numbering and sequence.prefix is not None:
            holds, collection, field = self.store.holds, self.collection, self.field
            for number in range(sequence.highest + 1, sequence.highest + _TRIES + 1):
                made: Any = (
                    number
                    if sequence.integer
                    else sequence.prefix + str(number).zfill(sequence.width)
                )
                if not holds(collection, field, made):
                    self._handed = (made, number)
                    return made, True
        return self.drawn(), False

    def drawn(self) -> Any:
        """An id generated from the id field's schema (its pattern) that is free, else a UUID."""
        for _ in range(_TRIES):
            made = (
                self.generator.generate(self.id_schema, name=self.field) if self.id_schema else ""
            )
            if made not in ("", None) and not self.store.holds(self.collection, self.field, made):
                return made
        return str(uuid.uuid4())

    def used(self, made: Any) -> None:
        """``made`` is now taken: the next number comes after it."""
        sequence = self._current()
        if sequence.prefix is None:
            return
        if self._handed[0] is made:  # the number new() handed out: no need to read it again
            sequence.highest = max(sequence.highest, self._handed[1])
            return
        if isinstance(made, int) and not isinstance(made, bool):
            if sequence.integer:
                sequence.highest = max(sequence.highest, made)
            return
        match = _NUMBERED.fullmatch(str(made))
        if (
            match is not None
            and match.group(1) == sequence.prefix
            and len(match.group(2)) <= _MAX_DIGITS
            and not sequence.integer
        ):
            sequence.highest = max(sequence.highest, int(match.group(2)))

    def _current(self) -> _Sequence:
        sequence = self._sequence
        if sequence is None or sequence.generation != self.store.generation:
            sequence = self._sequence = self._read()
        return sequence

    def _read(self) -> _Sequence:
        """Numbered ids (all one prefix and digits, or all integers), read from the records."""
        generation = self.store.generation
        held = [r.get(self.field) for r in self.store.records(self.collection)]
        held = [h for h in held if value_keys(h)]
        if not held:  # nothing to number after: integers start at 1, text at its example
            if self.integer_ids:
                return _Sequence(generation, "", 0, 0, True)
            example = _example(self.generator._deref(self.id_schema))
            match = _NUMBERED.fullmatch(example) if example is not None else None
            if match is None or len(match.group(2)) > _MAX_DIGITS:
                return _Sequence(generation, None, 0, 0, False)
            first = int(match.group(2))
            return _Sequence(generation, match.group(1), len(match.group(2)), first - 1, False)
        numbers = [h for h in held if isinstance(h, int) and not isinstance(h, bool)]
        if len(numbers) == len(held):
            return _Sequence(generation, "", 0, max(numbers), True)
        numbered = [m for m in map(_NUMBERED.fullmatch, map(str, held)) if m is not None]
        prefixes = {m.group(1) for m in numbered}
        too_long = any(len(m.group(2)) > _MAX_DIGITS for m in numbered)
        if len(numbered) != len(held) or len(prefixes) != 1 or too_long:
            return _Sequence(generation, None, 0, 0, False)
        width = len(numbered[0].group(2))
        highest = max(int(m.group(2)) for m in numbered)
        return _Sequence(generation, prefixes.pop(), width, highest, False)


def _example(schema: Any) -> str | None:
    """The id the spec shows (``example: "12345"``), where ids are numbered after it."""
    if not isinstance(schema, dict):
        return None
    for key in ("example", "default"):
        if isinstance(schema.get(key), str):
            return str(schema[key])
    examples = schema.get("examples")
    return (
        examples[0]
        if isinstance(examples, list) and examples and isinstance(examples[0], str)
        else None
    )
