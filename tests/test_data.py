"""Phone numbers as PBXs send them all find the same customer in the shared dataset."""

from __future__ import annotations

import pytest

from intcheck.contracts import load_plan
from intcheck.data import DataStore, normalize_phone, phone_keys, text_keys, value_keys
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
    assert len(ids) == 102 and ids[2:] == [f"N{n}" for n in range(900, 1000)]
    store.remove("customers", store.records("customers")[-1])
    store.reset()
    assert [r["id"] for r in store.records("customers")] == ["C1", "C2"]


def test_taken_ids_are_bounded() -> None:
    # the ids a create must avoid are the index of the records held, dropped with them
    store = DataStore({"customers": ({"id": "C1", "email": "a@x.de"},)}, max_created=50)
    for number in range(5000):
        store.add("customers", {"id": f"N{number}", "email": f"n{number}@x.de", "phones": []})
        assert store.holds("customers", "id", f"N{number}")
    found = store.collections["customers"]
    for keys in (value_keys, text_keys, phone_keys("DE")):
        store.matching("customers", "email", "a@x.de", keys)  # builds the index once
    assert len(found) == 51
    for index in found._indexes.values():
        assert len({id(r) for r in index.held()}) <= 51
    assert not store.holds("customers", "id", "N4949") and store.holds("customers", "id", "N4950")
    assert [r["id"] for r in store.matching("customers", "email", "N4999@X.DE", text_keys)] == [
        "N4999"
    ]


def test_indexes_follow_adds_changes_and_removals() -> None:
    store = DataStore(
        {"customers": ({"id": "C1", "email": "Anna@Example.com", "phones": ["+4930123456"]},)}
    )
    assert [r["id"] for r in store.find_by_phone("customers", "phones", "030123456")] == ["C1"]
    assert store.matching("customers", "email", "anna@example.COM", text_keys)
    added = store.add(
        "customers", {"id": "C2", "email": "b@x.de", "phones": [{"number": "030 9876543"}]}
    )
    assert store.find_by_phone("customers", "phones", "+49309876543") == [added]
    store.replace("customers", added, {"id": "C2", "email": "c@x.de", "phones": []})
    assert not store.find_by_phone("customers", "phones", "+49309876543")
    assert not store.matching("customers", "email", "b@x.de", text_keys)
    assert store.matching("customers", "email", "C@X.DE", text_keys) == [added]
    assert list(store.find("customers", "id", "C2")) == [added]
    store.remove("customers", added)
    assert not store.holds("customers", "id", "C2") and store.count("customers") == 1
    # a change made in place without replace(): touch() rebuilds the indexes
    store.records("customers")[0]["email"] = "new@example.com"
    store.touch()
    assert store.matching("customers", "email", "new@example.com", text_keys)


def test_lookups_and_creates_cost_the_same_however_many_records() -> None:
    store = DataStore({"customers": ()}, max_created=200_000)

    def cost(number: int) -> int:
        before = store.work.visited + store.work.indexed
        store.add("customers", {"id": f"C{number}", "email": f"{number}@x.de", "phones": []})
        store.matching("customers", "email", f"{number}@X.de", text_keys)
        store.find_by_phone("customers", "phones", "+4930123456")
        store.holds("customers", "id", f"C{number}")
        return store.work.visited + store.work.indexed - before

    cost(0)  # the indexes are built on first use
    few = [cost(n) for n in range(1, 11)]
    for number in range(11, 100_000):
        store.add("customers", {"id": f"C{number}", "email": f"{number}@x.de", "phones": []})
    many = [cost(n) for n in range(100_000, 100_010)]
    assert few == many and len(set(few)) == 1


@pytest.mark.parametrize("sent", ["+٤٩٣٠١٢٣٤٥٦", "+49٣٠123456", "+４９30123456", "0３0123456"])
def test_non_ascii_digits_are_no_phone_number(sent: str) -> None:
    # dropping them would find someone else; keeping them, PBXs never send them
    assert normalize_phone(sent) is None
    assert normalize_phone("+49\u00a030 123456") == "+4930123456"  # a no-break space is spacing
