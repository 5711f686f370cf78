"""Who is calling: tiers, reasons, never-match rules, shared company numbers (SQLite + PG)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softphone.crm.store import Store


@pytest.mark.parametrize(
    "incoming",
    [
        "+74951234567",
        "8 (495) 123-45-67",
        "74951234567",
        "tel:+7-495-123-4567",
        "sip:84951234567@pbx.local",
        '"Ivan" <sip:+74951234567@10.0.0.1;user=phone>',
    ],
)
def test_every_format_finds_the_contact_by_e164(store: Store, incoming: str) -> None:
    ivan = store.create_contact("Иван Петров", phones=[("8 (495) 123-45-67", "work")])
    match = store.lookup(incoming)
    assert match.contact is not None and match.contact.id == ivan.id
    assert match.matched_by == "e164"
    assert match.number == "+74951234567"


def test_national_tier_for_numbers_without_country(store: Store) -> None:
    # a city number typed without area code has no E.164; the same digits from the PBX match
    kiosk = store.create_contact("Kiosk", phones=["123-45-67"])
    assert kiosk.phones[0].e164 is None
    match = store.lookup("sip:1234567@pbx.local")
    assert match.contact is not None and match.contact.id == kiosk.id
    assert match.matched_by == "national"


def test_unique_suffix_matches_a_number_stored_without_area_code(store: Store) -> None:
    petrov = store.create_contact("Петров", phones=["123-45-67"])  # 7 digits, no area code
    assert petrov.phones[0].e164 is None
    match = store.lookup("+7 495 123 45 67")
    assert match.contact is not None and match.contact.id == petrov.id
    assert match.matched_by == "suffix"


def test_suffix_of_an_incoming_local_number(store: Store) -> None:
    sidorov = store.create_contact("Сидоров", phones=["+7 495 765 43 21"])
    match = store.lookup("765-43-21")
    assert match.contact is not None and match.contact.id == sidorov.id
    assert match.matched_by == "suffix"


def test_ambiguous_suffix_matches_nobody(store: Store) -> None:
    store.create_contact("Moscow", phones=["+7 495 765 43 21"])
    store.create_contact("Petersburg", phones=["+7 812 765 43 21"])
    match = store.lookup("765-43-21")
    assert match.contact is None and match.company is None
    assert match.matched_by == "none"


def test_full_numbers_with_the_same_last_digits_are_different_people(store: Store) -> None:
    store.create_contact("Moscow", phones=["+7 495 765 43 21"])
    match = store.lookup("+7 812 765 43 21")
    assert match.contact is None
    assert match.matched_by == "none"


def test_suffix_needs_seven_digits(store: Store) -> None:
    store.create_contact("Short", phones=["+7 495 123 45 67"])
    for incoming in ("4567", "34567", "234567"):
        assert store.lookup(incoming).contact is None


@pytest.mark.parametrize("caller", ["anonymous", "", "unknown", "Restricted", "withheld",
                                    "sip:anonymous@anonymous.invalid"])
def test_withheld_callers_are_never_matched(store: Store, caller: str) -> None:
    store.create_contact("Someone", phones=["+7 495 123 45 67"])
    match = store.lookup(caller)
    assert match.contact is None and match.people == []
    assert match.matched_by == "withheld"


@pytest.mark.parametrize("caller", ["112", "911", "101", "0800", "201", "4567", "12345"])
def test_service_numbers_and_extensions_never_match_a_stranger(store: Store,
                                                               caller: str) -> None:
    # numbers that end in these digits must not make a stranger the caller
    store.create_contact("Stranger", phones=["+7 495 000 01 12", "+7 495 000 09 11",
                                             "+7 495 000 02 01", "+7 495 001 23 45"])
    match = store.lookup(caller)
    assert match.contact is None
    assert match.matched_by == "short"


def test_an_extension_stored_as_such_matches_exactly(store: Store) -> None:
    reception = store.create_contact("Reception", phones=[("201", "internal")])
    assert store.lookup("sip:201@pbx.local").contact == reception
    assert store.lookup("201").matched_by == "national"
    assert store.lookup("202").contact is None


def test_shared_company_number_returns_the_company_and_its_people(store: Store) -> None:
    a = store.create_contact("Анна", company="ООО Ромашка", phones=["+7 495 111 22 33"])
    b = store.create_contact("Борис", company="ООО Ромашка", phones=["8 495 111-22-33"])
    store.create_contact("Elsewhere", company="Other", phones=["+7 495 999 88 77"])
    match = store.lookup("sip:84951112233@pbx")
    assert match.matched_by == "company"
    assert match.contact is None
    assert match.company is not None and match.company.name == "ООО Ромашка"
    assert {p.id for p in match.people} == {a.id, b.id}


def test_number_shared_by_unrelated_people_names_them_all(store: Store) -> None:
    a = store.create_contact("Husband", phones=["+7 495 111 22 33"])
    b = store.create_contact("Wife", phones=["+7 495 111 22 33"])
    match = store.lookup("+74951112233")
    assert match.contact is None and match.company is None
    assert {p.id for p in match.people} == {a.id, b.id}
    assert match.matched_by == "e164"


def test_single_match_also_names_the_company(store: Store) -> None:
    store.create_contact("Анна", company="Ромашка", position="CEO", phones=["+7 495 111 22 33"])
    match = store.lookup("+74951112233")
    assert match.contact is not None and match.company is not None
    assert match.company.name == "Ромашка"


def test_ignored_numbers_are_reported_not_matched(store: Store) -> None:
    store.create_contact("Spammer?", phones=["+7 495 000 00 01"])
    store.ignore_number("8 495 000-00-01", "spam")
    match = store.lookup("+74950000001")
    assert match.matched_by == "ignored" and match.ignored == "spam"
    assert match.contact is None
    assert store.unignore_number("+7 495 000 00 01")
    assert store.lookup("+74950000001").matched_by == "e164"


def test_unknown_number(store: Store) -> None:
    match = store.lookup("+7 999 000 00 00")
    assert match.contact is None and match.matched_by == "none"
    assert match.number == "+79990000000"


digits7 = st.from_regex(r"[1-9][0-9]{6}", fullmatch=True)
area = st.sampled_from(["495", "499", "812", "343"])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(area, digits7, st.sampled_from(["8 ({a}) {n}", "+7{a}{n}", "sip:8{a}{n}@pbx",
                                       "tel:+7-{a}-{n}", "7{a}{n}"]))
def test_property_stored_spelling_never_matters(store: Store, a: str, n: str,
                                                style: str) -> None:
    contact = store.create_contact("P", phones=[style.format(a=a, n=n)])
    try:
        for probe in (f"+7{a}{n}", f"8{a}{n}", f"sip:7{a}{n}@x"):
            match = store.lookup(probe)
            assert match.contact is not None and match.contact.id == contact.id
            assert match.matched_by == "e164"
    finally:
        store.delete_contact(contact.id)
