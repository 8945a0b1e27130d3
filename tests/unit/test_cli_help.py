"""Every subcommand of `sunshine` and every one of their options says what it is for."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from sunshine.cli import build_parser


def commands(
    parser: argparse.ArgumentParser, name: str = "sunshine"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """The parser and each subcommand's, recursively (``sunshine keys new``), by name."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, subparser in action.choices.items():
                yield from commands(subparser, f"{name} {sub}")


def options(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            yield action


def test_every_option_of_every_subcommand_has_help_text() -> None:
    walked = dict(commands(build_parser()))
    assert {"sunshine demo", "sunshine serve", "sunshine keys new", "sunshine submit"} <= set(
        walked
    )
    missing = [
        f"{name} {'/'.join(action.option_strings) or action.dest}"
        for name, parser in walked.items()
        for action in options(parser)
        if not action.help or action.help == argparse.SUPPRESS or not action.help.strip()
    ]
    assert missing == []
    # Each subcommand has a line in its parent's list too.
    for _, parser in walked.items():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                listed = {a.dest: a.help for a in action._choices_actions}
                assert set(listed) == set(action.choices) and all(listed.values()), listed


def test_the_data_directory_is_described_as_holding_every_key_file() -> None:
    for name, parser in commands(build_parser()):
        for action in options(parser):
            if "--data-dir" in action.option_strings:
                assert action.help is not None
                for key in ("log key", "sealed-value key", "lookup key"):
                    assert key in action.help, (name, key)


def test_demo_help_names_its_own_default_database_and_directory() -> None:
    demo = dict(commands(build_parser()))["sunshine demo"]
    helps = {a.option_strings[0]: a.help or "" for a in options(demo) if a.option_strings}
    assert "data/demo/ledger.db" in helps["--db"]
    assert "data/ledger.db" not in helps["--db"].replace("data/demo/ledger.db", "")
    assert "SUNSHINE_DATABASE_URL" not in helps["--db"]  # the demo never reads it
    assert "default: data/demo" in helps["--data-dir"]
