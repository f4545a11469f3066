"""Options that more than one command takes, written once."""

from __future__ import annotations

import click


def counts_scale_options(default: str = "counts of unknown scale"):
    """``--counts-scale-c`` and ``--counts-offset-c``: 16-bit frames as temperatures
    (checked by :func:`vision.io.check_counts_scale`); ``default`` says what happens without them."""

    def wrap(f):
        f = click.option("--counts-offset-c", type=float, default=0.0, show_default=True,
                         help="Degrees C at count 0 (e.g. -273.15 for counts in kelvin); with --counts-scale-c.")(f)
        return click.option("--counts-scale-c", type=float, default=None,
                            help="16-bit frames (TIFF/PNG) hold counts: T = counts x scale + offset, e.g. 0.01 "
                                 f"for centikelvin (default: {default}).")(f)

    return wrap
