# bgsafe_runtime in the GUI (bpy.app.background False) with real threads, under plain python3 with the
# stand-in bpy of this folder, whose bpy.app.timers asserts that only the main thread touches it; the main
# thread plays Blender's main loop (a round of timers, then a short sleep). Run by
# test/runtime-threads.test.ts: python3 threads_gui.py DIR, where DIR holds bgsafe_runtime.py and bpy.py.
# Prints one line `RESULT {json}`; an assertion that fails exits non-zero with its message.
import importlib
import json
import statistics
import sys
import threading
import time
import types

sys.path.insert(0, sys.argv[1])
import bpy  # noqa: E402
import bgsafe_runtime as rt  # noqa: E402

MAIN = threading.get_ident()
timers = bpy.app.timers
result = {}
thread_errors = []
threading.excepthook = lambda args: thread_errors.append("%s: %s" % (args.exc_type.__name__, args.exc_value))


def bridges():
    return [f for f in timers.alive() if type(getattr(f, "__self__", None)).__name__ == "_Bridge"]


def drive(until, seconds=30.0):
    """Blender's main loop until `until()` holds: a round of timers, then about 2 ms of sleep."""
    end = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < end, "timed out driving the main loop"
        timers.run()
        time.sleep(0.002)


def in_thread(fn):
    """Run fn() in a new thread; its return value or exception (as text)."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except Exception as e:
            box["error"] = "%s: %s" % (type(e).__name__, e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def in_thread_driven(fn):
    """in_thread(fn), driving the main loop until it has finished (for calls that wait for the main thread)."""
    t, box = in_thread(fn)
    drive(lambda: not t.is_alive())
    return box


# Imported on the main thread: one bridge, registered there.
assert len(bridges()) == 1, timers.alive()
result["bridge_at_import"] = len(bridges())

# --- many threads hand work to the main thread and wait for the result ------------------------------
THREADS, EACH = 8, 200
runs, latencies, answered = {}, [], [0]
lock = threading.Lock()


def client(t):
    for i in range(EACH):
        done, box = threading.Event(), {}

        def callback(key=(t, i)):
            runs.setdefault(key, []).append(threading.get_ident())
            box["value"], box["ran_at"] = key, time.monotonic()
            done.set()
            return None

        at = time.monotonic()
        assert rt.schedule(callback, first_interval=0.0) is None
        if not done.wait(10):
            thread_errors.append("thread %d: no answer for request %d" % (t, i))
            return
        assert box["value"] == (t, i)
        with lock:
            answered[0] += 1
            latencies.append((box["ran_at"] - at) * 1000.0)


clients = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(THREADS)]
rounds0 = timers.rounds
for c in clients:
    c.start()
drive(lambda: not any(c.is_alive() for c in clients), 60)
result["stress"] = {
    "callbacks_seen": len(runs),
    "missing": THREADS * EACH - len(runs),
    "ran_more_than_once": sum(1 for v in runs.values() if len(v) > 1),
    "off_main_thread": sum(1 for v in runs.values() for ident in v if ident != MAIN),
    "answered": answered[0],
    "main_loop_rounds": timers.rounds - rounds0,
    "latency_ms_median": round(statistics.median(latencies), 3) if latencies else None,
    "latency_ms_max": round(max(latencies), 3) if latencies else None,
}

# --- is_scheduled / unschedule from a thread give Blender's answers ---------------------------------
checks = {}


def late():
    checks["late_ran"] = True


# Handed over, not registered yet (no main-loop round): scheduled, at once, without waiting.
t, box = in_thread(lambda: (rt.schedule(late, first_interval=60.0), rt.is_scheduled(late)))
t.join(5)
checks["handed_over_is_scheduled"] = box.get("value", box.get("error"))
assert not t.is_alive() and box["value"] == (None, True), box
assert not timers.is_registered(late)  # really not registered yet
drive(lambda: timers.is_registered(late))  # the bridge registers it
checks["registered_is_scheduled"] = in_thread_driven(lambda: rt.is_scheduled(late)).get("value")
checks["unschedule"] = in_thread_driven(lambda: rt.unschedule(late)).get("value", "raised")
checks["after_unschedule_is_scheduled"] = in_thread_driven(lambda: rt.is_scheduled(late)).get("value")
checks["unschedule_again"] = in_thread_driven(lambda: rt.unschedule(late)).get("error")
checks["never_scheduled_is_scheduled"] = in_thread_driven(lambda: rt.is_scheduled(print)).get("value")
assert not timers.is_registered(late)

# A function handed over and taken back before the main thread saw it never runs.
def never():
    checks["never_ran"] = True


# (is_scheduled then asks the main thread, so the main loop runs meanwhile.)
checks["taken_back"] = in_thread_driven(lambda: (rt.schedule(never), rt.unschedule(never), rt.is_scheduled(never))).get("value")
for _ in range(20):
    timers.run()
assert "never_ran" not in checks

# Errors of register() raised in the calling thread.
t, box = in_thread(lambda: rt.schedule(1))
t.join(5)
checks["thread_schedule_not_callable"] = box.get("error")
t, box = in_thread(lambda: rt.schedule(print, first_interval="x"))
t.join(5)
checks["thread_schedule_bad_interval"] = box.get("error")

# A repeating timer registered on the main thread, stopped from a thread: no run after unschedule() returned.
beats = []


def beat():
    beats.append(time.monotonic())
    return 0.005


rt.schedule(beat, first_interval=0.0, persistent=True)
drive(lambda: len(beats) >= 3)
box = in_thread_driven(lambda: (rt.unschedule(beat), time.monotonic())[1])
stopped_at = box["value"]
for _ in range(20):
    timers.run()
    time.sleep(0.002)
checks["runs_after_thread_unschedule"] = sum(1 for b in beats if b > stopped_at)

# first_interval counts from the schedule() call in the thread, not from when the main thread took it.
ran = {}
t0 = time.monotonic()
t, box = in_thread(lambda: rt.schedule(lambda: ran.setdefault("at", time.monotonic()), first_interval=0.3))
t.join(5)
time.sleep(0.2)  # the main thread is busy: no round
drive(lambda: "at" in ran)
checks["first_interval_0.3_ran_after"] = round(ran["at"] - t0, 3)

# --- the main thread: exactly bpy.app.timers ----------------------------------------------------------
def main_error(fn):
    try:
        return ("ok", fn())
    except Exception as e:
        return ("%s: %s" % (type(e).__name__, e),)


checks["main_schedule_not_callable"] = main_error(lambda: rt.schedule(1))
checks["main_unschedule_unknown"] = main_error(lambda: rt.unschedule(print))
checks["main_is_scheduled_unknown"] = main_error(lambda: rt.is_scheduled(print))
# A main-thread call first makes the calls handed over before it: this one sees the thread's schedule().
def handed():
    return None


t, box = in_thread(lambda: rt.schedule(handed, first_interval=60.0))
t.join(5)
checks["main_sees_handed_over"] = rt.is_scheduled(handed) and timers.is_registered(handed)
rt.unschedule(handed)

# --- a copy that replaces this one: the old bridge stops, its pending calls are made -----------------
old_bridge = rt._bridge
t, box = in_thread(lambda: rt.schedule(lambda: checks.setdefault("pending_before_reload_ran", True)))
t.join(5)
importlib.reload(rt)  # the same module object, executed again
drive(lambda: len(bridges()) == 1 and bridges()[0].__self__ is rt._bridge and "pending_before_reload_ran" in checks)
checks["after_reload_bridges"] = len(bridges())
checks["old_bridge_state"] = old_bridge.state

# As bgsafe embeds the runtime in a single-file add-on: the source executed into a fresh module that
# replaces the first in sys.modules.
source = open(rt.__spec__.origin).read()
first = rt
first_fn = first.schedule


def embed():
    module = types.ModuleType("bgsafe_runtime")
    sys.modules["bgsafe_runtime"] = module
    exec(compile(source, "<addon>.bgsafe_runtime", "exec"), module.__dict__)
    return module


second = embed()
drive(lambda: len(bridges()) == 1 and bridges()[0].__self__ is second._bridge)
third = embed()
drive(lambda: len(bridges()) == 1 and bridges()[0].__self__ is third._bridge)
checks["after_embeds_bridges"] = len(bridges())
checks["embedded_second_state"] = second._bridge.state
# Threads of the old copies still get their work done: the call goes to the current copy's bridge.
for name, module in (("first", first), ("second", second)):
    box = in_thread_driven(lambda m=module, n=name: m.schedule(lambda: checks.setdefault("old_%s_copy_ran" % n, threading.get_ident() == MAIN)))
    drive(lambda n=name: "old_%s_copy_ran" % n in checks)
    checks["old_%s_copy_is_scheduled_answer" % name] = in_thread_driven(lambda m=module: m.is_scheduled(print)).get("value")

# The bridge's cost: one round with nothing handed over.
bridge = bridges()[0]
n = 20000
c0 = time.perf_counter()
for _ in range(n):
    bridge()
result["bridge_idle_tick_us"] = round((time.perf_counter() - c0) / n * 1e6, 3)
result["checks"] = checks
result["thread_errors"] = thread_errors
print("RESULT " + json.dumps(result), flush=True)
