// BGS013 asyncio-blocks-register: `asyncio.run(server())`, `loop.run_forever()` or
// `loop.run_until_complete(server())` of a long-running coroutine while the add-on loads (module level,
// register() and what they call). The call never returns: Blender never finishes loading the add-on, in the
// GUI and headless. The fix starts the coroutine as a task on the add-on's runtime loop, stepped once per
// timer tick in the GUI and once per pump tick headless.
import type { Edit, Fix, SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';
import { importedAs } from '../src/model/module.js';
import { insideMainGuard } from '../src/syntax/scope.js';
import { RUNTIME_MODULE_NAME, runtimeAccess, type RuntimeAccess } from '../src/syntax/timers-never-fire-runtime.js';

const RUN_QUERY = `(call
  function: (attribute object: (_) @object attribute: (identifier) @method)
  arguments: (argument_list) @args) @call`;
const ASYNC_DEF_QUERY = '(function_definition name: (identifier) @name) @def';

/** Text in a coroutine that makes it run until cancelled: a server, an endless loop, an endless wait. */
const LONG_RUNNING = /\bserve_forever\s*\(|\bwhile\s+(True|1)\s*:|\.wait\s*\(\s*\)|\bFuture\s*\(\s*\)|\bwait_closed\s*\(|\bstart_server\s*\(|\bserve\s*\(/;

/** Async functions of the module (any level) by name, with their text. */
function asyncDefs(ctx: RuleContext): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  for (const { def, name } of ctx.matches(ASYNC_DEF_QUERY)) {
    if (/^async\b/.test(def.text) && !out.has(name.text)) out.set(name.text, def);
  }
  return out;
}

/** A coroutine call `serve()` / `self.serve()` whose async def (in this file) runs until cancelled, also
 *  through the coroutines it awaits by plain name. */
function longRunning(coro: SyntaxNode, defs: Map<string, SyntaxNode>): string | null {
  if (coro.type !== 'call') return null;
  const fn = coro.childForFieldName('function');
  const name = fn?.type === 'identifier' ? fn.text : null;
  if (!name) return null;
  const seen = new Set<string>();
  const visit = (n: string, depth: number): boolean => {
    const def = defs.get(n);
    if (!def || seen.has(n) || depth > 4) return false;
    seen.add(n);
    if (LONG_RUNNING.test(def.text)) return true;
    for (const m of def.text.matchAll(/\bawait\s+(\w+)\s*\(/g)) if (visit(m[1], depth + 1)) return true;
    return false;
  };
  return visit(name, 0) ? name : null;
}

function short(node: SyntaxNode): string {
  const text = node.text.replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export const asyncioBlocksRegister = defineRule({
  code: 'BGS013',
  slug: 'asyncio-blocks-register',
  summary: '`asyncio.run(server())` / `loop.run_forever()` while the add-on loads never returns: Blender never finishes starting',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'In an add-on (a file with `register()` or `bl_info`, or a module of an add-on package), while it loads — at ' +
      'module level, in `register()` and the functions they call by name: `asyncio.run(coro())` and ' +
      '`<loop>.run_until_complete(coro())` of a coroutine defined in the file that runs until cancelled (it ' +
      'serves — `start_server`, `serve_forever`, `serve(` — loops `while True:`, or waits on an event, a future or ' +
      '`wait_closed()`, also through the coroutines it awaits), and `<loop>.run_forever()`. Short coroutines ' +
      'whose result is used, calls already in a thread target or an operator, and `--python` scripts (where ' +
      '`asyncio.run` is the way to keep the process serving) are left alone.',
    whyItBreaks:
      'The event loop runs inside the call, so the call returns only when the server stops. Measured with ' +
      '`blender -b` (Blender 3.4.1, 4.3.2 and 5.2.2): `addon_utils.enable` never returns, the add-on is never marked ' +
      'enabled, nothing after the call in `register()` runs, and Blender hangs at start-up until it is killed; ' +
      'in the GUI the window never appears. The server itself runs inside `register()`, where `bpy.context` is ' +
      '`_RestrictContext` and `bpy.data` is `_RestrictData`, so handlers that touch scene data fail too.',
    example: {
      before:
        'import asyncio\n\n\nasync def serve():\n    server = await asyncio.start_server(answer, "127.0.0.1", 8765)\n' +
        '    async with server:\n        await server.serve_forever()\n\n\ndef register():\n    asyncio.run(serve())\n',
      after:
        'import asyncio\nfrom . import bgsafe_runtime\n\n\nasync def serve():\n' +
        '    server = await asyncio.start_server(answer, "127.0.0.1", 8765)\n' +
        '    async with server:\n        await server.serve_forever()\n\n\ndef register():\n' +
        '    bgsafe_runtime.run_coroutine(serve())\n',
    },
    fixSafety:
      'Safe: `bgsafe_runtime.run_coroutine(coro)` creates the add-on\'s event loop, starts the coroutine as a ' +
      'task and steps the loop once per tick — on `bpy.app.timers` in the GUI, on the runtime\'s pump in ' +
      'background mode — so `register()` returns and the server accepts connections (headless, from the service ' +
      'script of `bgsafe scaffold service <addon>`, whose `serve_forever()` drives the pump). The runtime module ' +
      '(`bgsafe_runtime.py`) is created once at the package root and imported with `from . import bgsafe_runtime`; a ' +
      'single-file add-on gets it embedded into the file instead (see BGS011). ' +
      'Applied only to `asyncio.run(coro())` as a statement of its own (its result unused) with no other ' +
      'argument. `run_forever()` / `run_until_complete()` of an add-on\'s own loop, `asyncio.run` whose result is ' +
      'used, are reported with what to do by hand.',
  },
  messages: {
    blocksRegister:
      '`{call}` {where} runs `{coro}()` until it is cancelled, so the call never returns and Blender never ' +
      'finishes loading the add-on (GUI and `blender --background`); the coroutine now runs as a task on the ' +
      'add-on\'s event loop, stepped by timers in the GUI and by the pump headless (`bgsafe_runtime.run_coroutine`); ' +
      'run it headless with `bgsafe scaffold service <addon>`',
    blocksRegisterNoFix:
      '`{call}` {where} runs the event loop until it stops, so the call never returns and Blender never ' +
      'finishes loading the add-on (GUI and `blender --background`). No automatic fix because {reason}. By hand: ' +
      'start the server coroutine with `bgsafe_runtime.run_coroutine(coro())` (from the add-on\'s ' +
      '`bgsafe_runtime` module; it steps the loop by timers in the GUI and by the pump headless) instead of running ' +
      'the loop here, and run the add-on headless with `bgsafe scaffold service <addon>`',
  },
  prefilter: ['asyncio.run', 'run_forever', 'run_until_complete', 'aio.run'],

  check(ctx) {
    const aliases = importedAs(ctx.model.index, 'asyncio', null);
    let defs: Map<string, SyntaxNode> | undefined;
    let runtime: RuntimeAccess | undefined;
    for (const { call, object, method, args } of ctx.matches(RUN_QUERY)) {
      const m = method.text;
      const isAsyncioRun = m === 'run' && aliases.has(object.text);
      if (!isAsyncioRun && m !== 'run_forever' && m !== 'run_until_complete') continue;
      // A script's own `if __name__ == "__main__":` may run its loop for ever: that is its keep-alive.
      if (insideMainGuard(call)) continue;
      const where = ctx.model.headlessWhere(call);
      if (!where || where.kind !== 'register') continue;
      if (!isAddonFile(ctx)) continue;
      defs ??= asyncDefs(ctx);
      const positional = args.namedChildren.filter((a) => a.type !== 'comment');
      const data = { call: short(call), where: where.where };
      if (m === 'run_forever') {
        ctx.report({ messageId: 'blocksRegisterNoFix', node: call, data: { ...data, reason: 'the loop is the add-on\'s own and may be used elsewhere' } });
        continue;
      }
      const coroName = positional[0] ? longRunning(positional[0], defs) : null;
      if (!coroName) continue; // a short coroutine: it returns, and its result may be needed here
      if (m === 'run_until_complete') {
        ctx.report({ messageId: 'blocksRegisterNoFix', node: call, data: { ...data, reason: 'the loop is the add-on\'s own and may be used elsewhere' } });
        continue;
      }
      const statement = call.parent;
      if (statement?.type !== 'expression_statement' || positional.length !== 1 || positional[0].type === 'keyword_argument') {
        ctx.report({ messageId: 'blocksRegisterNoFix', node: call, data: { ...data, reason: 'the call\'s result is used or it has more arguments' } });
        continue;
      }
      runtime ??= runtimeAccess(ctx);
      if (!runtime.ok) {
        ctx.report({ messageId: 'blocksRegisterNoFix', node: call, data: { ...data, reason: runtime.why } });
        continue;
      }
      const callee = call.childForFieldName('function')!;
      const edits: Edit[] = [{ start: callee.startIndex, end: callee.endIndex, text: `${RUNTIME_MODULE_NAME}.run_coroutine` }, ...runtime.edits];
      const fix: Fix = {
        safety: 'safe',
        description: `start \`${coroName}()\` as a task on the add-on's event loop (${runtime.how})`,
        edits,
        createFiles: runtime.createFiles,
      };
      ctx.report({ messageId: 'blocksRegister', node: call, data: { ...data, coro: coroName }, fix });
    }
  },
});

const ADDON_QUERIES = [
  '(module (function_definition name: (identifier) @name (#eq? @name "register")))',
  '(module (expression_statement (assignment left: (identifier) @name (#eq? @name "bl_info"))))',
  '(import_from_statement module_name: (relative_import)) @import',
];

/** An add-on's file: it has register() or bl_info, or imports relatively (a module of a package). Not a
 *  `--python` script, where running the loop is how the process keeps serving. */
function isAddonFile(ctx: RuleContext): boolean {
  return ADDON_QUERIES.some((q) => ctx.matches(q).length > 0);
}
