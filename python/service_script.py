# The service script for the Blender add-on "__BGSAFE_ADDON_MODULE__", run inside Blender by
# __BGSAFE_LAUNCHER_NAME__ (`blender --background --factory-startup --python __BGSAFE_SCRIPT_NAME__`).
#
# Written by `bgsafe scaffold service`; yours to read, keep and edit.
#
# `blender --background --python script.py` quits as soon as the script ends, and in background mode
# bpy.app.timers never fire (measured in Blender 3.4 and 4.3). So this script is the service's main loop:
# it enables the add-on, then runs what the add-on scheduled through its bgsafe_runtime (timers and asyncio
# tasks), sleeping about 10 ms between rounds, until SIGTERM or SIGINT (or the add-on calls
# bgsafe_runtime.request_stop()); then it disables the add-on, so its unregister() runs, and quits with 0.
import os
import signal
import sys
import time

import addon_utils

ADDON = os.environ.get("BGSAFE_SERVICE_ADDON", "__BGSAFE_ADDON_MODULE__")
SLEEP = 0.01  # seconds between rounds when nothing is due sooner: no busy spin

stop = []  # non-empty once a stop was asked for


def on_signal(signum, _frame):
    # Only note it: the loop below stops at its next round, outside any callback of the add-on.
    stop.append(signum)


# First of all, so that a SIGTERM during start-up still ends in a clean shutdown. (Signal handlers can be
# installed here: a --python script runs in Blender's main thread.)
signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
if os.environ.get("BGSAFE_SERVICE_READY_FILE"):
    open(os.environ["BGSAFE_SERVICE_READY_FILE"], "w").close()


def runtimes():
    """The bgsafe_runtime module of every loaded add-on (one per add-on that bgsafe fixed)."""
    return [
        module
        for name, module in list(sys.modules.items())
        if name.endswith(".bgsafe_runtime") and hasattr(module, "BGSAFE_RUNTIME_VERSION")
    ]


def stop_requested():
    return bool(stop) or any(runtime.stop_requested() for runtime in runtimes())


errors = []
module = addon_utils.enable(ADDON, default_set=False, persistent=True, handle_error=lambda e: errors.append(e))
if module is None or errors:
    import traceback

    for e in errors:
        traceback.print_exception(type(e), e, e.__traceback__)
    sys.stderr.write("service: the add-on %r could not be enabled\n" % ADDON)
    sys.exit(1)
if not runtimes():
    sys.stderr.write(
        "service: %r has no bgsafe_runtime, so nothing it schedules with bpy.app.timers will run here; "
        "`bgsafe --write` on the add-on adds it. Keeping Blender alive anyway.\n" % ADDON
    )
print("service: %s is running (stop it with SIGTERM or Ctrl+C)" % ADDON, flush=True)

while not stop_requested():
    # One round: every due timer callback runs once; the asyncio loop of run_coroutine() takes one step
    # (it is itself a callback on the pump). pump() returns the seconds until its next callback is due.
    waits = [wait for wait in (runtime.pump() for runtime in runtimes()) if wait is not None]
    time.sleep(max(0.001, min([SLEEP] + waits)))

print("service: stopping %s" % ADDON, flush=True)
addon_utils.disable(ADDON, default_set=False, handle_error=lambda e: errors.append(e))
for runtime in runtimes():
    runtime.shutdown()  # cancels the asyncio tasks still running, forgets the timers
if errors:
    import traceback

    for e in errors:
        traceback.print_exception(type(e), e, e.__traceback__)
    sys.exit(1)
sys.exit(0)
