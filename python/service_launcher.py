#!/usr/bin/env python3
# Runs the Blender add-on "__BGSAFE_ADDON_MODULE__" as a headless service.
#
# Written by `bgsafe scaffold service`; yours to read, keep and edit. Run it with any python3 (3.6 or later):
#
#     python3 __BGSAFE_LAUNCHER_NAME__ [--ready-file PATH]     (Blender from $BLENDER, else `blender` on PATH)
#
# It starts `blender --background --factory-startup --python __BGSAFE_SCRIPT_NAME__` with a private scripts
# folder (BLENDER_USER_SCRIPTS) holding a copy of the add-on, so your own Blender settings and add-ons are
# neither used nor changed. Blender's output goes straight through. SIGINT and SIGTERM are passed on to
# Blender, whose service script then disables the add-on (its unregister() runs) and quits; this launcher
# exits with Blender's exit code. Headless, Blender's own timers never fire: the service script is the
# main loop that runs the add-on's work (see bgsafe_runtime.py in the add-on).
#
# Readiness: once the add-on is enabled and its start operators (if any) have finished, this launcher
# prints `service: ready: <add-on> (<seconds> s after launch)` on stderr and, with --ready-file PATH,
# writes PATH (atomically: a temporary file renamed into place) holding JSON {"addon", "pid" (Blender's),
# "launcher_pid", "seconds", "started" (the start operators)}. The file is removed when the service stops.
# A service that fails to start never writes it and exits non-zero.
#
# Blender's Python environment. Debian's Blender (and any build that uses the system Python) looks for an
# interpreter named `python3.N` (N: its own Python's minor version) first in its own python/bin folder,
# then on PATH, and gives the first one it finds to Python as sys.executable; Python then takes sys.prefix
# from it: a pyvenv.cfg beside it (a virtualenv) or a lib/python3.N/os.py above it (pyenv's versions, any
# other installation). So when a virtualenv or pyenv `python3.N` comes first on PATH, Blender's Python
# adopts that prefix and the system's packages (/usr/lib/python3/dist-packages) are not on sys.path.
# Measured (Blender 3.4.1 on Debian 12, Python 3.11.2; strace shows the stat() of /usr/share/blender/
# python/bin, then of <each PATH folder>/python3.11):
#   - PATH=<venv>/bin:...     -> sys.prefix=<venv>, sys.executable=<venv>/bin/python3.11, system packages
#                                do not import (ModuleNotFoundError: No module named 'yaml');
#   - PATH=~/.pyenv/versions/3.11.7/bin:... -> sys.prefix=~/.pyenv/versions/3.11.7 (pyenv's 3.11.7 standard
#                                library under Blender's 3.11.2), no site-packages at all;
#   - PATH=~/.pyenv/shims:... -> sys.prefix=/usr but sys.executable=~/.pyenv/shims/python3.11, so
#                                `subprocess.run([sys.executable, ...])` and multiprocessing run pyenv's Python;
#     and a program run by pyenv's `python3` shim (this launcher, say) has ~/.pyenv/versions/<v>/bin put
#     first on its PATH by the shim: Blender started from it took sys.prefix=~/.pyenv/versions/3.11.7;
#   - PYTHONEXECUTABLE=<venv>/bin/python3 -> sys.prefix=<venv>, even where Python ignores the environment;
#   - VIRTUAL_ENV, CONDA_PREFIX, PYENV_VERSION: no effect on Blender itself;
#   - PYTHONPATH, PYTHONHOME: read by Debian's 3.4.1 (sys.flags.ignore_environment=0); 4.3.2 and 5.2.2
#     ignore them unless started with --python-use-system-env.
# The same lookup holds for Debian's 4.3.2 (Python 3.13) and 5.2.2 (Python 3.14) run in a chroot that sees
# /tmp and $HOME: a python3.13 venv first on PATH gave 4.3.2 sys.prefix=<venv>, and a folder with
# bin/python3.14 and lib/python3.14/os.py gave 5.2.2 that prefix (numpy, requests: No module named ...).
# (That chroot sees /tmp, /proc, /dev, $HOME, the working folder: a venv or ~/.pyenv there is visible to it;
# the folders below are judged by what this launcher sees.)
# So Blender gets this environment less the Python environments of whoever runs the launcher: a PATH folder
# that holds a `python`, `python3` or `python3.N` is left out when it is
#   (a) a virtualenv's bin (a pyvenv.cfg in it or in its parent: venv, virtualenv, uv, poetry, pipenv),
#   (b) a conda environment's bin (conda-meta/ in its parent),
#   (c) a folder of shims (pyenv, asdf: named `shims`, its python entry a #! script), or
#   (d) another Python installation's bin (its parent holds lib/python3.N/os.py and is not /usr or /);
# and VIRTUAL_ENV, PYTHONEXECUTABLE and __PYVENV_LAUNCHER__ are unset. Everything else stays: PYTHONPATH and
# PYTHONHOME are deliberate settings (with --python-use-system-env they are the way to give Blender other
# packages). BGSAFE_KEEP_PYTHON_ENV=1 or --keep-python-env passes the environment on unchanged.
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# The add-on (a package folder or a module .py) and the service script, relative to this file.
ADDON_PATH = os.path.join(HERE, "__BGSAFE_ADDON_RELPATH__")
ADDON_MODULE = "__BGSAFE_ADDON_MODULE__"
SERVICE_SCRIPT = os.path.join(HERE, "__BGSAFE_SCRIPT_NAME__")
NAME = os.path.basename(__file__)
# A signal that arrives before the service script has installed its handlers is held back until then
# (Blender would otherwise die of it without running unregister()), at most this many seconds.
HOLD_SIGNALS_UP_TO = 30.0

PYTHON_NAME = re.compile(r"^python(3(\.[0-9]+)?)?$")
SYSTEM_PREFIXES = ("/usr", "/")
UNSET_FOR_BLENDER = ("VIRTUAL_ENV", "PYTHONEXECUTABLE", "__PYVENV_LAUNCHER__")


def python_environment_kind(folder):
    """What kind of Python environment the PATH folder `folder` is the bin of, or None (see the top)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    pythons = sorted(n for n in names if PYTHON_NAME.match(n))
    if not pythons:
        return None
    real = os.path.realpath(folder)
    parent = os.path.dirname(real)
    if os.path.isfile(os.path.join(real, "pyvenv.cfg")) or os.path.isfile(os.path.join(parent, "pyvenv.cfg")):
        return "a virtualenv"
    if os.path.isdir(os.path.join(parent, "conda-meta")):
        return "a conda environment"
    if os.path.basename(real) == "shims":
        for n in pythons:
            try:
                with open(os.path.join(real, n), "rb") as f:
                    if f.read(2) == b"#!":
                        return "a folder of Python shims"
            except OSError:
                pass
    if parent not in SYSTEM_PREFIXES:
        for n in names:
            if re.match(r"^python3\.[0-9]+$", n) and os.path.isfile(os.path.join(parent, "lib", n, "os.py")):
                return "a Python installation in %s" % parent
    return None


def blender_environment(environ):
    """(environment for Blender, what was left out) — see the top of this file."""
    env = dict(environ)
    left_out = []
    kept = []
    for folder in env.get("PATH", "").split(os.pathsep):
        kind = python_environment_kind(folder) if folder else None
        if kind:
            left_out.append("%s (%s)" % (folder, kind))
        else:
            kept.append(folder)
    if left_out:
        env["PATH"] = os.pathsep.join(kept)
    for name in UNSET_FOR_BLENDER:
        if name in env:
            del env[name]
            left_out.append("$%s" % name)
    return env, left_out


def private_scripts_folder():
    """A temporary BLENDER_USER_SCRIPTS with addons/<add-on> copied in (no __pycache__ in your sources)."""
    root = tempfile.mkdtemp(prefix="bgsafe-service-")
    addons = os.path.join(root, "addons")
    os.makedirs(addons)
    ignore = shutil.ignore_patterns("__pycache__", ".git", "*.pyc")
    if os.path.isdir(ADDON_PATH):
        shutil.copytree(ADDON_PATH, os.path.join(addons, ADDON_MODULE), ignore=ignore)
    else:
        shutil.copy2(ADDON_PATH, os.path.join(addons, ADDON_MODULE + ".py"))
    os.makedirs(os.path.join(root, "config"))
    return root


def write_atomically(path, text):
    """Write `text` to `path` through a temporary file in the same folder, renamed into place."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog=NAME,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Run the Blender add-on %r as a headless service: `blender --background --factory-startup --python %s`\n"
            "with the add-on (%s) copied into a private scripts folder; your Blender settings are neither used nor\n"
            "changed. Blender is $BLENDER, else `blender` on PATH. Blender's output goes straight through."
            % (ADDON_MODULE, os.path.basename(SERVICE_SCRIPT), ADDON_PATH)
        ),
        epilog=(
            "readiness: once the add-on is enabled and its start operators have finished, a line\n"
            "  `service: ready: %s (<seconds> s after launch)` goes to stderr and, with --ready-file, PATH is\n"
            "  written atomically with JSON {\"addon\", \"pid\" (Blender's), \"launcher_pid\", \"seconds\", \"started\"};\n"
            "  it is removed when the service stops. A service that fails to start never writes it.\n"
            "stopping: SIGTERM or SIGINT (Ctrl+C) to this launcher; it passes them on to Blender, whose service\n"
            "  script disables the add-on (its unregister() runs) and quits. A signal that comes before the\n"
            "  service script can handle it is held back (up to %d s).\n"
            "Blender's Python: PATH folders of virtualenvs, conda environments, pyenv/asdf shims and other Python\n"
            "  installations are left out of Blender's PATH, and VIRTUAL_ENV, PYTHONEXECUTABLE are unset, so that\n"
            "  Blender's Python keeps its own prefix and packages (see the top of this file); --keep-python-env\n"
            "  or BGSAFE_KEEP_PYTHON_ENV=1 passes the environment on unchanged.\n"
            "exit status: Blender's (0 after a clean stop); 1 the add-on or a start operator failed; 2 bad\n"
            "  arguments or no add-on; 127 no Blender; 128+N Blender was killed by signal N."
            % (ADDON_MODULE, int(HOLD_SIGNALS_UP_TO))
        ),
    )
    parser.add_argument("--ready-file", metavar="PATH", help="write PATH (JSON) when the service is ready; removed when it stops")
    parser.add_argument(
        "--keep-python-env",
        action="store_true",
        default=os.environ.get("BGSAFE_KEEP_PYTHON_ENV") == "1",
        help="pass PATH, VIRTUAL_ENV and PYTHONEXECUTABLE on to Blender unchanged (also BGSAFE_KEEP_PYTHON_ENV=1)",
    )
    return parser.parse_args(argv)


def die_with_launcher():
    """In Blender's process before it starts (Linux): SIGTERM it when this launcher dies, even by SIGKILL, so
    that no Blender is left serving after its launcher is gone. Elsewhere, or without libc, nothing."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except Exception:
        pass


def main(argv=None):
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    launched = time.monotonic()
    given = os.environ.get("BLENDER") or "blender"
    blender = shutil.which(given)
    if blender is None:
        sys.stderr.write("%s: Blender not found (%s): set $BLENDER to the blender executable\n" % (NAME, given))
        return 127
    # An absolute path: Blender's PATH below may have lost the folder that `blender` was found in.
    blender = os.path.abspath(blender)
    if not os.path.exists(ADDON_PATH):
        sys.stderr.write("%s: the add-on is not at %s\n" % (NAME, ADDON_PATH))
        return 2
    ready_file = os.path.abspath(args.ready_file) if args.ready_file else None
    if ready_file and not os.path.isdir(os.path.dirname(ready_file)):
        sys.stderr.write("%s: --ready-file %s: no such folder\n" % (NAME, args.ready_file))
        return 2

    if args.keep_python_env:
        env = dict(os.environ)
    else:
        env, left_out = blender_environment(os.environ)
        if left_out:
            sys.stderr.write(
                "service: Blender runs without the caller's Python environment: %s (--keep-python-env keeps it)\n"
                % ", ".join(left_out)
            )
    root = private_scripts_folder()
    signals_file = os.path.join(root, "signal-handlers-installed")
    started_file = os.path.join(root, "service-started")
    env["BLENDER_USER_SCRIPTS"] = root
    env["BLENDER_USER_CONFIG"] = os.path.join(root, "config")
    env["BGSAFE_SERVICE_ADDON"] = ADDON_MODULE
    env["BGSAFE_SERVICE_SIGNALS_FILE"] = signals_file
    env["BGSAFE_SERVICE_STARTED_FILE"] = started_file

    pending = []

    def on_signal(signum, _frame):
        pending.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    command = [blender, "--background", "--factory-startup", "--python-exit-code", "1", "--python", SERVICE_SCRIPT]
    try:
        blender_process = subprocess.Popen(command, env=env, preexec_fn=die_with_launcher)
    except OSError as e:
        sys.stderr.write("%s: cannot start %s: %s\n" % (NAME, blender, e))
        shutil.rmtree(root, ignore_errors=True)
        return 127

    ready = False
    wrote_ready_file = False
    asked_to_stop = [False]
    try:
        while blender_process.poll() is None:
            # Pass signals on once Blender's service script can handle them (or when waiting is pointless).
            if pending and (os.path.exists(signals_file) or time.monotonic() - launched > HOLD_SIGNALS_UP_TO):
                if wrote_ready_file:
                    remove_quietly(ready_file)  # stopping: no longer ready
                    wrote_ready_file = False
                asked_to_stop[0] = True
                blender_process.send_signal(pending.pop(0))
            if not ready and not pending and os.path.exists(started_file):
                ready = True
                seconds = round(time.monotonic() - launched, 2)
                try:
                    with open(started_file) as f:
                        started = json.load(f)
                except (OSError, ValueError):
                    started = {}
                sys.stderr.write("service: ready: %s (%.2f s after launch)\n" % (ADDON_MODULE, seconds))
                sys.stderr.flush()
                if ready_file:
                    info = {
                        "addon": ADDON_MODULE,
                        "pid": started.get("pid", blender_process.pid),
                        "launcher_pid": os.getpid(),
                        "seconds": seconds,
                        "started": started.get("started", []),
                    }
                    write_atomically(ready_file, json.dumps(info) + "\n")
                    wrote_ready_file = True
            time.sleep(0.05)
    finally:
        if wrote_ready_file:
            remove_quietly(ready_file)
        shutil.rmtree(root, ignore_errors=True)
    code = blender_process.returncode
    if code < 0 and not asked_to_stop[0]:
        # Killed from outside (the OOM killer, `kill -9`): say so; its unregister() did not run.
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "signal %d" % -code
        sys.stderr.write(
            "service: Blender (pid %d) was killed by %s while running %s; the add-on's unregister() did not run\n"
            % (blender_process.pid, name, ADDON_MODULE)
        )
    if not ready:
        sys.stderr.write("service: %s stopped before it was ready (Blender's exit code %s)\n" % (ADDON_MODULE, code))
    # Killed by a signal: exit as a shell reports it (128 + the signal's number).
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main())
