// BGS014 no-keep-alive: a `blender --background --python` script that starts a service (a thread, a
// listening socket, a timer) and then ends — Blender quits when the script ends, so the service stops at
// once — or a keep-alive loop that drives nothing; and `while True:` loops that block an add-on's register()
// or a handler for ever. Report only: how a service should be run is the author's call.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';
import { enclosingFunction } from '../src/syntax/scope.js';


const CALL_QUERY = '(call function: [(identifier) (attribute)] @callee) @call';
const WHILE_QUERY = '(while_statement condition: (_) @condition body: (block) @body) @loop';
const THREAD_NAME_QUERY = `(assignment
  left: (identifier) @name
  right: (call function: [(identifier) (attribute)] @ctor))`;
// Separate queries: predicates inside an alternation are not applied by this tree-sitter binding.
const ADDON_QUERIES = [
  '(module (function_definition name: (identifier) @name (#eq? @name "register")))',
  '(module (expression_statement (assignment left: (identifier) @name (#eq? @name "bl_info"))))',
  '(module (decorated_definition definition: (function_definition name: (identifier) @name (#eq? @name "register"))))',
];
const RELATIVE_IMPORT_QUERY = '(import_from_statement module_name: (relative_import)) @import';

const THREAD_CTOR = /^(threading\.)?(Thread|Timer)$/;
const STARTS = 'a service';

function lastName(callee: SyntaxNode): string {
  return callee.type === 'attribute' ? callee.childForFieldName('attribute')?.text ?? '' : callee.text;
}

function objectOf(callee: SyntaxNode): SyntaxNode | null {
  return callee.type === 'attribute' ? callee.childForFieldName('object') : null;
}

/** A `.py` file run with `--python`: uses bpy, is not an add-on (no register()/bl_info), not part of a package. */
function isScript(ctx: RuleContext): boolean {
  if (!/^\s*(import bpy|from bpy[\s.])/m.test(ctx.source)) return false;
  if (ADDON_QUERIES.some((q) => ctx.matches(q).length > 0)) return false;
  if (ctx.matches(RELATIVE_IMPORT_QUERY).length > 0) return false;
  const file = ctx.absPath;
  if (path.basename(file) === '__init__.py') return false;
  try {
    if (fs.existsSync(path.join(path.dirname(file), '__init__.py'))) return false;
  } catch {
    // unknown: treat as a script
  }
  return true;
}

interface Start {
  node: SyntaxNode;
  what: string;
}

/** `Thread(...).start()`, `t.start()` for `t = Thread(...)`, `sock.listen()`, `bpy.app.timers.register(...)`. */
function serviceStart(call: SyntaxNode, callee: SyntaxNode, threadNames: Set<string>): Start | null {
  const name = lastName(callee);
  const object = objectOf(callee);
  if (name === 'start' && object) {
    if (object.type === 'call' && THREAD_CTOR.test(object.childForFieldName('function')?.text ?? '')) {
      return { node: call, what: 'a thread' };
    }
    if (object.type === 'identifier' && threadNames.has(object.text)) return { node: call, what: 'a thread' };
    return null;
  }
  if (name === 'listen' && object && !/^bpy\b/.test(object.text)) return { node: call, what: 'a listening socket' };
  if (name === 'register' && object && /(^|\.)timers$/.test(object.text.replace(/\s+/g, ''))) {
    return { node: call, what: 'a timer (`bpy.app.timers.register`)' };
  }
  return null;
}

/** Calls that keep a script's process running: blocking waits and service loops. */
function keepsAlive(call: SyntaxNode, callee: SyntaxNode): boolean {
  const name = lastName(callee);
  const object = objectOf(callee);
  switch (name) {
    case 'serve_forever':
    case 'run_forever':
    case 'run_until_complete':
    case 'accept':
    case 'wait':
    case 'pause':
    case 'sleep':
    case 'input':
      return true;
    case 'run':
      return !!object && /^asyncio$/.test(object.text);
    case 'join':
      // thread.join(), not ", ".join(...) or os.path.join(...)
      return !!object && object.type !== 'string' && !/(^|\.)path$/.test(object.text) && call.type === 'call';
    default:
      return false;
  }
}

/** `while True:` / `while 1:`. */
function forever(condition: SyntaxNode): boolean {
  return condition.type === 'true' || (condition.type === 'integer' && condition.text !== '0');
}

/** Nodes inside `body` that belong to it (not to nested functions or classes). */
function own(body: SyntaxNode, types: string[]): SyntaxNode[] {
  return body.descendantsOfType(types).filter((n) => {
    for (let p = n.parent; p && p.id !== body.id; p = p.parent) {
      if (p.type === 'function_definition' || p.type === 'lambda' || p.type === 'class_definition') return false;
    }
    return true;
  });
}

/** The loop ends somewhere: a break of its own, a return, a raise, an exit call. */
function canEnd(loop: SyntaxNode, body: SyntaxNode): boolean {
  for (const b of own(body, ['break_statement'])) {
    let p = b.parent;
    while (p && p.type !== 'while_statement' && p.type !== 'for_statement') p = p.parent;
    if (p?.id === loop.id) return true;
  }
  if (own(body, ['return_statement', 'raise_statement']).length > 0) return true;
  return own(body, ['call']).some((c) => /(^|\.)(exit|_exit|quit)$/.test(c.childForFieldName('function')?.text ?? ''));
}

/** The loop's body only waits (sleep, print, pass): it drives nothing, not even the runtime's pump. */
function idles(body: SyntaxNode): boolean {
  return own(body, ['call']).every((c) => /(^|\.)(sleep|print)$/.test(c.childForFieldName('function')?.text ?? ''));
}

function short(node: SyntaxNode): string {
  const text = node.text.split('\n')[0].trim();
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export const noKeepAlive = defineRule({
  code: 'BGS014',
  slug: 'no-keep-alive',
  summary: 'A `--python` script that starts a service and ends (Blender quits with it), or a loop that blocks or drives nothing',
  fixKind: 'report-only',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'In a script run with `blender --background --python` (a file that imports bpy, has no `register()` or ' +
      '`bl_info`, and is not part of a package): a service started by its main flow (module level, ' +
      '`if __name__ == "__main__":` and the functions they call) — `threading.Thread(...).start()`, a socket\'s ' +
      '`.listen()`, `bpy.app.timers.register(...)` — with nothing after it that keeps the process running ' +
      '(a loop, `.join()`, `serve_forever()`, `asyncio.run()`, `run_forever()`, a blocking wait or sleep); and a ' +
      '`while True:` keep-alive loop that only sleeps in a script that relies on timers. In an add-on: a ' +
      '`while True:` loop without a way out (no `break`, `return`, `raise` or exit) at module level, in ' +
      '`register()` and what it calls, or in a handler. Scripts that do batch work and end, add-ons, thread ' +
      'targets, coroutines and loops that end are left alone.',
    whyItBreaks:
      '`blender --background --python script.py` quits when the script ends (measured in Blender 3.4.1, ' +
      '4.3.2 and 5.2.2, exit code 0, `Blender quit`): a daemon thread and a listening socket die with it, so a client gets ' +
      'no answer and nothing says why. Blender does wait for non-daemon threads at exit, but by then it has ' +
      'freed its data: measured in all three, such a thread sees `len(bpy.data.objects) == 0` in the ' +
      'factory scene. `bpy.app.timers` never fire in background mode at all, so a keep-alive loop that only ' +
      'sleeps keeps a process that never runs them. A `while True:` in `register()` or a handler never returns: ' +
      'Blender (GUI or background) never finishes loading the add-on or the file.',
    example: {
      before:
        'import threading\n\nimport bpy\n\nfrom my_bridge import serve\n\n' +
        'threading.Thread(target=serve, daemon=True).start()\n',
      after:
        'import threading\n\nimport bpy\n\nfrom my_bridge import bgsafe_runtime, serve\n\n' +
        'threading.Thread(target=serve, daemon=True).start()\n' +
        'bgsafe_runtime.serve_forever()  # pump timers and asyncio until SIGTERM / SIGINT\n',
    },
    fixSafety:
      'Report only: how long the process should live, and what it should drive, is the author\'s call. The ' +
      'messages name the ways: end the script with the runtime\'s `serve_forever()` (it pumps the timers and ' +
      'asyncio work of every add-on fixed by bgsafe, until SIGTERM / SIGINT or `request_stop()`), or generate a ' +
      'launcher and a service script with `bgsafe scaffold service <addon>`.',
  },
  messages: {
    scriptEnds:
      '`{call}` starts {what}, and then the script ends: `blender --background --python` quits when the script ' +
      'ends, so it stops at once (daemon threads and sockets die with the process; Blender waits for other ' +
      'threads only after freeing its data), and timers never fire in background mode at all. By hand: keep the ' +
      'process alive with a loop that drives the work — end the script with `bgsafe_runtime.serve_forever()` ' +
      '(from the add-on\'s `bgsafe_runtime` module: it pumps timers and asyncio until SIGTERM / SIGINT) — or ' +
      'generate a launcher and service script with `bgsafe scaffold service <addon>`',
    idleLoop:
      '`{loop}` keeps the process alive but drives nothing, and this script relies on timers, which never fire ' +
      'in background mode. By hand: schedule the work with `bgsafe_runtime.schedule(fn)` instead of ' +
      '`bpy.app.timers.register(fn)` and replace the loop with `bgsafe_runtime.serve_forever()` (or call ' +
      '`bgsafe_runtime.pump()` in it); `bgsafe scaffold service <addon>` generates such a script',
    blockingLoop:
      '`{loop}` {where} never ends, so Blender never finishes loading (GUI and background alike). By hand: run ' +
      'the loop in a thread or as a repeating callback (`bgsafe_runtime.schedule(fn, persistent=True)`, which ' +
      'is `bpy.app.timers.register` in the GUI) and keep a headless process alive with ' +
      '`bgsafe_runtime.serve_forever()` from a service script (`bgsafe scaffold service <addon>`)',
  },
  prefilter: ['Thread', '.listen(', 'timers', 'while True', 'while 1'],

  check(ctx) {
    const script = isScript(ctx);
    if (script) {
      const threadNames = new Set<string>();
      for (const { name, ctor } of ctx.matches(THREAD_NAME_QUERY)) if (THREAD_CTOR.test(ctor.text)) threadNames.add(name.text);
      const starts: Start[] = [];
      let alive = false;
      let timers = false;
      for (const { call, callee } of ctx.matches(CALL_QUERY)) {
        if (!ctx.model.inMainFlow(call)) continue;
        const s = serviceStart(call, callee, threadNames);
        if (s) {
          starts.push(s);
          if (s.what.startsWith('a timer')) timers = true;
        }
        if (keepsAlive(call, callee)) alive = true;
      }
      const loops = ctx.matches(WHILE_QUERY).filter(({ loop }) => ctx.model.inMainFlow(loop));
      if (starts.length > 0 && !alive && loops.length === 0) {
        const first = starts[0];
        ctx.report({ messageId: 'scriptEnds', node: first.node, data: { call: short(first.node), what: first.what ?? STARTS } });
      }
      if (timers) {
        for (const { loop, condition, body } of loops) {
          if (forever(condition) && !canEnd(loop, body) && idles(body)) {
            ctx.report({ messageId: 'idleLoop', node: loop, data: { loop: `while ${condition.text}:` } });
          }
        }
      }
      return;
    }
    if (!/\bbpy\b/.test(ctx.source)) return;
    for (const { loop, condition, body } of ctx.matches(WHILE_QUERY)) {
      if (!forever(condition) || canEnd(loop, body)) continue;
      const fn = enclosingFunction(loop);
      if (fn && (/^async\b/.test(fn.text) || own(fn.childForFieldName('body') ?? fn, ['yield']).length > 0)) continue;
      const where = ctx.model.headlessWhere(loop);
      if (!where || (where.kind !== 'register' && where.kind !== 'handler')) continue;
      ctx.report({ messageId: 'blockingLoop', node: loop, data: { loop: `while ${condition.text}:`, where: where.where } });
    }
  },
});
