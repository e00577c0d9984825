// bgsafe_runtime.run_modal (BGS012's fix for modal-only operators on TIMER events), run in python3 with a
// stand-in `bpy`, so no Blender is needed: the GUI call is exactly `op('INVOKE_DEFAULT', **kw)`; headless,
// invoke() runs at once and modal() gets a TIMER event on each tick of the timers invoke() added, on the
// pump, until it finishes, cancels, raises, or removes its timer. (test/modal-start-headless-timer.e2e.test.ts
// proves it in real Blender.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runtimeModuleText } from '../src/syntax/timers-never-fire-runtime.js';

const BPY = String.raw`
class _Handlers:
    load_pre = []
    @staticmethod
    def persistent(f):
        return f
class _Timers:
    def register(self, f, first_interval=0, persistent=False): raise AssertionError("GUI timer in background")
class app:
    background = True
    timers = _Timers()
    handlers = _Handlers()
class _StructRNA: pass
class _Operator(_StructRNA): pass
class types:
    Operator = _Operator
class _WM:
    def event_timer_add(self, step, window=None): raise AssertionError("real timer")
    def modal_handler_add(self, op): raise TypeError("expected a Operator type")
    progress = "real wm attribute"
class context:
    window_manager = _WM()
    window = "the window"
    area = None
class _Prop:
    def __init__(self, identifier, type, default=None, is_array=False, default_array=()):
        self.identifier, self.type, self.default, self.is_array, self.default_array = identifier, type, default, is_array, default_array
        self.is_enum_flag = False
class _Rna:
    properties = [_Prop("rna_type", "POINTER"), _Prop("beats", "INT", 3), _Prop("size", "FLOAT", is_array=True, default_array=[1.0, 2.0])]
class OpFunction:
    """bpy.ops.x.y: its idname and RNA type; calling it is the GUI path."""
    def __init__(self, idname): self._idname, self.calls = idname, []
    def idname(self): return self._idname
    def get_rna_type(self): return _Rna()
    def __call__(self, *args, **kw):
        self.calls.append((args, kw))
        return {"RUNNING_MODAL"}
`;

const SCRIPT = String.raw`
import time, bpy, bgsafe_runtime as rt

log = []

class Mixin:
    def write(self, what):
        log.append(what)

class TEST_OT_beat(bpy.types.Operator, Mixin):
    bl_idname = "test.beat"
    def invoke(self, context, event):
        assert event.type == "NONE"
        self.count = 0
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.01, window=context.window)
        assert wm.modal_handler_add(self) is True
        assert wm.progress == "real wm attribute" and context.window == "the window"
        assert self.properties.beats == self.beats and self.size == (1.0, 2.0)
        return {"RUNNING_MODAL"}
    def modal(self, context, event):
        if event.type in {"ESC"}:
            return {"CANCELLED"}
        if event.type == "TIMER":
            assert event.value == "NOTHING" and self._timer.time_step == 0.01
            self.count += 1
            self.write(self.count)
            if self.count >= self.beats:
                context.window_manager.event_timer_remove(self._timer)
                self.report({"INFO"}, "beats: %d" % self.count)
                return {"FINISHED"}
        return {"PASS_THROUGH"}

bpy.types.TEST_OT_beat = TEST_OT_beat
op = bpy.OpFunction("TEST_OT_beat")

def pump_for(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rt.pump(); time.sleep(0.002)

assert rt.run_modal(op, beats=4) == {"RUNNING_MODAL"}
assert log == [], "modal() runs on the pump, not in run_modal"
pump_for(0.3)
assert log == [1, 2, 3, 4], log
assert rt.pump() is None, "the operator finished: nothing left on the pump"

# Defaults; an exception in modal() stops it (its traceback printed by the pump).
class TEST_OT_boom(TEST_OT_beat):
    def modal(self, context, event):
        log.append("boom")
        raise RuntimeError("boom")
bpy.types.TEST_OT_boom = TEST_OT_boom
log.clear()
rt.run_modal(bpy.OpFunction("TEST_OT_boom"))
pump_for(0.1)
assert log == ["boom"], log
assert rt.pump() is None

# invoke() that does not start a modal loop: nothing is scheduled.
class TEST_OT_quick(TEST_OT_beat):
    def invoke(self, context, event):
        context.window_manager.event_timer_add(0.01)
        return {"FINISHED"}
bpy.types.TEST_OT_quick = TEST_OT_quick
log.clear()
assert rt.run_modal(bpy.OpFunction("TEST_OT_quick")) == {"FINISHED"}
pump_for(0.05)
assert log == [] and rt.pump() is None

# Unknown keywords fail as Blender's do.
try:
    rt.run_modal(op, nope=1)
    raise SystemExit("no TypeError")
except TypeError as e:
    assert 'keyword "nope" unrecognized' in str(e), e

# GUI: exactly the call it replaces.
bpy.app.background = False
gui = bpy.OpFunction("TEST_OT_beat")
assert rt.run_modal(gui, beats=2) == {"RUNNING_MODAL"}
assert gui.calls == [(("INVOKE_DEFAULT",), {"beats": 2})], gui.calls
print("ok")
`;

describe('bgsafe_runtime.run_modal (python3, stand-in bpy)', () => {
  const python3 = spawnSync('python3', ['--version']).status === 0;
  it('runs invoke() now and modal() on TIMER ticks of the pump; GUI unchanged', { skip: python3 ? false : 'no python3' }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-run-modal-'));
    writeFileSync(path.join(dir, 'bgsafe_runtime.py'), runtimeModuleText());
    writeFileSync(path.join(dir, 'bpy.py'), BPY);
    const r = spawnSync('python3', ['-c', SCRIPT], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Info: beats: 4/);
    assert.match(r.stderr, /RuntimeError: boom/, 'the pump prints the traceback of a failing modal()');
    assert.match(r.stdout, /ok/);
  });
});
