"""Who calls: known customers from the plan's datasets in every number form, unknown numbers
and withheld IDs, in the mix the contract gives.

A known caller is a dataset record with a phone number no other record shares: a company
switchboard two contacts list cannot say which of them must pop, so it is never asserted.
Numbers are read and shaped with ``phonenumbers`` (``callerid``), never with regexes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import phonenumbers

from intcheck.data import field_key, normalize_phone
from intcheck.kinds.callerid import FORMS, form_of, is_withheld, same_caller, shape

if TYPE_CHECKING:
    from intcheck.kinds.cti.contract import CtiContract

KNOWN, UNKNOWN, WITHHELD = "known", "unknown", "withheld"


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """A dataset record someone calls from, and the one number that is only theirs."""

    e164: str
    record: Mapping[str, Any]
    caller_ids: tuple[str, ...] = ()  # the dataset's own spellings of that number

    @property
    def id(self) -> str:
        return str(self.record.get("id", ""))

    @property
    def values(self) -> dict[str, str]:
        return customer_values(self.record)


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """One caller as the PBX presents them: ``number`` exactly as sent, in ``form``."""

    kind: str  # known | unknown | withheld
    number: str
    form: str  # one of FORMS, or how a withheld number is spelt ("anonymous", "")
    customer: Customer | None = None


def customer_values(record: Mapping[str, Any]) -> dict[str, str]:
    """The customer placeholders of a pop ({customer_id}, {name}, ...) from a record."""
    first, last = record.get("first_name") or "", record.get("last_name") or ""
    name = " ".join(str(p) for p in (first, last) if p) or str(record.get("name") or "")
    return {
        "customer_id": str(record.get("id", "")),
        "name": name or str(record.get("company") or ""),
        "first_name": str(first),
        "last_name": str(last),
        "company": str(record.get("company") or ""),
        "email": str(record.get("email") or ""),
    }


def phone_fields(record: Mapping[str, Any]) -> list[str]:
    """The fields of ``record`` that hold its phone numbers (not its caller-ID spellings)."""
    return [
        key
        for key in record
        if ("phone" in field_key(key) or "mobile" in field_key(key))
        and field_key(key) != "callerids"
    ]


def numbers_of(record: Mapping[str, Any], region: str) -> list[str]:
    """Every phone number of ``record`` in E.164."""
    found: list[str] = []
    for key in phone_fields(record):
        held = record[key]
        for item in held if isinstance(held, list) else [held]:
            text = item.get("number") if isinstance(item, Mapping) else item
            number = normalize_phone(text, region) if isinstance(text, str) else None
            if number is not None and number not in found:
                found.append(number)
    return found


@dataclass(slots=True)
class CallerBook:
    """The callers a contract's simulator, probe and load draw from."""

    customers: list[Customer]
    known_numbers: set[str] = field(default_factory=set)  # every dataset number, shared or not
    records: list[Mapping[str, Any]] = field(default_factory=list)  # everyone with a number

    @classmethod
    def of(cls, collections: Mapping[str, Sequence[Mapping[str, Any]]], region: str) -> CallerBook:
        owners: dict[str, list[Mapping[str, Any]]] = {}
        everyone: list[Mapping[str, Any]] = []
        for records in collections.values():
            for record in records:
                numbers = numbers_of(record, region) if "id" in record else []
                everyone += [record] if numbers else []
                for number in numbers:
                    owners.setdefault(number, []).append(record)
        customers: list[Customer] = []
        seen: set[int] = set()
        for number, records in owners.items():
            record = records[0]
            if len(records) > 1 or id(record) in seen:
                continue
            seen.add(id(record))
            spellings = tuple(
                str(c)
                for c in record.get("caller_ids", []) or []
                if same_caller(str(c), number, region)
            )
            customers.append(Customer(e164=number, record=record, caller_ids=spellings))
        return cls(customers=customers, known_numbers=set(owners), records=everyone)

    def primary(self, region: str) -> Customer | None:
        """The customer a short pass calls from: the first whose number is of ``region``."""
        for customer in self.customers:
            number = phonenumbers.parse(customer.e164, None)
            if phonenumbers.region_code_for_number(number) == region:
                return customer
        return self.customers[0] if self.customers else None

    def known(self, customer: Customer, form: str, region: str) -> Caller:
        """``customer`` as a PBX in ``region`` presents them in ``form`` (or as written)."""
        if form == "as-is" and customer.caller_ids:
            written = customer.caller_ids[0]
            return Caller(
                kind=KNOWN, number=written, form=form_of(written, region), customer=customer
            )
        form = "e164" if form == "as-is" else form
        return Caller(
            kind=KNOWN, number=shape(customer.e164, form, region), form=form, customer=customer
        )

    def caller(self, number: str, region: str) -> Caller:
        """The caller a PBX presents as ``number`` (as written in a case): a known customer when
        one of theirs, withheld when the number is a withheld spelling, else unknown."""
        if is_withheld(number):
            return Caller(kind=WITHHELD, number=number, form=number)
        for customer in self.customers:
            if same_caller(number, customer.e164, region):
                form = form_of(number, region)
                return Caller(kind=KNOWN, number=number, form=form, customer=customer)
        return Caller(kind=UNKNOWN, number=number, form=form_of(number, region))

    def unknown(self, rng: random.Random, region: str, form: str) -> Caller:
        """A valid number of ``region`` that is nobody's in the datasets."""
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        digits = str(example.national_number) if example is not None else "15112345678"
        country = example.country_code if example is not None else 49
        for _ in range(100):
            tail = "".join(rng.choice("0123456789") for _ in range(4))
            number = phonenumbers.parse(f"+{country}{digits[:-4]}{tail}", None)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if phonenumbers.is_valid_number(number) and e164 not in self.known_numbers:
                break
        form = "e164" if form == "as-is" else form
        return Caller(kind=UNKNOWN, number=shape(e164, form, region), form=form)

    def mix(self, settings: CtiContract, count: int, rng: random.Random) -> list[Caller]:
        """``count`` callers: withheld and unknown by the contract's rates, the rest known,
        each form of the mix at least once when there are enough known calls."""
        withheld = round(count * settings.withheld_rate)
        unknown = round(count * settings.unknown_rate) if self.customers else count - withheld
        known = max(0, count - withheld - unknown) if self.customers else 0
        forms = pick_forms(known, form_weights(settings), rng)
        people = list(self.customers)
        rng.shuffle(people)
        callers = [
            self.known(people[i % len(people)], forms[i], settings.region) for i in range(known)
        ]
        callers += [
            self.unknown(rng, settings.region, settings.primary_form)
            for _ in range(count - known - withheld)
        ]
        callers += [
            Caller(kind=WITHHELD, number=word, form=word)
            for word in (
                settings.withheld_as[i % len(settings.withheld_as)] for i in range(withheld)
            )
        ]
        rng.shuffle(callers)
        return callers


def form_weights(settings: CtiContract) -> dict[str, float]:
    """How often each form arrives: the contract's mix, or every form with the primary one
    half the time (a CRM must pop a known customer whatever form the number arrives in)."""
    if settings.forms:
        return dict(settings.forms)
    if settings.primary_form == "as-is":
        return {"as-is": 1.0}
    others = [f for f in FORMS if f != settings.primary_form]
    return {settings.primary_form: 0.5, **{f: 0.5 / len(others) for f in others}}


def pick_forms(count: int, weights: Mapping[str, float], rng: random.Random) -> list[str]:
    """``count`` forms by ``weights``; each form once first (most frequent first), so a short
    run still covers the whole mix."""
    ranked = sorted((f for f, w in weights.items() if w > 0), key=lambda f: -weights[f])
    picked = ranked[:count]
    names, shares = list(weights), [weights[f] for f in weights]
    picked += rng.choices(names, shares, k=count - len(picked)) if count > len(picked) else []
    return picked
