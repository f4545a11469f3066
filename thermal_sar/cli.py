"""The ``thermal-sar`` command line: one command per user task.

Commands live in :mod:`thermal_sar.commands` and are imported only when run,
so ``thermal-sar --help`` stays fast and heavy libraries load only where
needed. Every :class:`geo.errors.SarError` becomes one red line on stderr and
exit status 2; no traceback is shown for a user's mistake.
"""

from __future__ import annotations

import importlib
import sys

import click

from geo.errors import SarError

# name -> (module under thermal_sar.commands, attribute, one-line help).
# A command whose module is not there (yet) is not offered.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("demo", "demo", "The demo on the embedded world, no files needed (see README for what it covers today)."),
    "terrain": ("terrain", "terrain", "Inspect a DEM: coverage, voids, hillshade."),
    "plan": ("plan", "plan", "Plan a search mission over terrain (pilots)."),
    "sim": ("sim", "sim", "Synthetic thermal world: render frames, write datasets."),
    "detect": ("detect", "detect", "Find people and animals in thermal frames."),
    "eval": ("evaluate", "evaluate", "Measure a detector on labelled frames."),
    "train": ("train", "train", "Train the YOLO detector (needs the 'train' extra)."),
    "fly": ("fly", "fly", "Upload and fly a mission over MAVLink, run the pipeline live."),
    "geotag": ("geotag", "geotag", "Put detections on the ground from a flight log."),
    "replay": ("replay", "replay", "Post-flight: a log plus frames -> targets, maps, GPX."),
    "map": ("map", "map_", "Write an offline map of a mission or of targets."),
    "serve": ("serve", "serve", "Run the live server for officers and ground teams."),
    "users": ("users", "users", "Manage the live server's users."),
}


def _available(name: str) -> bool:
    mod = COMMANDS[name][0]
    return importlib.util.find_spec(f"thermal_sar.commands.{mod}") is not None


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n in COMMANDS if _available(n)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not _available(cmd_name):
            return None
        mod, attr, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(f"thermal_sar.commands.{mod}"), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, COMMANDS[n][2]) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _set_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--lang``: check it is shipped and use it for this run (maps.i18n.gettext_for() without a language)."""
    if value:
        from maps.i18n import use_language

        ctx.with_resource(use_language(value))
    return value


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="thermal-sar")
@click.option("--lang", metavar="LANG", expose_value=False, is_eager=True, callback=_set_language,
              help="Language of summaries and maps: en, zh (Simplified Chinese; zh-CN, zh-Hans also work). "
                   "Default: THERMAL_SAR_LANG, else LANGUAGE/LC_ALL/LC_MESSAGES/LANG, else English.")
def cli() -> None:
    """thermal-sar: find missing people and livestock with thermal drones.

    Pilots plan, officers watch and decide, ground teams walk to the find.
    """


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit status."""
    try:
        cli.main(args=argv, prog_name="thermal-sar", standalone_mode=False)
    except SarError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
