"""Phone numbers as PBXs send them all find the same customer in the shared dataset."""

from __future__ import annotations

import pytest

from intcheck.contracts import load_plan
from intcheck.data import DataStore, normalize_phone
from tests.conftest import EXAMPLE_PLAN


@pytest.mark.parametrize(
    ("sent", "region", "expected"),
    [
        ("+4930123456", "DE", "+4930123456"),
        ("004930123456", "DE", "+4930123456"),
        ("030123456", "DE", "+4930123456"),
        ("+49 (0)30 123-456", "DE", "+4930123456"),
        ("tel:+4930123456", "DE", "+4930123456"),
        ("sip:+4930123456@pbx.example.com;user=phone", "DE", "+4930123456"),
        (" 4930123456", "DE", "+4930123456"),  # an unencoded '+' decoded to a space
        ("(415) 555-1212", "US", "+14155551212"),
        ("1001", "DE", None),  # an internal extension
        ("anonymous", "DE", None),
        ("", "DE", None),
        ("+12345678901234567", "DE", None),  # more than 15 digits
    ],
)
def test_normalize_phone(sent: str, region: str, expected: str | None) -> None:
    assert normalize_phone(sent, region) == expected


def test_every_caller_id_of_a_customer_finds_that_customer() -> None:
    store = DataStore.for_plan(load_plan(EXAMPLE_PLAN, environ={}))
    customers = store.records("customers")
    assert len(customers) >= 10
    for customer in customers:
        region = customer["address"]["country"]
        for caller_id in customer["caller_ids"]:
            found = store.find_by_phone("customers", "phones", caller_id, region)
            assert customer in found, (customer["id"], caller_id)


def test_store_mutations_are_undone_by_reset() -> None:
    store = DataStore({"customers": ({"id": "C1"},)})
    store.add("customers", {"id": "C2"})
    store.records("customers")[0]["id"] = "changed"
    store.reset()
    assert store.records("customers") == [{"id": "C1"}]


def test_records_created_at_run_time_are_bounded_and_the_dataset_kept() -> None:
    # a load test creating records for hours must not grow the mock without end
    store = DataStore({"customers": ({"id": "C1"}, {"id": "C2"})}, max_created=100)
    for number in range(1000):
        store.add("customers", {"id": f"N{number}"})
    ids = [r["id"] for r in store.records("customers")]
    assert ids[:2] == ["C1", "C2"]  # the dataset's own records stay
    assert 100 <= len(ids) - 2 <= 110  # trimmed a tenth at a time
    assert ids[-1] == "N999" and "N0" not in ids  # the oldest created go first
    store.remove("customers", store.records("customers")[-1])
    store.reset()
    assert [r["id"] for r in store.records("customers")] == ["C1", "C2"]
