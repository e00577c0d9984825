// BGS022 beyond its fixtures: the shared "starts a service" detection (src/syntax/service-start.ts) on
// add-on-shaped code — a single function, one level of same-file calls, a package with ops/ and server/
// and relative imports, an operator with a port property whose execute() opens a non-blocking socket
// server polled by a persistent timer, a register() that starts a thread, UI-only operators that start
// nothing — and the rule's judgement of the messages it keeps, and its messages.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { run } from '../src/runner.js';
import { timersNeverFire } from '../rules/timers-never-fire.js';
import { parsePython } from '../src/parse.js';
import { processSource } from '../src/engine.js';
import { serviceStarters, serviceStartsIn } from '../src/syntax/service-start.js';
import { backgroundRefusal } from '../rules/background-refusal/index.js';
import { stillTrue } from '../rules/background-refusal/guard.js';
import { headlessImpossible } from '../rules/background-refusal/work.js';
import type { SyntaxNode } from '../src/types.js';

/** The starts of the function `name` (a method `Class.name` too) of `source`, as `what@line`. */
function startsOf(source: string, name: string): string[] {
  const root = parsePython(source).rootNode;
  const [cls, method] = name.includes('.') ? name.split('.') : [null, name];
  const fn = root.descendantsOfType('function_definition').find((f: SyntaxNode) => {
    if (f.childForFieldName('name')?.text !== method) return false;
    if (!cls) return true;
    const owner = f.parent?.parent;
    return owner?.type === 'class_definition' && owner.childForFieldName('name')?.text === cls;
  });
  assert.ok(fn, `no function ${name}`);
  return serviceStartsIn(fn, root).map((s) => `${s.what}@${s.node.startPosition.row + 1}${s.via ? ` via ${s.via.childForFieldName('function')?.text}` : ''}`);
}

const BRIDGE = `import socket
import threading
import bpy
from bpy.app import timers as app_timers


class Bridge:
    def start(self):
        self._open()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        app_timers.register(self._drain, persistent=True)

    def _open(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 9876))
        self.sock.listen(5)

    def _loop(self):
        while True:
            self.sock.accept()

    def _drain(self):
        return 0.1


def start_http(port):
    from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
    server = ThreadingHTTPServer(("127.0.0.1", port), BaseHTTPRequestHandler)
    server.serve_forever()


def start_worker():
    import subprocess
    return subprocess.Popen(["python3", "-m", "worker_server", "--port", "9000"])


def open_folder(path):
    import subprocess
    subprocess.Popen(["xdg-open", path])


def draw_shader(shader):
    shader.bind()
    shader.uniform_float("color", (1, 1, 1, 1))


def nested_only():
    def later():
        threading.Thread(target=print).start()
    return later
`;

describe('serviceStartsIn', () => {
  it('finds binds, listens, threads and timers in the body and one level of self.x() calls', () => {
    assert.deepEqual(startsOf(BRIDGE, 'Bridge.start'), [
      'binds a socket@16 via self._open',
      'listens on a socket@17 via self._open',
      'starts a thread@11',
      'schedules a timer@12',
    ]);
  });

  it('HTTP server classes, serve_forever, a server subprocess; not xdg-open, a shader\'s bind(), a nested def', () => {
    assert.deepEqual(startsOf(BRIDGE, 'start_http'), ['binds a socket@29', 'runs a server loop@30']);
    assert.deepEqual(startsOf(BRIDGE, 'start_worker'), ['starts a server process@35']);
    assert.deepEqual(startsOf(BRIDGE, 'open_folder'), []);
    assert.deepEqual(startsOf(BRIDGE, 'draw_shader'), []);
    assert.deepEqual(startsOf(BRIDGE, 'nested_only'), []);
  });

  it('asyncio, the runtime, create_server, Thread subclasses, t = Thread(...) then t.start()', () => {
    const src = `import asyncio, socket, threading
from . import bgsafe_runtime


class Worker(threading.Thread):
    pass


async def serve():
    server = await asyncio.start_server(None, "127.0.0.1", 8765)


def start_all():
    sock = socket.create_server(("127.0.0.1", 8000))
    t = threading.Thread(target=print)
    t.start()
    Worker().start()
    bgsafe_runtime.schedule(print, first_interval=0.0)
    bgsafe_runtime.run_coroutine(serve())
    asyncio.run(serve())


def helper_calls():
    start_all()
`;
    assert.deepEqual(startsOf(src, 'start_all'), [
      'binds a socket@14', 'starts a thread@16', 'starts a thread@17', 'schedules a timer@18', 'starts asyncio work@19',
      // serve() is a same-file function start_all calls: its own start comes one level down.
      'starts an asyncio server@10 via serve', 'runs asyncio@20',
    ]);
    assert.deepEqual(startsOf(src, 'serve'), ['starts an asyncio server@10']);
    // One level only: helper_calls -> start_all is followed, what start_all calls is not.
    assert.equal(startsOf(src, 'helper_calls').length, 6);
    assert.ok(startsOf(src, 'helper_calls').every((s) => s.endsWith('via start_all')));
  });

  it('methods of an instance made in the function or at module level: bpy.types.x = Server(); bpy.types.x.start()', () => {
    const src = `import socket
import threading
import bpy


class MCPServer:
    def __init__(self, port=9876):
        self.port = port

    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("localhost", self.port))
        self.sock.listen(1)
        self.thread = threading.Thread(target=self.loop)
        self.thread.daemon = True
        self.thread.start()

    def loop(self):
        pass


shared = MCPServer()


class MCP_OT_start(bpy.types.Operator):
    bl_idname = "mcp.start"
    bl_label = "Start"

    def execute(self, context):
        if not getattr(bpy.types, "mcp_server", None):
            bpy.types.mcp_server = MCPServer(port=context.scene.mcp_port)
        bpy.types.mcp_server.start()
        return {'FINISHED'}


def start_shared():
    shared.start()
`;
    const via = ['binds a socket@12', 'listens on a socket@13', 'starts a thread@16'];
    assert.deepEqual(startsOf(src, 'MCP_OT_start.execute'), via.map((s) => `${s} via bpy.types.mcp_server.start`));
    assert.deepEqual(startsOf(src, 'start_shared'), via.map((s) => `${s} via shared.start`));
    assert.deepEqual(serviceStarters([{ path: 'mcp/__init__.py', source: src }]).operators.map((o) => o.idname), ['mcp.start']);
  });

  it('a thread object that is never started, and bpy calls named like socket calls, start nothing', () => {
    const src = 'import socket, threading, bpy\n\n\ndef f():\n    t = threading.Thread(target=print)\n    bpy.ops.wm.bind(x=1)\n    return t\n';
    assert.deepEqual(startsOf(src, 'f'), []);
  });
});

/** A package-shaped add-on: __init__.py, ops/ with a start operator, server/ with the socket server. */
const PACKAGE = [
  {
    path: 'scene_link/__init__.py',
    source: `bl_info = {"name": "Scene Link", "blender": (3, 0, 0)}
import bpy
from . import ops, prefs
from .server import heartbeat


def register():
    ops.register()
    prefs.register()
    heartbeat.start_heartbeat()


def unregister():
    ops.unregister()
`,
  },
  {
    path: 'scene_link/ops/__init__.py',
    source: `import bpy
from bpy.props import IntProperty
from ..server.listener import open_listener
from .. import bgsafe_runtime


class SCENELINK_OT_start_server(bpy.types.Operator):
    bl_idname = "scene_link.start_server"
    bl_label = "Start Scene Link Server"

    port: IntProperty(name="Port", default=9876, min=1024, max=65535)

    def execute(self, context):
        sock = open_listener(self.port)
        bgsafe_runtime.schedule(lambda: poll(sock), first_interval=0.1, persistent=True)
        return {'FINISHED'}


class SCENELINK_OT_show_port(bpy.types.Operator):
    bl_idname = "scene_link.show_port"
    bl_label = "Show Port"

    def invoke(self, context, event):
        return context.window_manager.invoke_props_dialog(self)

    def execute(self, context):
        self.report({'INFO'}, "port shown")
        return {'FINISHED'}


class SCENELINK_PT_panel(bpy.types.Panel):
    bl_idname = "SCENELINK_PT_panel"
    bl_label = "Scene Link"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"

    def draw(self, context):
        self.layout.operator("scene_link.start_server")


def poll(sock):
    return 0.1


classes = (SCENELINK_OT_start_server, SCENELINK_OT_show_port, SCENELINK_PT_panel)


def register():
    for cls in classes:
        bpy.utils.register_class(cls)


def unregister():
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
`,
  },
  {
    path: 'scene_link/server/__init__.py',
    source: '',
  },
  {
    path: 'scene_link/server/listener.py',
    source: `import socket


def open_listener(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1)
    sock.setblocking(False)
    return sock
`,
  },
  {
    path: 'scene_link/server/heartbeat.py',
    source: `import threading
import time


def _beat():
    while True:
        time.sleep(1.0)


def start_heartbeat():
    threading.Thread(target=_beat, daemon=True).start()
`,
  },
  {
    path: 'scene_link/prefs.py',
    source: `import bpy


class SceneLinkPrefs(bpy.types.AddonPreferences):
    bl_idname = __package__


def register():
    bpy.utils.register_class(SceneLinkPrefs)
`,
  },
];

describe('serviceStarters', () => {
  it('the start_server operator (its execute opens a non-blocking socket in server/ and schedules a poll), not the UI-only one', () => {
    const { operators } = serviceStarters(PACKAGE);
    assert.deepEqual(operators, [
      {
        idname: 'scene_link.start_server',
        className: 'SCENELINK_OT_start_server',
        file: 'scene_link/ops/__init__.py',
        line: 7,
        starts: ['binds a socket', 'listens on a socket', 'schedules a timer'],
      },
    ]);
  });

  it('register() of __init__ that starts a thread through another module (one level), each start once', () => {
    const { registerStarts } = serviceStarters(PACKAGE);
    assert.deepEqual(registerStarts, [{ file: 'scene_link/server/heartbeat.py', line: 11, what: 'starts a thread' }]);
  });

  it('a register() that starts a thread itself, and a timer polled server started from register() in a module', () => {
    const { operators, registerStarts } = serviceStarters([
      { path: 'relay/__init__.py', source: 'from . import net\n\n\ndef register():\n    net.register()\n' },
      {
        path: 'relay/net.py',
        source: `import socket, threading
import bpy


def _serve():
    pass


def _poll():
    return 0.1


def register():
    threading.Thread(target=_serve, daemon=True).start()
    bpy.app.timers.register(_poll, first_interval=0.1, persistent=True)
`,
      },
    ]);
    assert.deepEqual(operators, []);
    assert.deepEqual(registerStarts, [
      { file: 'relay/net.py', line: 14, what: 'starts a thread' },
      { file: 'relay/net.py', line: 15, what: 'schedules a timer' },
    ]);
  });

  it('a UI-only add-on starts nothing', () => {
    const ui = PACKAGE[1].source.replace(/sock = open_listener\(self\.port\)\n\s+bgsafe_runtime\.schedule\([^\n]+\n/, '');
    assert.deepEqual(serviceStarters([{ path: 'ui_only/__init__.py', source: ui }]), { operators: [], registerStarts: [] });
  });
});

describe('BGS022 judgement', () => {
  it('messages that describe the refusal are dropped, others kept', () => {
    for (const gone of [
      'cannot start server in background mode (blender -b) - commands would never execute',
      'Remote server is not supported in background mode',
      'MCP needs a UI: run Blender with xvfb-run',
      'Skipping the listener in headless mode',
      'Server disabled in background mode',
      "can't run headless",
      '',
    ]) {
      assert.equal(stillTrue(gone), false, gone);
    }
    for (const kept of ['Listener: the port comes from LISTENER_PORT', 'Scene Link uses port 9876']) assert.equal(stillTrue(kept), true, kept);
  });

  it('work that cannot run headless is recognised', () => {
    assert.equal(headlessImpossible('gpu.shader.from_builtin("UNIFORM_COLOR")'), 'GPU drawing');
    assert.equal(headlessImpossible('gpu.init()'), null);
    assert.equal(headlessImpossible('context.window_manager.invoke_props_dialog(self)'), 'a dialog or popup');
    assert.equal(headlessImpossible('bpy.ops.screen.screenshot(filepath=p)'), 'a screen operator');
    assert.equal(headlessImpossible('context.area.tag_redraw()'), 'work on areas and regions');
    assert.equal(headlessImpossible('self.area_light = 2'), null);
  });

  it('reports with what it refuses and the measured facts; the fix only with --unsafe-fixes', () => {
    const src = [
      'import socket',
      'import bpy',
      '',
      '',
      'def start_server(port):',
      '    if bpy.app.background:',
      '        print("server cannot run in background")',
      '        return',
      '    sock = socket.create_server(("127.0.0.1", port))',
      '    return sock',
      '',
    ].join('\n');
    const safe = processSource('mcp.py', src, { rules: [backgroundRefusal], unsafeFixes: false });
    assert.equal(safe.output, src);
    assert.equal(safe.findings.length, 1);
    const [f] = safe.findings;
    assert.equal(f.fixStatus, 'available');
    assert.match(f.message, /^`start_server\(\)` binds a socket, but first returns under `if bpy\.app\.background:` \(it says "server cannot run in background"\)/);
    assert.match(f.message, /bgsafe scaffold service/);
    assert.match(f.message, /3\.4\.1, 4\.3\.2 and 5\.2\.2/);
    const fixed = processSource('mcp.py', src, { rules: [backgroundRefusal], unsafeFixes: true });
    assert.equal(fixed.output, src.replace('    if bpy.app.background:\n        print("server cannot run in background")\n        return\n', ''));
  });

  it('a start through bpy.app.timers says BGS011 must move the timer too', () => {
    const src = 'import bpy\n\n\ndef poll():\n    return 0.1\n\n\ndef start():\n    if bpy.app.background:\n        return\n    bpy.app.timers.register(poll, persistent=True)\n';
    const r = processSource('t.py', src, { rules: [backgroundRefusal], unsafeFixes: false });
    assert.equal(r.findings.length, 1);
    assert.match(r.findings[0].message, /schedules a timer/);
    assert.match(r.findings[0].message, /BGS011 moves it onto the runtime/);
  });
});

describe('BGS022 with BGS011 on a package add-on', () => {
  it('--unsafe-fixes removes the refusal, then BGS011 moves the timer it guarded onto the runtime; a second run changes nothing', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-bgs022-'));
    try {
      const pkg = path.join(work, 'live_link');
      mkdirSync(pkg);
      const init = [
        'bl_info = {"name": "Live Link", "blender": (3, 0, 0)}',
        'import socket',
        'import bpy',
        '',
        '_server = {}',
        '',
        '',
        'def poll_socket():',
        '    return 0.1',
        '',
        '',
        'def start(port=9000):',
        '    if bpy.app.background:',
        '        print("Live Link cannot run in background mode: timers never fire")',
        '        return',
        '    _server["sock"] = socket.create_server(("127.0.0.1", port))',
        '    bpy.app.timers.register(poll_socket, persistent=True)',
        '',
      ].join('\n');
      writeFileSync(path.join(pkg, '__init__.py'), init);
      const opts = { paths: ['.'], cwd: work, rules: [timersNeverFire, backgroundRefusal], unsafeFixes: true, config: false, write: true };
      const first = await run(opts);
      assert.deepEqual(first.errors, []);
      const fixed = readFileSync(path.join(pkg, '__init__.py'), 'utf8');
      assert.equal(
        fixed,
        init
          .replace('import bpy\n', 'import bpy\nfrom . import bgsafe_runtime\n')
          .replace('    if bpy.app.background:\n        print("Live Link cannot run in background mode: timers never fire")\n        return\n', '')
          .replace('bpy.app.timers.register(poll_socket', 'bgsafe_runtime.schedule(poll_socket'),
      );
      assert.ok(existsSync(path.join(pkg, 'bgsafe_runtime.py')), 'the runtime is created');
      const second = await run(opts);
      assert.equal(second.summary.filesChanged, 0);
      assert.equal(second.summary.findings, 0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('a script whose start uses bpy.app.timers: reported with what to do by hand (nothing would pump a runtime there)', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-bgs022-single-'));
    try {
      const text = 'import bpy\n\n\ndef poll_socket():\n    return 0.1\n\n\ndef start():\n    if bpy.app.background:\n        return\n    bpy.app.timers.register(poll_socket)\n';
      writeFileSync(path.join(work, 'live_link.py'), text);
      const r = await run({ paths: ['.'], cwd: work, rules: [backgroundRefusal], unsafeFixes: true, config: false, write: true });
      assert.deepEqual(r.files.flatMap((f) => f.findings.map((x) => x.messageId)), ['refusalManual']);
      assert.match(r.files[0].findings[0].message, /this file is a script, not an add-on/);
      assert.equal(readFileSync(path.join(work, 'live_link.py'), 'utf8'), text);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('a single-file add-on: with BGS011 the guard goes and the runtime is embedded into the file', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-bgs022-single-'));
    try {
      const text = 'import bpy\n\nbl_info = {"name": "Live Link", "blender": (3, 0, 0)}\n\n\ndef poll_socket():\n    return 0.1\n\n\n' +
        'def start():\n    if bpy.app.background:\n        print("cannot start in background mode: timers would never execute")\n        return\n' +
        '    bpy.app.timers.register(poll_socket)\n';
      writeFileSync(path.join(work, 'live_link.py'), text);
      const r = await run({ paths: ['.'], cwd: work, rules: [backgroundRefusal, timersNeverFire], unsafeFixes: true, config: false, write: true });
      assert.deepEqual(r.errors, []);
      const out = readFileSync(path.join(work, 'live_link.py'), 'utf8');
      assert.match(out, /^# >>> bgsafe runtime >>>$/m);
      assert.match(out, /def start\(\):\n    bgsafe_runtime\.schedule\(poll_socket\)\n$/);
      assert.doesNotMatch(out, /cannot start/);
      const again = await run({ paths: ['.'], cwd: work, rules: [backgroundRefusal, timersNeverFire], unsafeFixes: true, config: false, write: false });
      assert.equal(again.summary.filesChanged, 0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
