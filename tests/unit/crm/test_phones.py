"""Number normalisation: every way a Russian office writes one number is the same number."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softphone.crm.phones import (
    can_match_stranger,
    normalize,
    normalize_full,
    number_fast,
    parse_fast,
    suffix_keys,
)

MOSCOW = "+74951234567"


@pytest.mark.parametrize(
    "raw",
    [
        "8 (495) 123-45-67",
        "+7 495 123 45 67",
        "74951234567",
        "84951234567",
        "tel:+7-495-123-4567",
        "sip:84951234567@pbx.local",
        "sip:+74951234567@pbx.local;transport=udp",
        "<sip:74951234567@10.0.0.1:5060>",
        '"Иван" <sip:8-495-123-45-67@pbx>',
        "sips:%2B74951234567@pbx",
        "tel:+74951234567;phone-context=+7",
        "+7 (495) 123.45.67",
        "8\u00a0495\u00a0123\u201145\u201167",
    ],
)
def test_all_ru_spellings_are_one_number(raw: str) -> None:
    number = normalize(raw, "RU")
    assert number.e164 == MOSCOW
    assert number.national == "4951234567"
    assert number.kind == "number"
    assert number.raw == raw


@pytest.mark.parametrize(
    "raw", ["anonymous", "Anonymous", "sip:anonymous@anonymous.invalid", "", "  ", "unknown",
            "Restricted", "withheld", "sip:unavailable@host", "<sip:anonymous@pbx>"],
)
def test_withheld_callers(raw: str) -> None:
    number = normalize(raw, "RU")
    assert number.kind == "withheld"
    assert number.e164 is None and number.national is None
    assert not can_match_stranger(number)


@pytest.mark.parametrize(
    ("raw", "region", "kind"),
    [
        ("112", "RU", "short"),
        ("911", "US", "short"),
        ("101", "RU", "short"),
        ("201", "RU", "extension"),
        ("1001", "RU", "extension"),
        ("sip:205@pbx.local", "RU", "extension"),
        ("0800", "GB", "extension"),
        ("12345", "RU", "short"),
        ("900100", "RU", "short"),
        ("*100#", "RU", "short"),
    ],
)
def test_short_numbers_and_extensions_never_match_strangers(raw: str, region: str,
                                                            kind: str) -> None:
    number = normalize(raw, region)
    assert number.kind == kind
    assert number.e164 is None
    assert not can_match_stranger(number)


def test_names_without_digits_are_not_numbers() -> None:
    assert normalize("sip:alice@pbx.local", "RU").kind == "invalid"
    assert normalize("sip:alice@pbx.local", "RU").key is None


def test_other_regions_and_international_prefixes() -> None:
    assert normalize("(650) 253-0000", "US").e164 == "+16502530000"
    assert normalize("1 650 253 0000", "US").e164 == "+16502530000"
    assert normalize("8 10 1 650 253 0000", "RU").e164 == "+16502530000"
    assert normalize("0049 30 1234567", "DE").e164 == "+49301234567"
    assert normalize("0049 30 1234567", "US").e164 == "+49301234567"
    # bare digits starting with another country's code
    assert normalize("74951234567", "US").e164 == MOSCOW
    assert normalize("030 1234567", "DE").e164 == "+49301234567"


def test_local_number_without_area_code_keeps_its_digits() -> None:
    number = normalize("123-45-67", "RU")
    assert number.kind == "local"
    assert number.e164 is None
    assert number.national == "1234567"
    assert can_match_stranger(number)


def test_suffix_keys_are_reversed_suffixes_of_at_least_seven_digits() -> None:
    assert suffix_keys("4951234567") == ["7654321", "76543215", "765432159"]
    assert suffix_keys("1234567") == []


ru_national = st.from_regex(r"9[0-9]{9}|4[89]5[0-9]{7}|812[0-9]{7}", fullmatch=True)
separators = st.sampled_from(["", " ", "-", ".", " - "])


def _spell(national: str, style: int, sep: str) -> str:
    area, a, b, c = national[:3], national[3:6], national[6:8], national[8:]
    body = sep.join([a, b, c])
    return [
        f"8 ({area}) {body}",
        f"+7 {area} {body}",
        f"7{national}",
        f"8{national}",
        f"tel:+7-{area}-{a}-{b}{c}",
        f"sip:8{national}@pbx.local",
        f"sip:+7{national}@10.1.1.1;user=phone",
        f"+7{sep}{area}{sep}{body}",
    ][style]


@settings(max_examples=300, deadline=None)
@given(ru_national, st.integers(0, 7), st.integers(0, 7), separators, separators)
def test_property_every_spelling_of_a_ru_number_has_one_e164(
    national: str, style_a: int, style_b: int, sep_a: str, sep_b: str
) -> None:
    a = normalize(_spell(national, style_a, sep_a), "RU")
    b = normalize(_spell(national, style_b, sep_b), "RU")
    assert a.e164 == b.e164 == "+7" + national
    assert a.national == b.national == national


us_national = st.from_regex(r"[2-9][0-8][0-9][2-9][0-9]{6}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(us_national)
def test_property_national_and_international_forms_agree_in_us(national: str) -> None:
    local = normalize(f"({national[:3]}) {national[3:6]}-{national[6:]}", "US")
    international = normalize(f"+1 {national}", "US")
    uri = normalize(f"sip:1{national}@pbx", "US")
    assert local.e164 == international.e164 == uri.e164 == "+1" + national


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_property_normalize_never_crashes_and_short_inputs_never_match(raw: str) -> None:
    number = normalize(raw, "RU")
    digits = "".join(ch for ch in raw if ch.isascii() and ch.isdigit())
    if len(digits) < 5 and "+" not in raw:
        assert not can_match_stranger(number)
    if number.e164 is not None:
        assert number.e164.startswith("+") and number.e164[1:].isdigit()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=1, max_size=4), separators)
def test_property_up_to_four_digits_are_never_full_numbers(digits: str, sep: str) -> None:
    number = normalize(sep.join(digits), "RU")
    assert number.kind in ("short", "extension", "invalid")
    assert not can_match_stranger(number)


REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def _same(a: phonenumbers.PhoneNumber | None, b: phonenumbers.PhoneNumber | None) -> bool:
    if a is None or b is None:
        return a is b
    return (
        a.country_code == b.country_code
        and a.national_number == b.national_number
        and bool(a.italian_leading_zero) == bool(b.italian_leading_zero)
        and (a.number_of_leading_zeros or 1) == (b.number_of_leading_zeros or 1)
    )


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(REGIONS), st.text(alphabet="0123456789", min_size=5, max_size=17),
       st.booleans())
def test_property_fast_parser_agrees_with_phonenumbers(region: str, digits: str,
                                                       plus: bool) -> None:
    fast = parse_fast(digits, plus, region)
    if fast is None:
        return  # the full parser is used
    try:
        full = phonenumbers.parse(("+" if plus else "") + digits, region)
    except phonenumbers.NumberParseException:
        full = None
    assert _same(fast, full), (region, digits, plus, fast, full)


@pytest.mark.parametrize("region", ["RU", "US", "GB", "DE", "IT", "FR", "BR", "AR", "MX", "IN"])
def test_fast_parser_agrees_on_realistic_numbers(region: str) -> None:
    import random

    rnd = random.Random(region)
    example = phonenumbers.example_number(region)
    assert example is not None
    nsn = phonenumbers.national_significant_number(example)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    trunk = (metadata.national_prefix if metadata else None) or ""
    for _ in range(300):
        digits = nsn[:3] + "".join(rnd.choice("0123456789") for _ in nsn[3:])
        for text, plus in ((digits, False), (trunk + digits, False),
                           (str(example.country_code) + digits, True)):
            fast = parse_fast(text, plus, region)
            if fast is not None:
                assert _same(fast, phonenumbers.parse(("+" if plus else "") + text, region))


def _full(digits: str, plus: bool, region: str) -> tuple[str | None, str | None, str]:
    number = normalize_full(("+" if plus else "") + digits, region)
    return number.e164, number.national, number.kind


@settings(max_examples=4000, deadline=None)
@given(st.sampled_from(REGIONS), st.text(alphabet="0123456789", min_size=1, max_size=20),
       st.booleans())
def test_property_fast_number_agrees_with_full_path(region: str, digits: str,
                                                    plus: bool) -> None:
    fast = number_fast(digits, plus, region)
    if fast is not None:  # else the full path decides
        assert (*fast, "number") == _full(digits, plus, region), (region, digits, plus)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(["RU", "KZ", "US", "GB", "DE", "UA", "BY", "FR", "IT"]),
       st.sampled_from(["", "8", "7", "0", "00", "810", "1", "44", "49", "380", "375"]),
       st.text(alphabet="0123456789", min_size=5, max_size=12), st.booleans(),
       st.sampled_from([" ", "-", "", "(", ")", ".", "/", "  "]))
def test_property_normalize_fast_path_agrees(region: str, prefix: str, digits: str,
                                             plus: bool, sep: str) -> None:
    """Numbers as people type them (trunk or country prefixes, separators): the cached entry
    point with its fast path gives what the full path gives."""
    raw = ("+" if plus else "") + prefix + sep.join([digits[:3], digits[3:6], digits[6:]])
    assert normalize(raw, region) == normalize_full(raw, region), raw


@pytest.mark.parametrize("region", ["RU", "US", "GB", "DE", "IT", "FR", "KZ", "MX", "IN", "UA"])
def test_fast_number_agrees_on_realistic_numbers(region: str) -> None:
    import random

    rnd = random.Random(region)
    example = phonenumbers.example_number(region)
    assert example is not None
    nsn = phonenumbers.national_significant_number(example)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    trunk = (metadata.national_prefix if metadata else None) or ""
    hits = 0
    for _ in range(300):
        digits = nsn[:3] + "".join(rnd.choice("0123456789") for _ in nsn[3:])
        for text, plus in ((digits, False), (trunk + digits, False),
                           (str(example.country_code) + digits, True)):
            fast = number_fast(text, plus, region)
            if fast is not None:
                hits += 1
                assert (*fast, "number") == _full(text, plus, region), (text, plus)
                parsed = phonenumbers.parse(("+" if plus else "") + text, region)
                assert fast[0] == phonenumbers.format_number(
                    parsed, phonenumbers.PhoneNumberFormat.E164)
    assert hits > 0  # the fast path is taken for the region's own numbers


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Анна Смирнова", "Смирнова А.", True),
        ("Анна Смирнова", "анна", True),
        ("Иван Петров", "Петров Иван", True),
        ("Ivan P.", "Ivan Petrov", True),
        ("Анна Смирнова", "Борис Орлов", False),
        ("Анна Смирнова", "Анна Орлова", False),
        ("A.", "Anna", False),
        ("Пётр", "Пётр", True),
    ],
)
def test_names_agree(a: str, b: str, same: bool) -> None:
    from softphone.crm.importing import names_agree

    assert names_agree(a, b) is same
    assert names_agree(b, a) is same


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789 +()-./\u0660\u00b2x", max_size=20))
def test_property_search_digits_fast_path(text: str) -> None:
    from softphone.crm.convert import digits_only
    from softphone.crm.phones import digits_of

    assert digits_only(text) == digits_of(text)
