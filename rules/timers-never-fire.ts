// BGS011 timers-never-fire: a service (a socket server, a queue poller, a live-link bridge, a deferred
// start) driven by `bpy.app.timers`. In `blender --background` timers never fire, so the add-on loads and
// then silently does nothing. The fix schedules the callback through the add-on's runtime module
// (python/bgsafe_runtime.py, generated once into the add-on's package): in the GUI it is exactly
// bpy.app.timers; headless its pump runs the callback when a service loop drives it
// (`bgsafe scaffold service` writes one).
import type { Edit, Fix, SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';
import { enclosingFunction, isGuarded, mentionsBackground } from '../src/syntax/scope.js';
import { dottedPath, functionAt, importedAs } from '../src/model/module.js';
import { embeddedRuntimeRange, removeEmbeddedRuntimeEdit, RUNTIME_MODULE_NAME, runtimeAccess, usesEmbeddedRuntime } from '../src/syntax/timers-never-fire-runtime.js';

/** bpy.app.timers function → its bgsafe_runtime counterpart. */
const COUNTERPART: Record<string, string> = {
  register: 'schedule',
  unregister: 'unschedule',
  is_registered: 'is_scheduled',
};

const CALL_QUERY = '(call function: (attribute object: (_) @object attribute: (identifier) @op) @callee arguments: (argument_list) @args) @call';
const FUNCTION_QUERY = '(function_definition name: (identifier) @name) @def';

/** What a callback's code does when it is a service: sockets, queues, asyncio, subprocesses, threads, HTTP. */
const SERVICE_CODE =
  /\b(?:socket|select\.select|selectors|accept|recv|recvfrom|sendall|queue|Queue|get_nowait|asyncio|run_until_complete|run_forever|subprocess|urllib|http\.client|http\.server|requests\.(?:get|post)|websockets?|zmq|serve_forever|handle_request|Thread|multiprocessing)\b/;
/** What a service callback is called. */
const SERVICE_NAME = /(?:serve|server|listen|poll|socket|queue|request|client|connection|bridge|heartbeat|live_?link)/i;

interface TimerCall {
  call: SyntaxNode;
  callee: SyntaxNode;
  op: 'register' | 'unregister' | 'is_registered';
  /** The callback argument (first positional), if any. */
  fn: SyntaxNode | null;
  /** Already a bgsafe_runtime call. */
  runtime: boolean;
}

function timerCalls(ctx: RuleContext): TimerCall[] {
  const aliases = importedAs(ctx.model.index, 'bpy.app', 'timers');
  const out: TimerCall[] = [];
  for (const m of ctx.matches(CALL_QUERY)) {
    const op = m.op.text;
    const obj = m.object.text;
    const isTimers = obj === 'bpy.app.timers' || (m.object.type === 'identifier' && aliases.has(obj));
    const runtime = obj === RUNTIME_MODULE_NAME && Object.values(COUNTERPART).includes(op);
    if (!runtime && !(isTimers && op in COUNTERPART)) continue;
    const args = m.args.namedChildren.filter((c) => c.type !== 'comment');
    const first = args[0];
    const byKeyword = args.find((c) => c.type === 'keyword_argument' && c.childForFieldName('name')?.text === 'function');
    const fn = first && !['keyword_argument', 'list_splat', 'dictionary_splat'].includes(first.type)
      ? first
      : byKeyword?.childForFieldName('value') ?? null;
    const bpyOp = runtime ? (Object.keys(COUNTERPART).find((k) => COUNTERPART[k] === op) as TimerCall['op']) : (op as TimerCall['op']);
    out.push({ call: m.call, callee: m.callee, op: bpyOp, fn, runtime });
  }
  return out;
}

/** The callback's name, for messages and the name test: `poll`, `self.poll` → `poll`, `partial(poll, …)` → `poll`. */
function callbackName(fn: SyntaxNode): string | null {
  if (fn.type === 'identifier') return fn.text;
  if (fn.type === 'attribute') return fn.childForFieldName('attribute')?.text ?? null;
  if (fn.type === 'call' && /(^|\.)partial$/.test(fn.childForFieldName('function')?.text ?? '')) {
    const inner = fn.childForFieldName('arguments')?.namedChildren.find((c) => c.type !== 'comment');
    return inner ? callbackName(inner) : null;
  }
  return null;
}

/** The code the callback runs: the defs of that name in the file, a lambda's body, and (one level) the
 *  same-file functions those call. */
function callbackCode(ctx: RuleContext, fn: SyntaxNode, defs: Map<string, SyntaxNode[]>): string {
  const seen = new Set<number>();
  const parts: string[] = [];
  const add = (n: SyntaxNode, depth: number): void => {
    if (seen.has(n.id)) return;
    seen.add(n.id);
    parts.push(n.text);
    if (depth >= 1) return;
    for (const c of n.descendantsOfType('call')) {
      const name = callbackName(c.childForFieldName('function')!);
      for (const d of (name && defs.get(name)) || []) add(d, depth + 1);
    }
  };
  if (fn.type === 'lambda') add(fn, 0);
  const name = callbackName(fn);
  const local = (fn.type === 'identifier' && defs.get(fn.text)) || [];
  for (const d of local) add(d, 0);
  if (local.length === 0) {
    // A callback defined in another file of the add-on (`from .jobs import drain`, `jobs.drain`), and what
    // it calls there.
    const target = ctx.model.addon.resolve(ctx.model.module, dottedPath(fn) ?? [], functionAt(ctx.model.index, fn));
    if (target?.kind === 'function') {
      parts.push(target.def.node.text);
      const idx = ctx.model.addon.index(target.module);
      for (const call of idx?.callsIn.get(target.def.node.id) ?? []) {
        for (const c of ctx.model.addon.callees(target.module, call)) parts.push(c.def.node.text);
      }
    } else for (const d of (name && defs.get(name)) || []) add(d, 0);
  }
  return parts.join('\n');
}

/** The hand-over of a server thread to the main thread: the function that registers the timer itself does
 *  service work (a client handler that waits on a queue or an event for the callback's result, or answers a
 *  socket), whatever the callback does (it may only touch the scene). A lambda's own body does not count. */
function handsOver(call: SyntaxNode): boolean {
  const fn = enclosingFunction(call);
  return !!fn && fn.type === 'function_definition' && (SERVICE_CODE.test(fn.text) || /\b(?:Event|Condition|Future)\b|\.wait\(/.test(fn.text));
}

/** True when the call only runs in the GUI already: under a condition on `bpy.app.background` (also around
 *  the function that holds it), or after an `if bpy.app.background: return` in an enclosing block. */
function guiOnly(node: SyntaxNode): boolean {
  return isGuarded(node, mentionsBackground, { tryExcept: false, acrossFunctions: true });
}

export const timersNeverFire = defineRule({
  code: 'BGS011',
  slug: 'timers-never-fire',
  summary: 'A service driven by bpy.app.timers never runs in background mode: schedule it with the add-on\'s runtime',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      '`bpy.app.timers.register(fn, ...)` (also `timers.register` after `from bpy.app import timers`) where `fn` does ' +
      'work that must run: it uses sockets, `select`, queues, asyncio, subprocesses, threads or HTTP, or is named like ' +
      'a service (`serve`, `poll`, `listen`, `queue`, `client`, `bridge`, ...), or where the function that registers it ' +
      'does such work itself: a server thread that hands each command to the main thread this way and waits on a queue ' +
      'or an event for the result (the shape of MCP and remote-control add-ons), whatever the callback does. Timers that only refresh the UI, and ' +
      'calls already under a check of `bpy.app.background`, are left alone. The `unregister` / `is_registered` calls ' +
      'for the same callback are rewritten with it.',
    whyItBreaks:
      'Measured in Blender 3.4.1 and 4.3.2 (`blender -b --factory-startup`): `bpy.app.timers` never fire in background ' +
      'mode, whether registered from `register()`, a `--python` script or a thread, even while the process is kept alive ' +
      'by a sleep loop (a callback registered with `first_interval=0` ran 0 times in 1.5 s). Nothing is printed and the exit ' +
      'code is 0: the add-on loads, and its server never answers, its queue is never read, its deferred start never ' +
      'happens. A "timer fallback" alone therefore does nothing headless; the work needs a loop that the process ' +
      'itself runs (the caveats guide\'s "external script" pattern). `bpy.app.timers.unregister` of a function that is ' +
      'not registered raises `ValueError: Error: function is not registered`.',
    example: {
      before:
        'import bpy\n\n\ndef poll_requests():\n    ready, _, _ = select.select([server], [], [], 0)\n    ...\n    return 0.05\n\n\n' +
        'def register():\n    bpy.app.timers.register(poll_requests, persistent=True)\n\n\ndef unregister():\n' +
        '    if bpy.app.timers.is_registered(poll_requests):\n        bpy.app.timers.unregister(poll_requests)\n',
      after:
        'import bpy\nfrom . import bgsafe_runtime\n\n\ndef poll_requests():\n    ready, _, _ = select.select([server], [], [], 0)\n    ...\n    return 0.05\n\n\n' +
        'def register():\n    bgsafe_runtime.schedule(poll_requests, persistent=True)\n\n\ndef unregister():\n' +
        '    if bgsafe_runtime.is_scheduled(poll_requests):\n        bgsafe_runtime.unschedule(poll_requests)\n\n' +
        '# and a new file in the package, bgsafe_runtime.py (once per add-on; never overwritten).\n' +
        '# Headless, run the add-on with the launcher of `bgsafe scaffold service <addon>`.\n',
    },
    fixSafety:
      'Safe: in the GUI `bgsafe_runtime.schedule` / `unschedule` / `is_scheduled` are exactly `bpy.app.timers.register` / ' +
      '`unregister` / `is_registered` with the same arguments. In background mode the callback goes on the runtime\'s ' +
      'pump, which runs only when a service loop drives it (`bgsafe_runtime.serve_forever()`, or the script written by ' +
      '`bgsafe scaffold service`), so a headless process that does not ask for the service behaves as before. The ' +
      'runtime file (`bgsafe_runtime.py`, at the root of the add-on\'s package) is created once and never overwritten. ' +
      'A single-file add-on (a .py outside a package, with `bl_info` or `register()`) gets the runtime embedded into ' +
      'the file itself instead, after its imports, between the lines `# >>> bgsafe runtime >>>` and ' +
      '`# <<< bgsafe runtime <<<`: the same module text, run as a module of its own (`<add-on>.bgsafe_runtime`) and bound ' +
      'to the name `bgsafe_runtime`, so it travels with the file when it is installed alone (Preferences > Install copies ' +
      'only the .py) and still works if the file later becomes a package\'s `__init__.py` (an extension). bgsafe never ' +
      'adds a second block, and deletes the block once nothing else in the file names `bgsafe_runtime`. A script (no ' +
      '`bl_info`, no `register()`) is reported only: nothing would drive a runtime in it.',
  },
  messages: {
    serviceTimer:
      '`{call}` never fires in `blender --background` (Blender 3.4, 4.3, 5.2), so `{fn}` never runs headless and the add-on ' +
      'silently does nothing; schedule it with the add-on\'s runtime (`bgsafe_runtime.{counterpart}`, identical in the ' +
      'GUI), then run the add-on headless with `bgsafe scaffold service`',
    companionCall:
      '`{call}` must match the runtime that schedules `{fn}`: use `bgsafe_runtime.{counterpart}` (in background mode ' +
      '`bpy.app.timers.unregister` raises `ValueError: Error: function is not registered` for it; 5.2.2: `ValueError: function is not registered`)',
    notAnAddon:
      '`{call}` never fires in `blender --background` (Blender 3.4, 4.3, 5.2), so `{fn}` never runs headless; this file is ' +
      'a script, not an add-on (no `bl_info`, no `register()`), so bgsafe adds no runtime to it. By hand: drive the work ' +
      'from the script\'s own loop (call `{fn}()` until it returns None, sleeping the seconds it returns)',
    unusedRuntime:
      'the runtime that bgsafe embedded into this file is no longer used by it (nothing outside the block names ' +
      '`bgsafe_runtime`): the block is deleted',
    nameTaken:
      '`{call}` never fires in `blender --background` (Blender 3.4, 4.3, 5.2), so `{fn}` never runs headless; the package ' +
      'already has a `bgsafe_runtime.py` that bgsafe did not write, so nothing was changed. By hand: rename that module, ' +
      'then run bgsafe again',
  },
  prefilter: ['timers'],
  errorPatterns: [/ValueError: (Error: )?function is not registered/],
  check(ctx) {
    // The runtime that bgsafe embedded into a single-file add-on, now unused (its calls were reverted or
    // removed): it goes, so that nobody has to cut it out by hand.
    const embedded = embeddedRuntimeRange(ctx.source);
    if (embedded && !usesEmbeddedRuntime(ctx.source, embedded)) {
      const node = ctx.tree.rootNode.descendantForIndex(embedded.start);
      ctx.report({
        messageId: 'unusedRuntime',
        node,
        data: {},
        fix: { safety: 'safe', description: 'delete the unused embedded runtime (its first line to its last)', edits: [removeEmbeddedRuntimeEdit(ctx.source, embedded)] },
      });
    }
    const calls = timerCalls(ctx);
    if (calls.length === 0) return;
    const defs = new Map<string, SyntaxNode[]>();
    for (const { name, def } of ctx.matches(FUNCTION_QUERY)) {
      const list = defs.get(name.text) ?? [];
      list.push(def);
      defs.set(name.text, list);
    }

    // The callbacks that are services: registered with bpy.app.timers for service work, or already
    // scheduled through the runtime (so that their other calls follow).
    const services = new Set<string>();
    const found: TimerCall[] = [];
    for (const c of calls) {
      if (c.op !== 'register' || !c.fn) continue;
      if (c.runtime) {
        services.add(c.fn.text);
        continue;
      }
      if (guiOnly(c.call)) continue;
      const name = callbackName(c.fn) ?? '';
      if (SERVICE_NAME.test(name) || SERVICE_CODE.test(callbackCode(ctx, c.fn, defs)) || handsOver(c.call)) {
        services.add(c.fn.text);
        found.push(c);
      }
    }
    for (const c of calls) {
      if (c.runtime || !c.fn || found.includes(c) || !services.has(c.fn.text)) continue;
      if (c.op === 'register' && guiOnly(c.call)) continue;
      found.push(c);
    }
    if (found.length === 0) return;
    found.sort((a, b) => a.call.startIndex - b.call.startIndex);

    const data = (c: TimerCall): Record<string, string> => ({
      call: `${c.callee.text}(${c.fn!.text.replace(/\s+/g, ' ')})`,
      fn: callbackName(c.fn!) ?? c.fn!.text.replace(/\s+/g, ' '),
      counterpart: COUNTERPART[c.op],
    });
    const runtime = runtimeAccess(ctx);
    if (!runtime.ok) {
      const messageId = runtime.kind === 'script' ? 'notAnAddon' : 'nameTaken';
      for (const c of found) if (c.op === 'register') ctx.report({ messageId, node: c.call, data: data(c) });
      return;
    }

    // One fix for the whole file, carried by every finding: the engine applies it once, and the other
    // findings' copies overlap it and fall away, so all of them settle in one pass.
    const edits: Edit[] = found.map((c) => ({ start: c.callee.startIndex, end: c.callee.endIndex, text: `${RUNTIME_MODULE_NAME}.${COUNTERPART[c.op]}` }));
    edits.push(...runtime.edits);
    const fix: Fix = {
      safety: 'safe',
      description: `schedule with the add-on's runtime (${runtime.how})`,
      edits,
      createFiles: runtime.createFiles,
    };
    for (const c of found) ctx.report({ messageId: c.op === 'register' ? 'serviceTimer' : 'companionCall', node: c.call, data: data(c), fix });
  },
});
