// BGS004 context-area-none: the places of a file that run without a UI, where the context members are
// None: operators' `execute()` and `poll()`, app handlers (appended to `bpy.app.handlers.*` or
// `@persistent`) and timers (`bpy.app.timers.register`, also through `functools.partial`).
import type { SyntaxNode, RuleContext } from '../../src/types.js';
import { methodClass, methodsOf, parameterNames } from '../../src/syntax/functions.js';

const FUNCTION_QUERY = '(function_definition name: (identifier) @name) @def';
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

/** The headless places of a file: operators' execute() and poll(), handlers and timers. */
export function headlessPlaces(ctx: RuleContext): Map<number, Place> {
  const places = new Map<number, Place>();
  const callbacks = callbackNames(ctx);
  for (const { def, name } of ctx.matches(FUNCTION_QUERY)) {
    const cls = methodClass(def);
    const params = parameterNames(def);
    if (cls) {
      const className = cls.childForFieldName('name')?.text ?? '?';
      if (name.text === 'execute' && params.length >= 2) {
        places.set(def.id, { fn: def, where: `\`${className}.execute()\``, kind: 'execute', contextName: params[1] });
      } else if (name.text === 'poll' && params.length >= 2 && isOperatorClass(cls)) {
        places.set(def.id, { fn: def, where: `\`${className}.poll()\``, kind: 'poll', contextName: params[1] });
      }
      continue;
    }
    const decorated = def.parent?.type === 'decorated_definition' ? def.parent.text.split('def ')[0] : '';
    const kind = callbacks.get(name.text) ?? (/@(\w+\.)*persistent\b/.test(decorated) ? 'handler' : undefined);
    if (kind) {
      const where = kind === 'handler' ? `the handler \`${name.text}()\`` : `the timer \`${name.text}()\``;
      places.set(def.id, { fn: def, where, kind, contextName: null });
    }
  }
  return places;
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
  for (const { callee, callback } of ctx.matches(CALLBACK_QUERY)) {
    const text = callee.text.replace(/\s+/g, '');
    const kind = /(^|\.)handlers\.\w+\.append$/.test(text) ? 'handler' : /(^|\.)timers\.register$/.test(text) ? 'timer' : null;
    if (!kind) continue;
    let f: SyntaxNode | null = callback;
    if (f.type === 'call' && /(^|\.)partial$/.test(f.childForFieldName('function')?.text ?? '')) {
      f = f.childForFieldName('arguments')?.firstNamedChild ?? null;
    }
    if (f?.type === 'identifier') out.set(f.text, kind);
  }
  return out;
}
