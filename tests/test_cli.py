"""Every `oe` verb answers --help, and the CLI reports errors as messages, not tracebacks."""

import click
from click.testing import CliRunner

from oe_platform.cli import main


def all_commands(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        yield path
        if isinstance(command, click.Group):
            yield from all_commands(command, path)


def test_every_verb_has_help():
    runner = CliRunner()
    paths = list(all_commands(main))
    assert ("ingest",) in paths and ("run",) in paths and ("generate",) in paths
    for path in paths:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, f"oe {' '.join(path)} --help failed: {result.output}"
        assert "Usage:" in result.output
        assert len(result.output.splitlines()) > 3


def test_contracts_check_passes_when_sources_are_in_sync():
    result = CliRunner().invoke(main, ["contracts", "check"])
    assert result.exit_code == 0, result.output
    assert "match the landing contracts" in result.output
