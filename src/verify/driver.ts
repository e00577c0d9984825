// The Python that `bgsafe verify` runs inside Blender. Written into each add-on's temporary folder and run
// with `--python`; it reads its job from the JSON file named by $BGSAFE_VERIFY_JOB and appends one JSON event
// a line to the job's `events` file, flushing each, so a crash or a hang still leaves the last step begun.
//
// Modes:
//   prep     enable the add-on in the (temporary) preferences *without running its code*, then save them,
//            so the next start enables it at start-up the way a render node or CI job meets it.
//   startup  Blender started with those preferences: check the add-on got enabled, run the --script,
//            disable it, enable it again.
//   script   factory settings: addon_utils.enable, disable, enable again, run the --script.
//
// "register() ran to its end" is what addon_utils.check() reports as loaded: addon_utils sets
// `__addon_enabled__` only after register() returned, and on an exception it drops the module.

export const DRIVER_MARKER = 'bgsafe-verify: driver started';

export const DRIVER_PY = String.raw`
import json
import os
import sys
import traceback

import bpy
import addon_utils

with open(os.environ["BGSAFE_VERIFY_JOB"], encoding="utf-8") as _f:
    JOB = json.load(_f)
MODULE = JOB["module"]
_events = open(JOB["events"], "a", encoding="utf-8")


def emit(**event):
    _events.write(json.dumps(event) + "\n")
    _events.flush()
    os.fsync(_events.fileno())


_DRIVER_FILES = {os.path.abspath(globals().get("__file__", "")), "<frozen runpy>"}


def describe(ex):
    summary = traceback.extract_tb(ex.__traceback__)
    # The driver's own frames (and runpy's, for the --script) say nothing about the add-on.
    while len(summary) > 1 and (summary[0].filename in _DRIVER_FILES or summary[0].filename.endswith("runpy.py")):
        summary = traceback.StackSummary.from_list(list(summary)[1:])
    frames = [
        {"file": fr.filename, "line": fr.lineno, "function": fr.name, "code": fr.line or ""}
        for fr in summary
    ]
    text = "Traceback (most recent call last):\n" + "".join(summary.format()) + "".join(
        traceback.format_exception_only(type(ex), ex))
    return {"type": type(ex).__name__, "message": str(ex), "frames": frames, "text": text}


class Capture:
    """A handle_error for addon_utils that keeps the exception instead of only printing it."""

    def __init__(self):
        self.errors = []

    def __call__(self, ex):
        traceback.print_exc()
        self.errors.append(describe(ex))


def state():
    default, loaded = addon_utils.check(MODULE)
    return [bool(default), bool(loaded)]


def why_not_loaded():
    mod = sys.modules.get(MODULE)
    if mod is not None:
        info = getattr(mod, "bl_info", None)
        if isinstance(info, dict) and tuple(info.get("blender", (0, 0, 0))) < (2, 80, 0):
            return "bl_info['blender'] is %r: Blender ignores add-ons made for versions before 2.80" % (
                tuple(info.get("blender", ())),)
    return None


def step_enable(name):
    emit(event="begin", step=name)
    capture = Capture()
    try:
        addon_utils.enable(MODULE, default_set=True, handle_error=capture)
    except BaseException as ex:  # SystemExit, KeyboardInterrupt raised by the add-on's code
        capture.errors.append(describe(ex))
    st = state()
    ok = st[1] and not capture.errors
    emit(event="end", step=name, ok=ok, state=st, errors=capture.errors, note=None if ok else why_not_loaded())
    return ok


def step_disable(name):
    emit(event="begin", step=name)
    capture = Capture()
    try:
        addon_utils.disable(MODULE, default_set=True, handle_error=capture)
    except BaseException as ex:
        capture.errors.append(describe(ex))
    st = state()
    ok = not st[1] and not capture.errors
    emit(event="end", step=name, ok=ok, state=st, errors=capture.errors, note=None)
    return ok


def step_startup():
    # Nothing to do: Blender enabled the add-on (or failed to) before this script ran; its traceback,
    # if any, is on Blender's stderr before the marker.
    emit(event="begin", step="startup")
    st = state()
    ok = st[0] and st[1]
    note = None
    if not st[0]:
        note = "the add-on is not in the loaded preferences (were they read?)"
    elif not ok:
        note = why_not_loaded()
    emit(event="end", step="startup", ok=ok, state=st, errors=[], note=note)
    return ok


def step_script():
    path = JOB.get("script")
    if not path:
        return True
    emit(event="begin", step="script")
    errors = []
    import runpy
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as ex:
        if ex.code not in (None, 0):
            errors.append(describe(ex))
    except BaseException as ex:
        errors.append(describe(ex))
    ok = not errors
    emit(event="end", step="script", ok=ok, state=state(), errors=errors, note=None)
    return ok


def prep():
    prefs = bpy.context.preferences
    if MODULE not in prefs.addons:
        prefs.addons.new().module = MODULE
    result = bpy.ops.wm.save_userpref()
    emit(event="end", step="prep", ok="FINISHED" in result, state=None, errors=[], note=None)


def main():
    sys.stderr.write("\n" + JOB["marker"] + "\n")
    sys.stderr.flush()
    emit(event="start", mode=JOB["mode"], version=bpy.app.version_string,
         python=sys.version.split()[0], background=bool(bpy.app.background))
    mode = JOB["mode"]
    if mode == "prep":
        prep()
    elif mode == "startup":
        (step_startup() and step_script() and step_disable("disable") and step_enable("re-enable"))
    else:
        (step_enable("enable") and step_disable("disable") and step_enable("re-enable") and step_script())
    emit(event="done")
    # Leave the rest to Blender: it quits after --python scripts in background mode. If a thread the
    # add-on started keeps the process alive, that is the hang a CI job would meet too.


try:
    main()
except BaseException as _ex:
    emit(event="internal-error", error=describe(_ex))
    raise
`;
