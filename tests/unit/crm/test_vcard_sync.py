"""crm/vcard_sync.py: a server's card read into the CRM's fields (and nothing else), written
back changing only the properties of the fields that changed (other clients' properties, a
phone's parameters and the UID survive), and the three-way merge's conflict rules."""

from __future__ import annotations

from softphone.crm.vcard_sync import (
    CardFields,
    clean,
    history_fields,
    merge,
    new_uid,
    read_card,
    write_card,
)

SERVER_CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:abc-1\r\nFN:Ann Petrova\r\nN:Petrova;Ann;;;\r\n"
    "ORG:Acme\r\nTITLE:Buyer\r\nitem1.TEL;TYPE=CELL,pref:+7 916 111-22-33\r\n"
    "item1.X-ABLabel:Private\r\nEMAIL;TYPE=INTERNET:ann@acme.example\r\n"
    "ADR;TYPE=WORK:;;Main St 1;Moscow;;101000;Russia\r\nBDAY:1990-05-01\r\n"
    "PHOTO;VALUE=URI:https://acme.example/ann.jpg\r\nX-OTHER-CLIENT:keep me\r\n"
    "CATEGORIES:vip,buyers\r\nNOTE:prefers mornings\r\nEND:VCARD\r\n"
)


def test_a_card_is_read_into_the_crm_fields_only() -> None:
    fields, uid = read_card(SERVER_CARD)
    assert uid == "abc-1"
    assert fields is not None
    assert (fields.name, fields.company, fields.position) == ("Ann Petrova", "Acme", "Buyer")
    assert [raw for raw, _label in fields.phones] == ["+7 916 111-22-33"]
    assert fields.emails == ("ann@acme.example",) and fields.tags == ("vip", "buyers")
    assert fields.notes == "prefers mornings"  # address and birthday stay in the card
    assert not fields.do_not_call


def test_a_card_the_crm_cannot_keep_gives_no_fields() -> None:
    assert read_card("") == (None, None)
    fields, uid = read_card("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:g-1\r\nFN:\r\nEND:VCARD\r\n")
    assert (fields, uid) == (None, "g-1")


def test_writing_back_replaces_only_the_changed_fields() -> None:
    base, uid = read_card(SERVER_CARD)
    assert base is not None and uid is not None
    changed = CardFields(**{**base.as_update(), "position": "Head of purchasing",
                            "phones": [("+7 916 111-22-33", "cell"), ("+7 495 000-00-01", "work")]})
    text = write_card(changed, uid, SERVER_CARD, base)
    for kept in ("UID:abc-1", "ADR;TYPE=WORK:;;Main St 1;Moscow;;101000;Russia",
                 "BDAY:1990-05-01", "X-OTHER-CLIENT:keep me", "ORG:Acme", "VERSION:3.0",
                 "NOTE:prefers mornings"):
        assert kept in text
    assert "TITLE:Head of purchasing" in text and "TITLE:Buyer" not in text
    assert "X-ABLabel:Private" not in text  # went with the phones it labelled
    again, again_uid = read_card(text)
    assert again_uid == "abc-1" and again is not None
    assert (again.position, [raw for raw, _ in again.phones]) == (
        "Head of purchasing", ["+7 916 111-22-33", "+7 495 000-00-01"])
    assert again.tags == base.tags and again.notes == base.notes


def test_unchanged_fields_keep_their_lines_byte_for_byte() -> None:
    base, uid = read_card(SERVER_CARD)
    assert base is not None and uid is not None
    text = write_card(base, uid, SERVER_CARD, base)
    assert "item1.TEL;TYPE=CELL,pref:+7 916 111-22-33" in text
    assert "item1.X-ABLabel:Private" in text
    assert text.count("REV:") == 1


def test_a_new_card_carries_its_uid_and_reads_back() -> None:
    uid = new_uid()
    fields = CardFields(name="Bob", phones=(("+74951234567", "work"),), do_not_call=True,
                        notes="line one\nline, two; three")
    text = write_card(fields, uid)
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\nUID:")
    read, read_uid = read_card(text)
    assert read_uid == uid and read is not None
    assert (read.name, read.do_not_call, read.notes) == ("Bob", True, "line one\nline, two; three")
    assert new_uid() != uid


def test_clean_drops_unreadable_and_repeated_numbers_and_blanks() -> None:
    def usable(raw: str) -> str | None:
        digits = "".join(ch for ch in raw if ch.isdigit())
        return digits[-10:] if len(digits) >= 7 else None

    fields = CardFields(name="  Ann ", company="  ", position=" Buyer ",
                        phones=((" +7 495 123-45-67 ", ""), ("84951234567", "home"),
                                ("12", "work")),
                        emails=("a@x", " a@x ", ""), tags=("vip", "vip", " "))
    cleaned = clean(fields, usable)
    assert (cleaned.name, cleaned.company, cleaned.position) == ("Ann", None, "Buyer")
    assert cleaned.phones == (("+7 495 123-45-67", "work"),)
    assert cleaned.emails == ("a@x",) and cleaned.tags == ("vip",)


BASE = CardFields(name="Ann", company="Acme", phones=(("+7 1", "work"),), emails=("a@x",),
                  tags=("vip",), notes="n")


def test_a_field_changed_on_one_side_takes_that_sides_value() -> None:
    here = CardFields(**{**BASE.as_update(), "company": "Acme Ltd"})
    server = CardFields(**{**BASE.as_update(), "notes": "server note"})
    result = merge(BASE, here, server)
    assert (result.fields.company, result.fields.notes) == ("Acme Ltd", "server note")
    assert result.conflicts == () and result.lost_here == {}


def test_both_changed_lists_keep_everything_and_others_take_the_server() -> None:
    here = CardFields(**{**BASE.as_update(), "name": "Ann P.", "tags": ["vip", "here"],
                         "phones": [("+7 1", "cell"), ("+7 2", "work")]})
    server = CardFields(**{**BASE.as_update(), "name": "Anna Petrova", "tags": ["there"],
                           "phones": [("+7 1", "home"), ("+7 3", "work")]})
    result = merge(BASE, here, server)
    assert result.fields.name == "Anna Petrova"
    assert result.fields.tags == ("there", "vip", "here")
    # one entry per number, whatever its label; the server's first
    assert result.fields.phones == (("+7 1", "home"), ("+7 3", "work"), ("+7 2", "work"))
    assert set(result.conflicts) == {"name", "tags", "phones"}
    assert result.lost_here == {"name": "Ann P."}  # lists lose nothing
    assert history_fields({"phones": (("+7 1", "x"),), "name": "A"}) == {
        "phones": [["+7 1", "x"]], "name": "A"}


def test_without_a_base_every_difference_is_a_conflict() -> None:
    here = CardFields(name="Ann", notes="")
    server = CardFields(name="Anna", notes="server")
    result = merge(None, here, server)
    assert result.fields == server
    assert set(result.conflicts) == {"name", "notes"}
    assert result.lost_here == {"name": "Ann"}  # an empty value is nothing lost
