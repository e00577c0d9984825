# A stand-in for the parts of Blender's `bpy` that bgsafe_runtime uses, for its thread tests under plain
# python3 (test/runtime-threads.test.ts). Written for bgsafe's tests; no Blender code.
#
# bpy.app.timers behaves like Blender's (measured in 3.4.1, 4.3.2, 5.2.2): a plain list of timers that
# only the main thread may touch, so each call asserts it runs there; register() appends (a function
# registered twice is two timers), unregister() removes the oldest, run() is one round of Blender's main
# loop and calls every due timer in order (one registered during the round too, as Blender's list walk
# reaches it). bpy.app.handlers.load_pre asserts the same on append.
# BGSAFE_STUB_BACKGROUND=1 makes bpy.app.background True; BGSAFE_STUB_VERSION="5.2.2" sets the version.
import os
import threading
import time
import traceback


def _main_thread_only(what):
    if threading.get_ident() != threading.main_thread().ident:
        raise AssertionError("%s called from thread %r, not the main thread" % (what, threading.current_thread().name))


class _Timers:
    def __init__(self):
        self.funcs = []  # [function, next time, persistent, removed]
        self.rounds = 0

    def register(self, function, *, first_interval=0, persistent=False):
        _main_thread_only("bpy.app.timers.register")
        if not callable(function):
            raise TypeError("function is not callable")
        if isinstance(first_interval, str):
            raise TypeError("must be real number, not str")
        self.funcs.append([function, time.monotonic() + float(first_interval), bool(persistent), False])

    def unregister(self, function):
        _main_thread_only("bpy.app.timers.unregister")
        for timer in self.funcs:
            if timer[0] is function and not timer[3]:
                timer[3] = True
                return None
        raise ValueError(app._not_registered)

    def is_registered(self, function):
        _main_thread_only("bpy.app.timers.is_registered")
        return any(timer[0] is function and not timer[3] for timer in self.funcs)

    def run(self):
        """One round of Blender's main loop: each due timer once; the seconds it returns, or None to stop."""
        _main_thread_only("the timer round")
        self.rounds += 1
        now = time.monotonic()
        i = 0
        while i < len(self.funcs):
            timer = self.funcs[i]
            i += 1
            if timer[3] or timer[1] > now:
                continue
            try:
                interval = timer[0]()
            except Exception:
                traceback.print_exc()
                interval = None
            if interval is None:
                timer[3] = True
            else:
                timer[1] = time.monotonic() + float(interval)
        self.funcs[:] = [timer for timer in self.funcs if not timer[3]]

    def alive(self):
        return [timer[0] for timer in self.funcs if not timer[3]]


class _HandlerList(list):
    def append(self, item):
        _main_thread_only("bpy.app.handlers.load_pre.append")
        list.append(self, item)


class _Handlers:
    def __init__(self):
        self.load_pre = _HandlerList()

    @staticmethod
    def persistent(function):
        return function


class _App:
    def __init__(self):
        self.background = os.environ.get("BGSAFE_STUB_BACKGROUND") == "1"
        self.version = tuple(int(part) for part in os.environ.get("BGSAFE_STUB_VERSION", "4.3.2").split("."))
        self.version_string = os.environ.get("BGSAFE_STUB_VERSION", "4.3.2") + " (stub)"
        self._not_registered = "function is not registered" if self.version >= (5, 0, 0) else "Error: function is not registered"
        self.timers = _Timers()
        self.handlers = _Handlers()


app = _App()
