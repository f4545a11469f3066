"""Real ArduPilot SITL (``arducopter``) as a context manager, for tests and demos.

The binary comes from ``--sitl-binary PATH`` (the ``python -m sim.sitl``
command line) or the ``ARDUPILOT_SITL`` environment variable. The harness:

* copies ``copter.parm`` (found beside the binary in an ArduPilot tree, or
  given) into a fresh temporary working directory, where SITL writes
  eeprom.bin, logs and terrain;
* launches ``arducopter --model + --speedup N --defaults copter.parm -I0
  --home LAT,LON,ALT,HDG`` there as a child process that stays alive (SITL
  exits by itself when its parent dies);
* waits until TCP port 5760 (+10 per instance) LISTENS, without connecting:
  SERIAL0 takes one client at a time and the first connection starts the
  simulation, so a probe would steal it. Listening sockets are read from
  ``/proc/net/tcp`` (Linux);
* stops it with SIGTERM (SIGKILL after ``stop_timeout_s``) and removes the directory.

Facts measured on a real build: heartbeat about 1 s after connecting, a
valid position after about 10 s, arming possible after about 40 s (the
EKF must converge), so give arming a timeout of a minute or more.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from geo.errors import LinkError

__all__ = ["SitlConfig", "Sitl", "SitlError", "find_sitl_binary", "find_defaults", "sitl_command", "port_listening",
           "SITL_ENV"]

SITL_ENV = "ARDUPILOT_SITL"
DEFAULTS_ENV = "ARDUPILOT_SITL_DEFAULTS"
BASE_PORT = 5760


class SitlError(LinkError):
    """SITL could not be found, started or reached."""


def find_sitl_binary(explicit: str | os.PathLike | None = None) -> Path | None:
    """The ``arducopter`` binary: ``explicit``, else ``$ARDUPILOT_SITL``, else None (not configured).

    Raises :class:`SitlError` when a path is configured but is not an executable file.
    """
    raw = explicit if explicit is not None else os.environ.get(SITL_ENV)
    if not raw:
        return None
    p = Path(raw).expanduser()
    if not p.is_file() or not os.access(p, os.X_OK):
        src = "--sitl-binary" if explicit is not None else f"${SITL_ENV}"
        raise SitlError(f"{src}={str(p)!r} is not an executable file. Hint: build it with "
                        "`./waf configure --board sitl && ./waf copter` and give build/sitl/bin/arducopter.")
    return p


def find_defaults(binary: Path, explicit: str | os.PathLike | None = None) -> Path:
    """``copter.parm``: ``explicit``, ``$ARDUPILOT_SITL_DEFAULTS``, or Tools/autotest/default_params/ above the binary."""
    raw = explicit or os.environ.get(DEFAULTS_ENV)
    if raw:
        p = Path(raw).expanduser()
        if p.is_file():
            return p
        raise SitlError(f"defaults file {str(p)!r} does not exist.")
    for parent in [binary.parent, *binary.parents]:
        cand = parent / "Tools" / "autotest" / "default_params" / "copter.parm"
        if cand.is_file():
            return cand
        cand = parent / "copter.parm"
        if cand.is_file():
            return cand
    raise SitlError(f"copter.parm not found above {str(binary)!r}. Hint: set {DEFAULTS_ENV} to "
                    "ardupilot/Tools/autotest/default_params/copter.parm.")


@dataclass(frozen=True)
class SitlConfig:
    """How to launch SITL; ``home`` is (lat_deg, lon_deg, alt_amsl_m, heading_deg)."""

    binary: Path
    defaults: Path
    home: tuple[float, float, float, float] = (-35.363261, 149.165230, 584.0, 353.0)  # CMAC, SITL's own default
    speedup: int = 1
    instance: int = 0
    model: str = "+"
    start_timeout_s: float = 30.0
    stop_timeout_s: float = 10.0

    @property
    def port(self) -> int:
        return BASE_PORT + 10 * self.instance

    @property
    def connection(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"


def sitl_command(cfg: SitlConfig) -> list[str]:
    """The command line, as ArduPilot's own sim_vehicle.py builds it for a copter."""
    lat, lon, alt, hdg = cfg.home
    return [str(cfg.binary), "--model", cfg.model, "--speedup", str(int(cfg.speedup)), "--defaults", "copter.parm",
            f"-I{cfg.instance}", "--home", f"{lat:.7f},{lon:.7f},{alt:.2f},{hdg:.1f}"]


def port_listening(port: int) -> bool:
    """True when a local TCP socket LISTENS on ``port`` (read from /proc/net/tcp*, no connection made)."""
    found_table = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        found_table = True
        for line in lines:
            parts = line.split()
            if len(parts) > 3 and parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                return True
    if not found_table:
        raise SitlError("cannot see listening sockets (no /proc/net/tcp): the SITL harness needs Linux.")
    return False


class Sitl:
    """A running SITL; ``with Sitl(cfg) as sitl: ... sitl.connection``."""

    def __init__(self, cfg: SitlConfig):
        self.cfg = cfg
        self.proc: subprocess.Popen | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.workdir: Path | None = None
        self._log = None

    @property
    def connection(self) -> str:
        return self.cfg.connection

    def start(self) -> None:
        if port_listening(self.cfg.port):
            raise SitlError(f"port {self.cfg.port} is already in use. Hint: another SITL is running; stop it or use "
                            "another instance.")
        self._tmp = tempfile.TemporaryDirectory(prefix="thermal-sar-sitl-")
        self.workdir = Path(self._tmp.name)
        shutil.copyfile(self.cfg.defaults, self.workdir / "copter.parm")
        self._log = open(self.workdir / "sitl.out", "wb")
        self.proc = subprocess.Popen(sitl_command(self.cfg), cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.cfg.start_timeout_s
        while not port_listening(self.cfg.port):
            if self.proc.poll() is not None:
                out = self.output_tail()
                self.stop()
                raise SitlError(f"SITL exited with status {self.proc.returncode} before listening on "
                                f"{self.cfg.port}. Its output ends with:\n{out}")
            if time.monotonic() > deadline:
                self.stop()
                raise SitlError(f"SITL did not listen on TCP {self.cfg.port} within {self.cfg.start_timeout_s:.0f} s.")
            time.sleep(0.1)

    def output_tail(self, n_bytes: int = 2000) -> str:
        if self.workdir is None:
            return ""
        try:
            data = (self.workdir / "sitl.out").read_bytes()
        except OSError:
            return ""
        return data[-n_bytes:].decode("utf-8", "replace")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(self.cfg.stop_timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5.0)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Sitl:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def join_home_arg(argv: list[str]) -> list[str]:
    """``--home -35.36,149.16,...`` -> ``--home=-35.36,...``: argparse would take a negative latitude for an option."""
    out = list(argv)
    for i, a in enumerate(out[:-1]):
        if a == "--home" and out[i + 1].startswith("-"):
            out[i:i + 2] = [f"--home={out[i + 1]}"]
            break
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.sitl --sitl-binary PATH``: start SITL and keep it running until Ctrl-C."""
    ap = argparse.ArgumentParser(prog="python -m sim.sitl", description="Run real ArduPilot SITL (arducopter).")
    ap.add_argument("--sitl-binary", default=None, help=f"path to arducopter (default ${SITL_ENV})")
    ap.add_argument("--defaults", default=None, help="copter.parm (default: found beside the binary)")
    ap.add_argument("--speedup", type=int, default=1)
    ap.add_argument("--home", default=None, help="LAT,LON,ALT,HDG ")
    ap.add_argument("-I", "--instance", type=int, default=0)
    a = ap.parse_args(join_home_arg(sys.argv[1:] if argv is None else list(argv)))
    try:
        binary = find_sitl_binary(a.sitl_binary)
        if binary is None:
            raise SitlError(f"no SITL binary: pass --sitl-binary PATH or set {SITL_ENV}.")
        kw = {}
        if a.home:
            kw["home"] = tuple(float(v) for v in a.home.split(","))
        cfg = SitlConfig(binary, find_defaults(binary, a.defaults), speedup=a.speedup, instance=a.instance, **kw)
        with Sitl(cfg) as s:
            print(f"SITL listening on {s.connection} (working dir {s.workdir}); Ctrl-C stops", flush=True)
            while s.proc is not None and s.proc.poll() is None:
                time.sleep(0.5)
            print(f"SITL exited: {s.output_tail(500)}", file=sys.stderr)
            return 1
    except (SitlError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
