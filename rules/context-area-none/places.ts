// BGS004 context-area-none: the places of a file that run without a UI, where the context members are
// None: operators' `execute()` and `poll()`, app handlers (appended to `bpy.app.handlers.*` or
// `@persistent`) and timers (`bpy.app.timers.register`, also through `functools.partial`).
import type { SyntaxNode, RuleContext } from '../../src/types.js';
import { queryMatches } from '../../src/parse.js';
import { methodClass, methodsOf, parameterNames } from '../../src/syntax/functions.js';
import { methodCallsNamed } from '../../src/syntax/names.js';

/** `bpy.app.handlers.<list>.append(f)` and `bpy.app.timers.register(f, …)`, also through `functools.partial(f, …)`. */
const CALLBACK_QUERY = '(call function: (attribute) @callee arguments: (argument_list . (_) @callback)) @call';

/** Where the code runs headless, and the name the function calls its context. */
export interface Place {
  fn: SyntaxNode;
  where: string;
  kind: 'execute' | 'poll' | 'handler' | 'timer';
  /** The function's context parameter (`context` in `execute(self, context)`); null for handlers and timers. */
  contextName: string | null;
}

/** The headless places of a file (operators' execute() and poll(), handlers and timers), asked function by
 *  function: only the functions that use a member are looked at, and the file's callbacks are only looked for
 *  when one of them is not a method. */
export class HeadlessPlaces {
  private readonly places = new Map<number, Place | null>();
  private callbacks: Map<string, 'handler' | 'timer'> | undefined;

  constructor(private readonly ctx: RuleContext) {}

  /** The place of the function (or lambda) `fn`, or undefined where it is not a headless place. */
  get(fn: SyntaxNode): Place | undefined {
    let place = this.places.get(fn.id);
    if (place === undefined) this.places.set(fn.id, (place = this.placeOf(fn)));
    return place ?? undefined;
  }

  private placeOf(def: SyntaxNode): Place | null {
    if (def.type !== 'function_definition') return null;
    const name = def.childForFieldName('name');
    if (name?.type !== 'identifier') return null;
    const cls = methodClass(def);
    if (cls) {
      const params = parameterNames(def);
      const className = cls.childForFieldName('name')?.text ?? '?';
      if (name.text === 'execute' && params.length >= 2) {
        return { fn: def, where: `\`${className}.execute()\``, kind: 'execute', contextName: params[1] };
      } else if (name.text === 'poll' && params.length >= 2 && isOperatorClass(cls)) {
        return { fn: def, where: `\`${className}.poll()\``, kind: 'poll', contextName: params[1] };
      }
      return null;
    }
    this.callbacks ??= callbackNames(this.ctx);
    const decorated = def.parent?.type === 'decorated_definition' ? def.parent.text.split('def ')[0] : '';
    const kind = this.callbacks.get(name.text) ?? (/@(\w+\.)*persistent\b/.test(decorated) ? 'handler' : undefined);
    if (!kind) return null;
    const where = kind === 'handler' ? `the handler \`${name.text}()\`` : `the timer \`${name.text}()\``;
    return { fn: def, where, kind, contextName: null };
  }
}

/** A class that is an operator: `bpy.types.Operator` among its bases, an `_OT_` name, or an `execute()`. */
function isOperatorClass(cls: SyntaxNode): boolean {
  const name = cls.childForFieldName('name')?.text ?? '';
  const bases = cls.childForFieldName('superclasses')?.text ?? '';
  if (/\bOperator\b/.test(bases) || /_OT_/.test(name)) return true;
  if (/\b(Panel|Menu|UIList|Header|Gizmo|GizmoGroup|NodeCategory|PropertyGroup|AddonPreferences)\b/.test(bases)) return false;
  return methodsOf(cls.childForFieldName('body')).has('execute');
}

/** Names given to `bpy.app.handlers.*.append(…)` (handlers) and `bpy.app.timers.register(…)` (timers). */
function callbackNames(ctx: RuleContext): Map<string, 'handler' | 'timer'> {
  const out = new Map<string, 'handler' | 'timer'>();
  // Both callees below have `handlers` or `timers` in them.
  if (!/handlers|timers/.test(ctx.source)) return out;
  // The calls the query below can match with such a callee, each checked alone: a query over every call
  // of the file costs far more.
  const calls = methodCallsNamed(ctx.tree, ctx.source, ['append', 'register']).filter((c) => callbackKind(c.firstChild!) !== null);
  for (const { callee, callback } of calls.flatMap((c) => queryMatches(CALLBACK_QUERY, c, { maxStartDepth: 0 }))) {
    const kind = callbackKind(callee);
    if (!kind) continue;
    let f: SyntaxNode | null = callback;
    if (f.type === 'call' && /(^|\.)partial$/.test(f.childForFieldName('function')?.text ?? '')) {
      f = f.childForFieldName('arguments')?.firstNamedChild ?? null;
    }
    if (f?.type === 'identifier') out.set(f.text, kind);
  }
  return out;
}

/** 'handler' for the callee `bpy.app.handlers.<list>.append`, 'timer' for `bpy.app.timers.register`. */
function callbackKind(callee: SyntaxNode): 'handler' | 'timer' | null {
  const text = callee.text.replace(/\s+/g, '');
  return /(^|\.)handlers\.\w+\.append$/.test(text) ? 'handler' : /(^|\.)timers\.register$/.test(text) ? 'timer' : null;
}
