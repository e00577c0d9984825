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
#
# Start operators (`bgsafe scaffold service ADDON --start OPERATOR`): after enabling the add-on, each operator
# in START is called in order, bpy.ops.<a>.<b>('EXEC_DEFAULT', **properties). One that does not return
# {'FINISHED'} or {'RUNNING_MODAL'}, or raises, stops the service: a line on stderr names it and what it
# returned or raised, the add-on is disabled (its unregister() runs) and Blender quits with 1. Measured in
# Blender 3.4.1, 4.3.2 and 5.2.2 (background mode):
#   - an operator that does not exist: AttributeError: Calling operator "bpy.ops.nosuch.op" error, could not be found
#   - poll() false: RuntimeError: Operator bpy.ops.<a>.<b>.poll() failed, context is incorrect
#     (built-in operators may say more, e.g. view3d.view_all: `poll() expected a view3d region`; 5.2.2: `Expected`)
#   - an unknown property: TypeError: Converting py args to operator properties: : keyword "x" unrecognized
#   - execute() returning {'CANCELLED'}: no exception, the call returns {'CANCELLED'}
#   - execute() raising: RuntimeError: Error: Python: Traceback (most recent call last): ...
# Then the service is started: the script writes $BGSAFE_SERVICE_STARTED_FILE, and the launcher says it is ready.
import json
import os
import signal
import sys
import time

import addon_utils

ADDON = os.environ.get("BGSAFE_SERVICE_ADDON", "__BGSAFE_ADDON_MODULE__")
# The operators that start the service: [{"idname": "a.b", "properties": {...}}, ...] (a JSON string).
START = json.loads("__BGSAFE_START_JSON__")
SLEEP = 0.01  # seconds between rounds when nothing is due sooner: no busy spin

stop = []  # non-empty once a stop was asked for


def on_signal(signum, _frame):
    # Only note it: the loop below stops at its next round, outside any callback of the add-on.
    stop.append(signum)


# First of all, so that a SIGTERM during start-up still ends in a clean shutdown. (Signal handlers can be
# installed here: a --python script runs in Blender's main thread.)
signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
if os.environ.get("BGSAFE_SERVICE_SIGNALS_FILE"):
    # Tells the launcher that signals can be passed on now.
    open(os.environ["BGSAFE_SERVICE_SIGNALS_FILE"], "w").close()


def runtimes():
    """The bgsafe_runtime module of every loaded add-on (one per add-on that bgsafe fixed)."""
    return [
        module
        for name, module in list(sys.modules.items())
        if name.endswith(".bgsafe_runtime") and hasattr(module, "BGSAFE_RUNTIME_VERSION")
    ]


def print_errors(errors):
    import traceback

    for e in errors:
        traceback.print_exception(type(e), e, e.__traceback__)


def call_text(idname, properties):
    return "bpy.ops.%s(%s)" % (idname, ", ".join("%s=%r" % kv for kv in sorted(properties.items())))


def typed_properties(operator, properties):
    """`--start` values come typed from the command line (port=9876 is a number); give each the type of the
    operator's property where they differ in kind only: a string property gets "9876", an int property 9876
    from 9876.0, a boolean property True from 1. Anything else is passed as it is, for Blender to judge."""
    try:
        rna = operator.get_rna_type().properties
    except Exception:  # an unknown operator: its call raises the error the user should see
        return properties
    typed = {}
    for key, value in properties.items():
        prop = rna.get(key)
        kind = getattr(prop, "type", None)
        if kind == "STRING" and not isinstance(value, str):
            value = json.dumps(value) if isinstance(value, bool) else str(value)
        elif kind == "INT" and isinstance(value, float) and value.is_integer():
            value = int(value)
        elif kind == "BOOLEAN" and value in (0, 1) and not isinstance(value, bool):
            value = bool(value)
        typed[key] = value
    return typed


def run_start_operators():
    """Call START in order; (the calls that started, None) or (..., the reason the service cannot start)."""
    import bpy

    started = []
    for entry in START:
        idname = entry.get("idname", "")
        properties = entry.get("properties") or {}
        text = call_text(idname, properties)
        parts = idname.split(".")
        if len(parts) != 2 or not all(parts):
            return started, "start operator %r: not an operator idname (expected <category>.<name>)" % idname
        try:
            operator = getattr(getattr(bpy.ops, parts[0]), parts[1])
            properties = typed_properties(operator, properties)
            result = operator("EXEC_DEFAULT", **properties)
        except Exception as e:
            message = str(e).strip().replace("\n", " | ")
            return started, "start operator %s failed: %s: %s" % (text, type(e).__name__, message)
        if not ({"FINISHED", "RUNNING_MODAL"} & set(result)):
            return started, "start operator %s returned %r (expected {'FINISHED'} or {'RUNNING_MODAL'})" % (text, result)
        print("service: started %s -> %r" % (text, result), flush=True)
        started.append({"idname": idname, "properties": properties, "result": sorted(result)})
    return started, None


def shut_down(errors):
    """Disable the add-on (its unregister() runs) and forget what its runtime still holds."""
    addon_utils.disable(ADDON, default_set=False, handle_error=lambda e: errors.append(e))
    for runtime in runtimes():
        runtime.shutdown()  # cancels the asyncio tasks still running, forgets the timers


errors = []
module = addon_utils.enable(ADDON, default_set=False, persistent=True, handle_error=lambda e: errors.append(e))
if module is None or errors:
    print_errors(errors)
    sys.stderr.write("service: the add-on %r could not be enabled\n" % ADDON)
    sys.exit(1)
if not runtimes():
    sys.stderr.write(
        "service: %r has no bgsafe_runtime, so nothing it schedules with bpy.app.timers will run here; "
        "`bgsafe --write` on the add-on adds it. Keeping Blender alive anyway.\n" % ADDON
    )

started, failure = run_start_operators()
if failure:
    sys.stderr.write("service: %s; stopping %s\n" % (failure, ADDON))
    sys.stderr.flush()
    shut_down(errors)
    print_errors(errors)
    sys.exit(1)

if os.environ.get("BGSAFE_SERVICE_STARTED_FILE"):
    # The launcher's "ready" comes from this file (written whole, then renamed into place).
    path = os.environ["BGSAFE_SERVICE_STARTED_FILE"]
    with open(path + ".tmp", "w") as f:
        json.dump({"addon": ADDON, "pid": os.getpid(), "started": started}, f)
    os.replace(path + ".tmp", path)
print("service: %s is running (stop it with SIGTERM or Ctrl+C)" % ADDON, flush=True)

while True:
    # One round: every due timer callback runs once; the asyncio loop of run_coroutine() takes one step
    # (it is itself a callback on the pump). pump() returns the seconds until its next callback is due.
    loaded = runtimes()  # once a round: an add-on enabled by a callback joins at the next
    if stop or any(runtime.stop_requested() for runtime in loaded):
        break
    waits = [wait for wait in (runtime.pump() for runtime in loaded) if wait is not None]
    # Sleep until the next callback is due, at most SLEEP; a runtime's wait() (version 2) wakes at once when
    # another thread schedules work, so a client thread waiting for its answer is not kept waiting 10 ms.
    pause = max(0.001, min([SLEEP] + waits))
    next((runtime.wait for runtime in loaded if hasattr(runtime, "wait")), time.sleep)(pause)

print("service: stopping %s" % ADDON, flush=True)
shut_down(errors)
if errors:
    print_errors(errors)
    sys.exit(1)
sys.exit(0)
