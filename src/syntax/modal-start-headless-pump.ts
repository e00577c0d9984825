// BGS012 helper: can `bgsafe_runtime.run_modal` run a modal-only operator headless? It runs the class's own
// invoke() and then modal() with a TIMER event on each tick of the timers invoke() added, on a stand-in for
// the operator (Python cannot create an instance of a registered Operator class), with a context whose
// window manager gives the pump's timers and modal handler. That is right only where the operator needs
// nothing else headless cannot give: no event but TIMER (events that only stop it, like ESC, never come
// and need not), no area or region, no dialog, nothing of Operator's own beyond what the stand-in has.
// Returns why not, in words for a message, or null.
import type { SyntaxNode } from '../types.js';

const TIMER_CALLS = ['event_timer_add', 'event_timer_remove', 'modal_handler_add'];
/** Context members that are None in background mode (measured: a --python script, a load_post handler). */
const NO_AREA = /^(area|region|space_data|region_data)$/;
/** Operator members the stand-in does not give. */
const OPERATOR_ONLY = /^(options|macros|as_keywords|bl_rna|rna_type|id_data|as_pointer|path_resolve)$/;

function params(fn: SyntaxNode): string[] {
  return (fn.childForFieldName('parameters')?.namedChildren ?? []).map((p) =>
    p.type === 'identifier' ? p.text : p.firstNamedChild?.type === 'identifier' ? p.firstNamedChild.text : '',
  );
}

function unquote(s: SyntaxNode): string | null {
  const m = /^[rRuU]?(['"])([^'"\\]*)\1$/.exec(s.text);
  return m ? m[2] : null;
}

/** The names a method binds to `<context>.window_manager` (`wm = context.window_manager`). */
function windowManagerNames(fn: SyntaxNode, context: string): Set<string> {
  const out = new Set<string>();
  for (const a of fn.descendantsOfType('assignment')) {
    const left = a.childForFieldName('left');
    if (left?.type === 'identifier' && a.childForFieldName('right')?.text.replace(/\s+/g, '') === `${context}.window_manager`) out.add(left.text);
  }
  return out;
}

/** A `return {'CANCELLED'}` / `{'FINISHED'}` ends the block: a branch that only stops the operator. */
function endsOperator(block: SyntaxNode | null): boolean {
  const last = block?.lastNamedChild;
  if (last?.type !== 'return_statement') return false;
  return /^\{\s*(['"])(CANCELLED|FINISHED)\1\s*\}$/.test(last.firstNamedChild?.text ?? '');
}

/** `context.area` inside `if context.area:` (or `… is not None`): already safe where it is None. */
function checkedBefore(access: SyntaxNode): boolean {
  const ok = (cond: SyntaxNode | null): boolean => {
    const t = cond?.text.replace(/\s+/g, ' ');
    return t === access.text || t === `${access.text} is not None`;
  };
  for (let child = access, p = access.parent; p; child = p, p = p.parent) {
    if (p.type === 'if_statement' || p.type === 'elif_clause') {
      const cond = p.childForFieldName('condition');
      if (ok(cond) && (cond!.id === child.id || p.childForFieldName('consequence')?.id === child.id)) return true;
    }
    if (p.type === 'boolean_operator' && p.text.includes(' and ') && ok(p.childForFieldName('left')) && p.childForFieldName('right')?.id === child.id) return true;
    if (p.type === 'function_definition') break;
  }
  return false;
}

/** Why the modal operator class with `body` and `methods` cannot run on the pump, or null. */
export function pumpBlocker(body: SyntaxNode, methods: Map<string, SyntaxNode>): string | null {
  for (const name of ['__init__', '__new__', '__del__']) if (methods.has(name)) return `it defines \`${name}()\``;
  const invoke = methods.get('invoke');
  const modal = methods.get('modal')!;
  if (!invoke) return 'it has no invoke()';
  for (const stmt of body.namedChildren) {
    const a = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
    const type = a?.type === 'assignment' ? a.childForFieldName('type')?.text ?? '' : '';
    const prop = /\b(PointerProperty|CollectionProperty)\b/.exec(type);
    if (prop) return `its property \`${a!.childForFieldName('left')?.text}\` is a ${prop[1]}`;
  }
  if (/\bsuper\s*\(/.test(body.text)) return 'it calls `super()`';

  for (const [name, fn] of methods) {
    const [self, context] = params(fn);
    const wm = context ? windowManagerNames(fn, context) : new Set<string>();
    for (const call of fn.descendantsOfType('call')) {
      const f = call.childForFieldName('function');
      if (f?.type !== 'attribute') continue;
      const method = f.childForFieldName('attribute')?.text ?? '';
      if (!TIMER_CALLS.includes(method)) continue;
      const receiver = f.childForFieldName('object')!.text.replace(/\s+/g, '');
      if (!context || (receiver !== `${context}.window_manager` && !wm.has(receiver))) {
        return `its ${name}() calls \`${receiver}.${method}()\` on a window manager that is not its \`context\` argument's`;
      }
      if (method === 'modal_handler_add' && call.childForFieldName('arguments')?.namedChildren[0]?.text !== self) {
        return `its ${name}() adds a modal handler for something other than \`${self}\``;
      }
    }
    for (const attr of fn.descendantsOfType('attribute')) {
      const obj = attr.childForFieldName('object')?.text.replace(/\s+/g, '');
      const member = attr.childForFieldName('attribute')?.text ?? '';
      if ((obj === context || obj === 'bpy.context') && NO_AREA.test(member) && !checkedBefore(attr)) {
        return `its ${name}() uses \`${attr.text}\`, which is None in background mode`;
      }
      if (obj === self && OPERATOR_ONLY.test(member)) return `its ${name}() uses \`${attr.text}\``;
    }
  }

  const invokeText = invoke.text;
  if (!/\.event_timer_add\s*\(/.test(invokeText)) return 'its invoke() adds no timer';
  if (!/\.modal_handler_add\s*\(/.test(invokeText)) return 'its invoke() adds no modal handler';
  const invokeEvent = params(invoke)[2];
  const invokeBody = invoke.childForFieldName('body');
  if (invokeEvent && invokeBody?.descendantsOfType('identifier').some((i) => i.text === invokeEvent)) {
    return `its invoke() reads \`${invokeEvent}\` (headless there is no event from a user)`;
  }

  const event = params(modal)[2];
  const modalBody = modal.childForFieldName('body');
  if (!event || !modalBody) return 'its modal() takes no event';
  for (const id of modalBody.descendantsOfType('identifier')) {
    if (id.text !== event) continue;
    const attr = id.parent;
    if (attr?.type !== 'attribute' || attr.childForFieldName('object')?.id !== id.id || attr.childForFieldName('attribute')?.text !== 'type') {
      return `its modal() uses \`${attr?.type === 'attribute' ? attr.text : event}\` (headless only TIMER events come, with no other data)`;
    }
    const cmp = attr.parent;
    if (cmp?.type !== 'comparison_operator') return `its modal() uses \`${attr.text}\` other than in a comparison`;
    const others = cmp.descendantsOfType('string').map(unquote).filter((t) => t !== 'TIMER');
    if (others.length === 0) continue;
    const branch = cmp.parent;
    const stops =
      (branch?.type === 'if_statement' || branch?.type === 'elif_clause') &&
      branch.childForFieldName('condition')?.id === cmp.id &&
      endsOperator(branch.childForFieldName('consequence'));
    if (!stops) return `its modal() reacts to \`'${others[0]}'\` events, which never come in background mode`;
  }
  return null;
}
