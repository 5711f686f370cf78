"""Phone number normalisation and the pure parts of caller matching.

``8 (495) 123-45-67``, ``+7 495 123 45 67``, ``74951234567``, ``tel:+7-495-123-4567`` and
``sip:84951234567@pbx.local`` are all ``+74951234567`` with the default region RU.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from urllib.parse import unquote

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumberFormat,
    ValidationResult,
    shortnumberinfo,
)
from phonenumbers import phonenumberutil as pnu

from softphone.crm.views import NormalizedNumber

#: Caller ids that mean "no number": never matched to anybody.
WITHHELD_WORDS = frozenset(
    {
        "", "anonymous", "unknown", "restricted", "withheld", "private", "unavailable",
        "anonymous.invalid", "none", "null", "hidden", "blocked", "asterisk",
    }
)
#: Digits that never identify a stranger: shorter is an extension or a service number.
MIN_SUBSCRIBER_DIGITS = 7
#: Suffix matching needs at least this many digits and a unique answer.
MIN_SUFFIX_DIGITS = 7
#: The kind of a number of 7+ digits without "+" read with no region set: not normalised.
NO_REGION = "noregion"

_SEPARATORS = re.compile(r"[\s\-.()/\[\]\u00a0\u2010-\u2015\u2212]")
_SCHEME = re.compile(r"^(sips?|tel):", re.IGNORECASE)
_NON_DIGITS = re.compile(r"\D")


def _user_part(raw: str) -> str:
    """The number inside a SIP/tel URI or a ``"Name" <sip:...>`` header, else ``raw``."""
    text = raw.strip()
    if "<" in text and ">" in text:
        text = text[text.index("<") + 1 : text.rindex(">")]
    text = text.strip().strip('"')
    scheme = _SCHEME.match(text)
    if scheme:
        text = text[scheme.end() :]
        if scheme.group(1).lower().startswith("sip"):
            text = text.split("@", 1)[0]
        text = text.split(";", 1)[0].split("?", 1)[0]
    elif "@" in text:
        text = text.split("@", 1)[0]
    return unquote(text).strip()


def digits_of(text: str) -> str:
    return _NON_DIGITS.sub("", text)


def reverse_digits(digits: str | None) -> str | None:
    return digits[::-1] if digits else None


@lru_cache(maxsize=65536)
def normalize(raw: str, region: str = "US") -> NormalizedNumber:
    """Understand ``raw`` (a number as typed or a SIP/tel URI) in ``region`` (ISO code)."""
    if raw and _SIMPLE_RAW.fullmatch(raw):
        # the common shape of files and dialled numbers: digits, an optional leading "+" and
        # separators; a full number of the region (or with a country code) is answered
        # without building phonenumbers objects (5x cheaper: bulk imports)
        compact = raw.translate(_DROP_SIMPLE_SEPARATORS)
        plus = compact[:1] == "+"
        found = number_fast(compact[1:] if plus else compact, plus, region)
        if found is not None:
            return NormalizedNumber(raw, found[0], found[1], "number")
    return normalize_full(raw, region)


def normalize_full(raw: str, region: str) -> NormalizedNumber:
    raw = raw or ""
    user = _user_part(raw)
    if user.lower() in WITHHELD_WORDS:
        return NormalizedNumber(raw, None, None, "withheld")
    compact = _SEPARATORS.sub("", user)
    if compact.startswith("00") and not _dials_00_abroad(region):
        compact = "+" + compact[2:]
    plus = compact.startswith("+")
    body = compact[1:] if plus else compact
    if not body or not body.isdigit():
        if body and set(body) <= set("0123456789*#"):  # *100# style service codes
            return NormalizedNumber(raw, None, digits_of(body) or None, "short")
        return NormalizedNumber(raw, None, None, "invalid")
    digits = body
    if not plus and len(digits) < 5:
        if len(digits) >= 3 and not _is_service_number(digits, region):
            return NormalizedNumber(raw, None, digits, "extension")
        return NormalizedNumber(raw, None, digits, "short")
    if not plus and len(digits) <= 6:
        return NormalizedNumber(raw, None, digits, "short")
    if not plus and not region_known(region):
        # no region: the digits may be national (8 495..., 0 30...) or international
        # without "+"; a country is never guessed (issue 14). Kept as they came, marked, and
        # normalised when a region is set (softphone.crm.regions).
        return NormalizedNumber(raw, None, digits, NO_REGION)
    parsed = parse_fast(digits, plus, region) or _parse(("+" if plus else "") + digits, region)
    if parsed is None and not plus:
        parsed = _parse_strict("+" + digits)  # bare digits starting with a country code
    if parsed is None:
        return NormalizedNumber(raw, None, digits, "local" if len(digits) >= 7 else "short")
    nsn = phonenumbers.national_significant_number(parsed)
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason == ValidationResult.IS_POSSIBLE:
        return NormalizedNumber(
            raw, phonenumbers.format_number(parsed, PhoneNumberFormat.E164), nsn, "number"
        )
    if not plus:
        strict = _parse_strict("+" + digits)
        if strict is not None:
            return NormalizedNumber(
                raw,
                phonenumbers.format_number(strict, PhoneNumberFormat.E164),
                phonenumbers.national_significant_number(strict),
                "number",
            )
    return NormalizedNumber(raw, None, nsn or digits, "local" if len(nsn) >= 7 else "short")


@cache
def region_known(region: str | None) -> bool:
    """Whether ``region`` is a region whose national numbers can be read (an ISO code that
    phonenumbers has metadata for); "" / None: no region set."""
    return bool(region) and region in phonenumbers.SUPPORTED_REGIONS


@cache
def _dials_00_abroad(region: str) -> bool:
    """Whether "00" is the region's international prefix. Asked per region: loading every
    region's metadata up front costs ~4 MiB for the app's whole run (bench_startup.py)."""
    md = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return (md is not None and md.international_prefix is not None
            and re.fullmatch(md.international_prefix, "00") is not None)


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def parse_fast(digits: str, plus: bool, region: str) -> phonenumbers.PhoneNumber | None:
    """``phonenumbers.parse`` for a plain run of ASCII digits, 3x cheaper (bulk imports).

    Follows the steps of ``parse`` for this one shape of input, using its own helpers; returns
    ``None`` (use the full parser) for everything that needs more: international dialling
    prefixes, a leading country code without "+", unknown regions. Kept identical to
    ``parse`` by a property test over every region.
    """
    try:
        if plus:
            cc, rest = pnu._extract_country_code(digits)
            if not cc:
                return None
            md = PhoneMetadata.metadata_for_region_or_calling_code(
                cc, pnu.region_code_for_country_code(cc)
            )
        else:
            md = PhoneMetadata.metadata_for_region(region, None)
            if md is None or md.country_code is None:
                return None
            cc = md.country_code
            if digits.startswith(str(cc)) or (
                md.international_prefix and re.match(md.international_prefix, digits)
            ):
                return None
            rest = digits
        if md is None or len(rest) < 2:
            return None
        _, potential, _ = pnu._maybe_strip_national_prefix_carrier_code(rest, md)
        if pnu._test_number_length(potential, md) not in (
            ValidationResult.TOO_SHORT,
            ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
            ValidationResult.INVALID_LENGTH,
        ):
            rest = potential
        if not 2 <= len(rest) <= 17:
            return None
        number = phonenumbers.PhoneNumber(country_code=cc, national_number=int(rest))
        pnu._set_italian_leading_zeros_for_phone_number(rest, number)
        return number
    except Exception:  # private helpers changed: the full parser is always right
        return None


#: Digits, separators and a "+": nothing for :func:`_user_part` to take apart.
_SIMPLE_RAW = re.compile(r"[0-9 ()+./\-]+")
_DROP_SIMPLE_SEPARATORS = str.maketrans("", "", " ()./-")


class _Rules:
    """What :func:`number_fast` needs of one region's metadata, looked up once."""

    __slots__ = (
        "cc",
        "e164_prefix",
        "international",
        "national_prefix",
        "possible_lengths",
        "strip_lengths",
        "viable",
    )

    def __init__(self, md: PhoneMetadata, possible_md: PhoneMetadata) -> None:
        if not md.country_code or md.general_desc is None:
            raise ValueError("no country code or number patterns")
        self.cc: int = md.country_code
        self.e164_prefix = f"+{md.country_code}"
        self.international = re.compile(md.international_prefix) if md.international_prefix \
            else None
        if md.national_prefix_transform_rule:
            raise ValueError("a national prefix transform rule")  # the full parser does those
        npp = md.national_prefix_for_parsing
        self.national_prefix = re.compile(npp) if npp else None
        general = md.general_desc.national_number_pattern
        self.viable = re.compile(general).fullmatch if general else None
        self.strip_lengths = _length_results(md)
        self.possible_lengths = _length_results(possible_md)


_MAX_FAST_DIGITS = 17


def _length_results(md: PhoneMetadata) -> tuple[int, ...]:
    """``_test_number_length(x, md)`` by ``len(x)`` (0..17), for numbers of unknown type."""
    return tuple(pnu._test_number_length("0" * n, md) for n in range(_MAX_FAST_DIGITS + 1))


_REGION_RULES: dict[str, _Rules | None] = {}
_CC_RULES: dict[int, _Rules | None] = {}
_COUNTRY_CODES = frozenset(str(cc) for cc in pnu.COUNTRY_CODE_TO_REGION_CODE)
_NOT_STRIPPED = (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
                 ValidationResult.INVALID_LENGTH)


def _rules_for_region(region: str) -> _Rules | None:
    try:
        return _REGION_RULES[region]
    except KeyError:
        pass
    rules = None
    try:
        md = PhoneMetadata.metadata_for_region(region, None)
        if md is not None and md.country_code:
            cc = md.country_code
            main = PhoneMetadata.metadata_for_region_or_calling_code(
                cc, pnu.region_code_for_country_code(cc))
            if main is not None:
                rules = _Rules(md, main)
    except Exception:  # unusual metadata: the full parser
        rules = None
    _REGION_RULES[region] = rules
    return rules


def _rules_for_cc(cc: int) -> _Rules | None:
    try:
        return _CC_RULES[cc]
    except KeyError:
        pass
    rules = None
    try:
        md = PhoneMetadata.metadata_for_region_or_calling_code(
            cc, pnu.region_code_for_country_code(cc))
        if md is not None:
            rules = _Rules(md, md)
    except Exception:
        rules = None
    _CC_RULES[cc] = rules
    return rules


def number_fast(digits: str, plus: bool, region: str) -> tuple[str, str] | None:
    """(E.164, national significant number) of ``[+]digits`` when it is a possible full
    number, computed as :func:`normalize` would through ``phonenumbers`` but from metadata
    looked up once; ``None`` when the full path must decide (anything else). ``digits`` are
    ASCII digits. Kept identical to the full path by a property test over every region."""
    if not digits.isdigit() or not digits.isascii():
        return None
    if plus:
        if digits[0] == "0":
            return None
        for size in (1, 2, 3):
            if digits[:size] in _COUNTRY_CODES:
                break
        else:
            return None
        if len(digits) <= size:
            return None
        rules = _rules_for_cc(int(digits[:size]))
        if rules is None:
            return None
        rest = digits[size:]
    else:
        if len(digits) < MIN_SUBSCRIBER_DIGITS or digits.startswith("00"):
            return None
        rules = _rules_for_region(region)
        if rules is None or digits.startswith(str(rules.cc)) or (
            rules.international is not None and rules.international.match(digits)
        ):
            return None
        rest = digits
    if not 2 <= len(rest) <= _MAX_FAST_DIGITS:
        return None
    # the national prefix (trunk "8", "0"...), stripped as phonenumbers does
    npp = rules.national_prefix
    if npp is not None:
        match = npp.match(rest)
        if match is not None:
            stripped = rest[match.end():]
            viable = rules.viable
            if (viable is None or viable(rest) is None or viable(stripped) is not None) \
                    and rules.strip_lengths[len(stripped)] not in _NOT_STRIPPED:
                rest = stripped
    if len(rest) < 2 or not rest.strip("0"):
        return None
    if rules.possible_lengths[len(rest)] != ValidationResult.IS_POSSIBLE:
        return None
    return rules.e164_prefix + rest, rest


def _parse_strict(text: str) -> phonenumbers.PhoneNumber | None:
    parsed = _parse(text, "ZZ")
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        return parsed
    return None


def _is_service_number(digits: str, region: str) -> bool:
    try:
        return bool(
            shortnumberinfo.is_emergency_number(digits, region)
            or shortnumberinfo.is_valid_short_number_for_region(
                _parse(digits, region) or phonenumbers.PhoneNumber(), region
            )
        )
    except Exception:
        return False


def is_usable(number: NormalizedNumber) -> bool:
    """True when the number can be stored as a contact's phone (it has digits)."""
    return number.national is not None and number.kind != "withheld"


def can_match_stranger(number: NormalizedNumber) -> bool:
    """Only full (or local 7+ digit) numbers may be matched beyond an exact stored copy."""
    return number.kind in ("number", "local", NO_REGION)


def suffix_keys(national: str) -> list[str]:
    """Reversed suffixes of ``national`` from :data:`MIN_SUFFIX_DIGITS` digits up, shortest
    first: a stored (reversed) number equal to one of them is a suffix of ``national``."""
    rev = national[::-1]
    return [rev[:n] for n in range(MIN_SUFFIX_DIGITS, len(rev))]


def search_digits(raw: str, number: NormalizedNumber) -> list[str]:
    """The digit strings a search-as-you-type query may find a phone by."""
    out = []
    for text in (digits_of(number.e164 or ""), number.national or "", digits_of(raw)):
        if text and text not in out:
            out.append(text)
    return out
