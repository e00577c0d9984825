#!/usr/bin/env python3
# Runs the Blender add-on "__BGSAFE_ADDON_MODULE__" as a headless service.
#
# Written by `bgsafe scaffold service`; yours to read, keep and edit. Run it with the system python3:
#
#     python3 __BGSAFE_LAUNCHER_NAME__            (Blender from $BLENDER, else `blender` on PATH)
#
# It starts `blender --background --factory-startup --python __BGSAFE_SCRIPT_NAME__` with a private scripts
# folder (BLENDER_USER_SCRIPTS) holding a copy of the add-on, so your own Blender settings and add-ons are
# neither used nor changed. Blender's output goes straight through. SIGINT and SIGTERM are passed on to
# Blender, whose service script then disables the add-on (its unregister() runs) and quits; this launcher
# exits with Blender's exit code. Headless, Blender's own timers never fire: the service script is the
# main loop that runs the add-on's work (see bgsafe_runtime.py in the add-on).
import os
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
# A signal that arrives before the service script has installed its handlers is held back until then
# (Blender would otherwise die of it without running unregister()), at most this many seconds.
HOLD_SIGNALS_UP_TO = 30.0


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


def main():
    blender = os.environ.get("BLENDER") or "blender"
    if shutil.which(blender) is None:
        sys.stderr.write("%s: Blender not found: set $BLENDER to the blender executable\n" % os.path.basename(__file__))
        return 127
    if not os.path.exists(ADDON_PATH):
        sys.stderr.write("%s: the add-on is not at %s\n" % (os.path.basename(__file__), ADDON_PATH))
        return 2

    root = private_scripts_folder()
    ready_file = os.path.join(root, "service-ready")
    env = dict(os.environ)
    env["BLENDER_USER_SCRIPTS"] = root
    env["BLENDER_USER_CONFIG"] = os.path.join(root, "config")
    env["BGSAFE_SERVICE_ADDON"] = ADDON_MODULE
    env["BGSAFE_SERVICE_READY_FILE"] = ready_file

    pending = []

    def on_signal(signum, _frame):
        pending.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    command = [blender, "--background", "--factory-startup", "--python-exit-code", "1", "--python", SERVICE_SCRIPT]
    try:
        blender_process = subprocess.Popen(command, env=env)
    except OSError as e:
        sys.stderr.write("%s: cannot start %s: %s\n" % (os.path.basename(__file__), blender, e))
        shutil.rmtree(root, ignore_errors=True)
        return 127

    started = time.monotonic()
    try:
        while blender_process.poll() is None:
            # Pass signals on once Blender's service script can handle them (or when waiting is pointless).
            if pending and (os.path.exists(ready_file) or time.monotonic() - started > HOLD_SIGNALS_UP_TO):
                blender_process.send_signal(pending.pop(0))
            time.sleep(0.05)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    code = blender_process.returncode
    # Killed by a signal: exit as a shell reports it (128 + the signal's number).
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main())
