// BGS022 background-refusal: a function that starts a service (binds a socket, starts a thread, schedules a
// timer, runs a server loop) and first returns under `if bpy.app.background:`, usually with a message such
// as "cannot start server in background mode - commands would never execute". MCP / remote-control add-ons
// added it after users found that timers never fire headless. Once BGS011 has moved the timers onto the
// add-on's runtime and `bgsafe scaffold service` runs the loop that pumps it, that refusal is all that keeps
// the service from running in `blender -b`. The fix (unsafe) removes the guard; guards in front of GPU or UI
// work, and functions that start nothing, are left alone.
import { defineRule } from '../../src/rule.js';
import type { RuleContext, SyntaxNode } from '../../src/types.js';
import { serviceStartsIn, type ServiceStart } from '../../src/syntax/service-start.js';
import { guardReturns, guardShape, isBackgroundFlag, messageText, removeGuard, stillTrue } from './guard.js';
import { protectsHeadlessImpossible } from './work.js';
import { runtimeAccess } from '../../src/syntax/timers-never-fire-runtime.js';
import { importedAs } from '../../src/model/module.js';

/** An `if` that is a function's own statement: the guards this rule looks at. */
const GUARD_QUERY = '(function_definition body: (block (if_statement condition: (_) @condition) @guard)) @fn';
/** `from bpy import app` (also `as a`). */

type MessageId = 'refusal' | 'refusalManual' | 'refusalAtLoad';

const MEASURED =
  'measured in Blender 3.4.1, 4.3.2 and 5.2.2: a socket server polled through `bgsafe_runtime.schedule` answered its ' +
  'first client in 0.01-0.11 s; through `bpy.app.timers` it was never polled';

export const backgroundRefusal = defineRule({
  code: 'BGS022',
  slug: 'background-refusal',
  summary: 'A service start that returns early under `if bpy.app.background:`: with bgsafe\'s runtime and service loop it runs headless',
  fixKind: 'unsafe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'A function (a `start()` method, an operator\'s `execute()`, a `start_server()` helper) that starts a service — ' +
      'binds a socket (`socket.bind`, `socket.create_server`, `HTTPServer(...)`), listens, starts a `threading.Thread`, ' +
      'schedules a timer (`bpy.app.timers.register`, `bgsafe_runtime.schedule`), runs a server or event loop ' +
      '(`serve_forever`, `run_forever`, `asyncio.run`, an asyncio server), or starts a server process ' +
      '(`subprocess.Popen`) — in its own body or in a same-file function it calls (one level, `self.x()` too), and ' +
      'whose own statement before that is `if bpy.app.background:` with a body that ends in `return` ' +
      '(`return`, `return {\'CANCELLED\'}` after `self.report(...)`, with or without a print). Left alone: guards ' +
      'in front of work that really cannot run headless — GPU drawing (`gpu.`, `bgl`, `draw_handler_add`), dialogs ' +
      'and popups (`invoke_props_dialog`, `popup_menu`, `window_manager.popup_*`), `bpy.ops.screen.*`, ' +
      '`context.area` / `region` / `space_data`, `tag_redraw`, modal handlers — after the guard, in the functions it ' +
      'calls or in the callbacks it schedules; functions that start nothing; conditions other than the bare flag ' +
      '(`if bpy.app.background and x:`); and the negated form `if not bpy.app.background: start()`, which is not ' +
      'a refusal but a start that only exists in the GUI (it prints nothing and returns nothing; BGS011 likewise ' +
      'leaves timers under it alone): turning it into a headless start changes what the add-on is, so it is the ' +
      'author\'s call. A guard in code that runs while the add-on loads (`register()` and what it reaches) is ' +
      'reported without a fix: removed, every headless Blender with the add-on enabled would start the service.',
    whyItBreaks:
      'The refusal was right while nothing ran the add-on\'s callbacks headless: `bpy.app.timers` never fire in ' +
      '`blender --background` (measured in Blender 3.4.1, 4.3.2 and 5.2.2: a non-blocking socket server polled by ' +
      'a timer returning 0.1 ran 0 times in 1.5 s, and a client that connected got no answer before its 3 s ' +
      'timeout). Once BGS011 has moved the timers onto the add-on\'s runtime (`bgsafe_runtime.schedule`) and the ' +
      'loop of `bgsafe scaffold service` pumps it, the same server answers headless: the first client got its reply ' +
      '0.01–0.11 s after `start()` (3.4.1, 4.3.2, 5.2.2). The refusal is then the only thing in the way, and it is ' +
      'what users see: `blender -b` prints the add-on\'s message (`cannot start server in background mode (blender ' +
      '-b) - commands would never execute`, measured in all three) and the socket is never opened. An operator that ' +
      'refuses with `self.report({\'WARNING\'}, "...")` and `return {\'CANCELLED\'}` prints `Warning: <message>`, ' +
      '`bpy.ops.<op>()` returns `{\'CANCELLED\'}` and a client gets `ConnectionRefusedError: [Errno 111] Connection ' +
      'refused`. Run under the service script of `bgsafe scaffold service` (a `--python` script calling the operator, ' +
      'then the service script): before the fix the client was refused for 10 s of retries; with the guard removed ' +
      '(this rule\'s fix) the operator returned `{\'FINISHED\'}`, the service script\'s loop pumped its ' +
      '`bgsafe_runtime.schedule` poll and the client got its answer within 0.01-0.10 s, and SIGTERM stopped Blender ' +
      'with exit code 0 (3.4.1, 4.3.2, 5.2.2). With ' +
      '`self.report({\'ERROR\'}, ...)` Blender prints `Error: <message>` and the `bpy.ops` call raises ' +
      '`RuntimeError: Error: <message>` (3.4.1, 4.3.2, 5.2.2).',
    example: {
      before: [
        'class Server:',
        '    def start(self):',
        '        if bpy.app.background:',
        '            print("cannot start server in background mode (blender -b) - commands would never execute")',
        '            return',
        '        self.sock = socket.create_server(("127.0.0.1", self.port))',
        '        self.sock.setblocking(False)',
        '        bgsafe_runtime.schedule(self.poll, persistent=True)',
        '',
      ].join('\n'),
      after: [
        'class Server:',
        '    def start(self):',
        '        self.sock = socket.create_server(("127.0.0.1", self.port))',
        '        self.sock.setblocking(False)',
        '        bgsafe_runtime.schedule(self.poll, persistent=True)',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Unsafe (applied only with `--unsafe-fixes`): it changes what the add-on does headless — the service now ' +
      'starts there (opens its port, starts its thread) when `start()` is called, where before it printed and ' +
      'returned. In the GUI nothing changes (the guard was false there). Only when the guard\'s body is nothing ' +
      'but messages (`print`, `self.report`, `logging`/logger calls, `warnings.warn`, `sys.stderr.write`, `pass`) ' +
      'and a `return` without calls: the whole block goes (condition, messages, return, and comment lines right ' +
      'above it about background mode). A message is kept as a `# ...` comment only if it stays true once the ' +
      'runtime pumps: one that says the service cannot / would never run, is not supported, needs a UI, a window ' +
      'or xvfb, or is skipped or disabled is dropped (it described the refusal), as is one that passes no string ' +
      'literal. Timers the start still registers with `bpy.app.timers` need BGS011 too (it rewrites them to the ' +
      'runtime; the message says so); then run the service with `bgsafe scaffold service`. Where BGS011 cannot ' +
      'move such a timer (a file outside a package, or a `bgsafe_runtime.py` bgsafe did not write), the guard stays ' +
      'and the finding says why: the service would start headless and never be polled. An `else:` branch, ' +
      'other statements in the guard, a return that calls code, or a guard sharing its line is reported with ' +
      'what to do by hand.',
  },
  messages: {
    refusal:
      '`{fn}()` {what}, but first returns under `if bpy.app.background:`{said}: that refusal is all users get in ' +
      '`blender -b`. Under bgsafe\'s runtime (BGS011: `bgsafe_runtime.schedule`) and the loop of `bgsafe scaffold ' +
      `service\` the service runs headless (${MEASURED}); the guard is removed{timers}`,
    refusalManual:
      '`{fn}()` {what}, but first returns under `if bpy.app.background:`{said}: that refusal is all users get in ' +
      '`blender -b`. Under bgsafe\'s runtime (BGS011: `bgsafe_runtime.schedule`) and the loop of `bgsafe scaffold ' +
      `service\` the service runs headless (${MEASURED}). No automatic fix because {reason}. By hand: remove the ` +
      'early return for background mode (keep what the else branch or the other statements must still do headless){timers}',
    refusalAtLoad:
      '`{fn}()` {what}, but first returns under `if bpy.app.background:`{said}; it runs {where}, so the add-on never ' +
      'starts the service in `blender -b`, also not under `bgsafe scaffold service`. Not fixed: without the guard every ' +
      'headless Blender with the add-on enabled (render nodes, CI) would start it. To serve headless, move the start ' +
      'into an operator or function that the service script calls (`bgsafe scaffold service <addon> --start <operator>`){timers}',
  },
  prefilter: ['background'],
  prefilterText: (text) => /\bif[\s(]*[\w.\s]*\bbackground\b[\s)]*:/.test(text),

  check(ctx) {
    const appAliases = importedAs(ctx.model.index, 'bpy', 'app');
    for (const { fn, guard, condition } of ctx.matches(GUARD_QUERY)) {
      if (!isBackgroundFlag(condition, appAliases) || !guardReturns(guard)) continue;
      const consequence = guard.childForFieldName('consequence')!;
      const starts = serviceStartsIn(fn, ctx.tree.rootNode).filter((s) => (s.via ?? s.node).startIndex >= consequence.endIndex);
      if (starts.length === 0) continue;
      const after = [...guard.childrenForFieldName('alternative')];
      for (let s = guard.nextNamedSibling; s; s = s.nextNamedSibling) after.push(s);
      if (protectsHeadlessImpossible(after, fn, ctx.tree.rootNode)) continue;
      report(ctx, fn, guard, starts);
    }
  },
});

function report(ctx: RuleContext<MessageId>, fn: SyntaxNode, guard: SyntaxNode, starts: ServiceStart[]): void {
  const shape = guardShape(guard, ctx.source);
  const said = shape.messages.map(messageText).find((t) => t.length > 0);
  const whats = [...new Set(starts.map((s) => s.what))];
  const usesAppTimers = starts.some((s) => s.what === 'schedules a timer' && !/^bgsafe_runtime\./.test((s.node.childForFieldName('function')?.text ?? '').replace(/\s+/g, '')));
  const data = {
    fn: qualifiedName(fn),
    what: whats.length > 1 ? `${whats.slice(0, -1).join(', ')} and ${whats[whats.length - 1]}` : whats[0],
    said: said ? ` (it says "${said.length > 80 ? `${said.slice(0, 77)}...` : said}")` : '',
    timers: usesAppTimers ? '; its `bpy.app.timers.register` still never fires headless: BGS011 moves it onto the runtime' : '',
  };
  const atLoad = ctx.model.loadTimes(guard).find((lt) => lt.kind !== 'unregister');
  if (atLoad) {
    ctx.report({ messageId: 'refusalAtLoad', node: guard, data: { ...data, where: ctx.model.describe(atLoad) } });
    return;
  }
  // A timer BGS011 cannot move (a script, which nothing would pump, or a bgsafe_runtime.py that is not
  // bgsafe's): without the guard the service would start headless and never be polled.
  const runtime = usesAppTimers ? runtimeAccess(ctx) : null;
  const noRuntime = runtime && !runtime.ok
    ? `its \`bpy.app.timers.register\` cannot be moved onto bgsafe's runtime here (${runtime.why}), so without the guard the service would start headless and never be polled`
    : null;
  const manual = shape.manual ?? noRuntime;
  if (manual) {
    ctx.report({ messageId: 'refusalManual', node: guard, data: { ...data, reason: manual } });
    return;
  }
  const keep = shape.messages.map(messageText).filter(stillTrue);
  ctx.report({
    messageId: 'refusal',
    node: guard,
    data,
    fix: {
      safety: 'unsafe',
      description: 'remove the `if bpy.app.background:` early return (bgsafe\'s runtime runs the service headless)',
      edits: [removeGuard(guard, ctx.source, ctx.newline, keep)],
    },
  });
}

/** `Server.start`, `start_server`. */
function qualifiedName(fn: SyntaxNode): string {
  const name = fn.childForFieldName('name')?.text ?? '?';
  let holder = fn.parent;
  if (holder?.type === 'decorated_definition') holder = holder.parent;
  const cls = holder?.type === 'block' && holder.parent?.type === 'class_definition' ? holder.parent.childForFieldName('name')?.text : null;
  return cls ? `${cls}.${name}` : name;
}
