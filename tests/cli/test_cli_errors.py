"""Usage errors read as one line, and the help reads as the README says."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("suggest", "x.csv", "--top-k", "0"), "--top-k"),
        (("suggest", "--bogus"), "--bogus"),
        (("search", "x.csv"), "--target"),
        (("nope",), "nope"),
        (("search", "x.csv", "-t", "y", "--epochs", "many"), "--epochs"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_option_with_exit_code_2(cli, args, names) -> None:
    res = cli(*args)
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and names in lines[0]
    assert "--help" in lines[0] and res.stdout == ""


@pytest.mark.parametrize("command", ["suggest", "search", "kb datasets"])
def test_help_shows_flags_as_flags(cli, command) -> None:
    res = cli(*command.split(), "--help")
    assert res.exit_code == 0
    assert "<bool>" not in res.stdout and "--json" in res.stdout


def test_the_number_of_suggestions_has_a_long_form(cli) -> None:
    assert "-k, --top-k" in cli("suggest", "--help").stdout
