# bgsafe_runtime in background mode with real threads; run by test/runtime-threads.test.ts both under plain
# python3 (with the stand-in bpy of this folder) and inside `blender --background --python` (3.4, 4.3, 5.2).
# Usage: python3 threads_background.py DIR  /  blender -b --python threads_background.py -- DIR
# where DIR holds bgsafe_runtime.py (and, for python3, bpy.py). Prints one line `RESULT {json}`.
#
# 1. THREADS threads schedule EACH callbacks each, one at a time, and wait for each one's result, while the
#    main thread runs serve_forever(): every callback must run once, on the main thread, and every thread
#    get its answer; the latency from schedule() to the callback running is measured.
# 2. Races: unschedule() of a running callback from another thread; is_scheduled() from a thread while the
#    pump reschedules the callback; wait() woken by a schedule() from a thread; errors from a thread.
# 3. The GUI path (bpy.app.background patched to False) against this bpy.app.timers: a thread's calls go
#    through the bridge, ticked by hand on the main thread, and get Blender's own answers and errors.
import json
import statistics
import sys
import threading
import time
import types

folder = sys.argv[sys.argv.index("--") + 1] if "--" in sys.argv else sys.argv[1]
sys.path.insert(0, folder)

import bpy  # noqa: E402
import bgsafe_runtime as rt  # noqa: E402

THREADS, EACH = 8, 200
MAIN = threading.get_ident()
result = {"blender": bpy.app.version_string, "python": sys.version.split()[0], "background": bpy.app.background}
thread_errors = []
threading.excepthook = lambda args: thread_errors.append("%s: %s" % (args.exc_type.__name__, args.exc_value))

# --- 1. many threads hand work to the main thread and wait for it --------------------------------------
runs = {}  # (thread, i) -> [thread idents the callback ran on]
latencies = []
answered = [0]
answer_lock = threading.Lock()


def client(t):
    for i in range(EACH):
        done = threading.Event()
        box = {}

        def callback(key=(t, i), scheduled=None):
            runs.setdefault(key, []).append(threading.get_ident())
            box["ran_at"] = time.monotonic()
            box["value"] = key[0] * 1000 + key[1]
            done.set()
            return None

        at = time.monotonic()
        rt.schedule(callback, first_interval=0.0)  # non-persistent: from a thread, the load handler waits for the main thread
        if not done.wait(10):
            thread_errors.append("thread %d: no answer for request %d within 10 s" % (t, i))
            return
        if box["value"] != t * 1000 + i:
            thread_errors.append("thread %d: wrong answer %r for request %d" % (t, box["value"], i))
        with answer_lock:
            answered[0] += 1
            latencies.append((box["ran_at"] - at) * 1000.0)


clients = [threading.Thread(target=client, args=(t,), name="client-%d" % t, daemon=True) for t in range(THREADS)]


def stopper():
    for c in clients:
        c.join(60)
    rt.request_stop()


t0 = time.monotonic()
for c in clients:
    c.start()
threading.Thread(target=stopper, daemon=True).start()
rt.serve_forever(handle_signals=False)
elapsed = time.monotonic() - t0
counts = [len(v) for v in runs.values()]
result["stress"] = {
    "threads": THREADS,
    "each": EACH,
    "callbacks_seen": len(runs),
    "missing": THREADS * EACH - len(runs),
    "ran_more_than_once": sum(1 for n in counts if n > 1),
    "off_main_thread": sum(1 for v in runs.values() for ident in v if ident != MAIN),
    "answered": answered[0],
    "seconds": round(elapsed, 3),
    "latency_ms_median": round(statistics.median(latencies), 3) if latencies else None,
    "latency_ms_p99": round(sorted(latencies)[int(len(latencies) * 0.99) - 1], 3) if latencies else None,
    "latency_ms_max": round(max(latencies), 3) if latencies else None,
}
result["load_handler_installed_once"] = list(bpy.app.handlers.load_pre).count(rt._drop_non_persistent) == 1


def pump_for(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rt.pump()
        time.sleep(0.001)


checks = {}

# --- 2a. unschedule() of a running callback from another thread: it finishes, and is not run again --------
started, proceed = threading.Event(), threading.Event()
busy_runs = []


def busy():
    busy_runs.append(threading.get_ident())
    started.set()
    proceed.wait(5)
    return 0.0  # would run again at the next pump


def unscheduler():
    started.wait(5)
    checks["running_is_scheduled"] = rt.is_scheduled(busy)
    rt.unschedule(busy)
    checks["after_unschedule_is_scheduled"] = rt.is_scheduled(busy)
    proceed.set()


rt.schedule(busy, persistent=True)
u = threading.Thread(target=unscheduler, daemon=True)
u.start()
pump_for(0.2)
u.join(5)
checks["running_unscheduled_runs"] = len(busy_runs)
checks["running_unscheduled_left"] = rt.is_scheduled(busy)

# --- 2b. is_scheduled() from a thread while the pump reschedules the callback every tick -------------------
ticks = [0]


def repeating():
    ticks[0] += 1
    return 0.0


rt.schedule(repeating, persistent=True)
seen = {"true": 0, "false": 0}


def asker():
    for _ in range(20000):
        seen["true" if rt.is_scheduled(repeating) else "false"] += 1
    rt.unschedule(repeating)


a = threading.Thread(target=asker, daemon=True)
a.start()
while a.is_alive():
    rt.pump()
a.join()
checks["racing_is_scheduled"] = seen
checks["racing_ticks"] = ticks[0]
checks["racing_left"] = rt.is_scheduled(repeating)

# --- 2c. wait() returns when another thread schedules --------------------------------------------------
rt.pump()
rt.wait(0)  # forget earlier wake-ups


def late_scheduler():
    time.sleep(0.05)
    rt.schedule(lambda: None, persistent=True)


w0 = time.monotonic()
threading.Thread(target=late_scheduler, daemon=True).start()
checks["wait_woken"] = rt.wait(5)
checks["wait_seconds"] = round(time.monotonic() - w0, 4)
checks["wait_timeout_returns_false"] = rt.wait(0.01) is False  # nothing scheduled since
rt.pump()

# --- 2e. copies of the runtime in two add-ons share the Event: a loop in one's wait() wakes for the other --
copies = []
for name in ("addon_a.bgsafe_runtime", "addon_b.bgsafe_runtime"):
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(open(rt.__spec__.origin).read(), "<%s>" % name, "exec"), module.__dict__)
    copies.append(module)
copies[0].wait(0)
threading.Timer(0.05, lambda: copies[1].schedule(lambda: None, persistent=True)).start()
w0 = time.monotonic()
checks["copies_share_wake"] = copies[0]._wake is copies[1]._wake
checks["other_copy_wakes_wait"] = copies[0].wait(5)
checks["other_copy_wait_seconds"] = round(time.monotonic() - w0, 4)
copies[1].pump()

# --- 2d. errors raised in the calling thread, as Blender raises them --------------------------------------
errors = {}


def wrong_calls():
    for name, call in (
        ("unschedule_unknown", lambda: rt.unschedule(print)),
        ("schedule_not_callable", lambda: rt.schedule(1)),
        ("schedule_bad_interval", lambda: rt.schedule(print, first_interval="x")),
    ):
        try:
            call()
            errors[name] = None
        except Exception as e:
            errors[name] = "%s: %s" % (type(e).__name__, e)


e = threading.Thread(target=wrong_calls, daemon=True)
e.start()
e.join(5)
checks["errors"] = errors
checks["is_scheduled_unknown"] = rt.is_scheduled(print)
result["checks"] = checks

# --- 3. the GUI path against this Blender's own bpy.app.timers ----------------------------------------
# Headless, Blender's timers never fire, so the bridge cannot tick by itself; the main thread makes its
# ticks here by hand. What this shows: the calls a thread hands over are made with Blender's real API, on
# the main thread, and a thread gets Blender's own answers and errors.
gui = {}
rt._background = lambda: False
timers = bpy.app.timers


def handed():
    return None


def in_thread(fn):
    box = {}

    def run():
        try:
            box["value"] = fn()
        except Exception as e:
            box["error"] = "%s: %s" % (type(e).__name__, e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def ticking(fn):
    """fn() in a thread, ticking the bridge on the main thread until it has finished."""
    t, box = in_thread(fn)
    end = time.monotonic() + 10
    while t.is_alive() and time.monotonic() < end:
        rt._bridge.tick()
        time.sleep(0.001)
    return box.get("value", box.get("error", "no answer within 10 s"))


t, box = in_thread(lambda: (rt.schedule(handed, first_interval=60.0), rt.is_scheduled(handed)))
t.join(5)
gui["handed_over"] = box.get("value", box.get("error"))
gui["blender_before_tick"] = timers.is_registered(handed)
gui["main_call_starts_bridge"] = rt.is_scheduled(print) is False and rt._bridge.state == "running"
gui["blender_after_main_call"] = timers.is_registered(handed)
gui["thread_is_scheduled"] = ticking(lambda: rt.is_scheduled(handed))
gui["thread_unschedule"] = ticking(lambda: rt.unschedule(handed))
gui["blender_after_unschedule"] = timers.is_registered(handed)
gui["thread_unschedule_again"] = ticking(lambda: rt.unschedule(handed))
result["gui_path"] = gui
# The cost of the bridge's tick when nothing is handed over (it runs every 5 ms in the GUI).
n = 20000
c0 = time.perf_counter()
for _ in range(n):
    rt._bridge.tick()
result["bridge_idle_tick_us"] = round((time.perf_counter() - c0) / n * 1e6, 3)
result["thread_errors"] = thread_errors
print("RESULT " + json.dumps(result), flush=True)
