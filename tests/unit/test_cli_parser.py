"""A desktop start parses its options without the commands' parsers (they cost ~25 ms before
the window shows); anything else gets the full parser, with the same answers."""

from __future__ import annotations

import pytest

from softphone.cli import build_parser, names_a_command, split_url_argument


@pytest.mark.parametrize("argv", [[], ["--profile", "/tmp/p"], ["--profile=/tmp/p", "-v"],
                                  ["--minimized", "--verbose"]])
def test_a_desktop_start_needs_no_command_parser(argv: list[str]) -> None:
    assert not names_a_command(argv)
    lite = vars(build_parser(commands=False).parse_args(argv))
    full = vars(build_parser().parse_args(argv))
    assert lite == {k: full[k] for k in lite} and lite["command"] is None


@pytest.mark.parametrize("argv", [["contacts", "list"], ["--help"], ["--version"], ["-h"],
                                  ["--profile"], ["--bogus"], ["--profile", "/p", "dial", "1"]])
def test_anything_else_gets_the_full_parser(argv: list[str]) -> None:
    assert names_a_command(argv)


def test_a_clicked_link_is_a_command() -> None:
    argv = split_url_argument(["--profile", "/p", "tel:+74951234567"])
    assert names_a_command(argv)
    assert build_parser().parse_args(argv).command == "dial"
