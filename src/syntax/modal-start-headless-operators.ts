// BGS012 helper: the operator classes an add-on defines, by the `bpy.ops` name their `bl_idname` gives
// them, with what their methods do (execute? an invoke that asks the user? a modal loop on TIMER events?).
// A rule sees one file; the other files of the add-on's package are read here from disk, parsed once
// and cached. A file that is not inside a package (a one-file add-on, a fixture) is its own add-on: the
// .py files beside it are other add-ons and are never read.
import * as path from 'node:path';
import { packageRootOf, packageSources } from './package.js';
import { parsePython } from '../parse.js';
import type { SyntaxNode, Tree } from '../types.js';
import { methodsOf } from './functions.js';
import { pumpBlocker } from './modal-start-headless-pump.js';
import { stringValue } from './names.js';

export interface OperatorFacts {
  className: string;
  /** File the class is in, relative to the package root ('' for the file being checked). */
  file: string;
  hasExecute: boolean;
  hasInvoke: boolean;
  hasModal: boolean;
  /** What invoke() opens for the user (`invoke_props_dialog`, `fileselect_add`, ...), or null. */
  invokeAsks: string | null;
  /** invoke() adds a modal handler (`modal_handler_add`). */
  invokeStartsModal: boolean;
  /** modal() tests for TIMER events. */
  modalOnTimer: boolean;
  /** The first argument of `event_timer_add(...)` in invoke(), e.g. `0.1`, or null. */
  timerInterval: string | null;
  /** The class has bases other than `Operator`, so methods may come from elsewhere. */
  otherBases: boolean;
  /** For a modal-only operator working on TIMER events: why `bgsafe_runtime.run_modal` cannot run it headless
   *  (words for a message: "its modal() reads `event.mouse_x`"), or null when it can. */
  pumpBlocker: string | null;
}

/** Calls in invoke() that wait for the user: a dialog, a popup, a file browser. */
const ASKS = [
  'invoke_props_dialog',
  'invoke_props_popup',
  'invoke_popup',
  'invoke_confirm',
  'invoke_search_popup',
  'fileselect_add',
  'popup_menu',
  'popover',
];


/** `object.select_all` from `bl_idname = "object.select_all"` or `"OBJECT_OT_select_all"`. */
export function opsName(idname: string): string | null {
  const ot = /^([A-Za-z0-9]+)_OT_(\w+)$/.exec(idname);
  if (ot) return `${ot[1].toLowerCase()}.${ot[2]}`;
  return /^[a-z0-9_]+\.[a-z0-9_]+$/.test(idname) ? idname : null;
}

function callsNamed(fn: SyntaxNode, names: string[]): string | null {
  for (const call of fn.descendantsOfType('call')) {
    const f = call.childForFieldName('function');
    const last = f?.type === 'attribute' ? f.childForFieldName('attribute')?.text : f?.text;
    if (last && names.includes(last)) return last;
  }
  return null;
}

const treeCache = new WeakMap<object, Map<string, OperatorFacts>>();

/** The operator classes of one parsed file, by `bpy.ops` name. */
export function operatorsOf(tree: Tree, file: string): Map<string, OperatorFacts> {
  const cached = treeCache.get(tree);
  if (cached) return cached;
  const out = new Map<string, OperatorFacts>();
  treeCache.set(tree, out);
  for (const cls of tree.rootNode.descendantsOfType('class_definition')) {
    const body = cls.childForFieldName('body');
    if (!body) continue;
    let idname: string | null = null;
    for (const stmt of body.namedChildren) {
      const a = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
      if (a?.type === 'assignment' && a.childForFieldName('left')?.text === 'bl_idname') {
        idname = stringValue(a.childForFieldName('right'));
      }
    }
    const name = idname ? opsName(idname) : null;
    if (!name) continue;
    const methods = methodsOf(body);
    const invoke = methods.get('invoke');
    const modal = methods.get('modal');
    const bases = cls.childForFieldName('superclasses')?.namedChildren ?? [];
    let timerInterval: string | null = null;
    if (invoke) {
      for (const call of invoke.descendantsOfType('call')) {
        const f = call.childForFieldName('function');
        if (f?.type === 'attribute' && f.childForFieldName('attribute')?.text === 'event_timer_add') {
          timerInterval = call.childForFieldName('arguments')?.firstNamedChild?.text ?? null;
          break;
        }
      }
    }
    out.set(name, {
      className: cls.childForFieldName('name')?.text ?? '?',
      file,
      hasExecute: methods.has('execute'),
      hasInvoke: !!invoke,
      hasModal: !!modal,
      invokeAsks: invoke ? callsNamed(invoke, ASKS) : null,
      invokeStartsModal: invoke ? callsNamed(invoke, ['modal_handler_add']) !== null : false,
      modalOnTimer: modal ? /(['"])TIMER\1/.test(modal.text) : false,
      timerInterval,
      otherBases: bases.some((b) => !/^((bpy\.)?types\.)?Operator$/.test(b.text.replace(/\s+/g, ''))),
      pumpBlocker: modal && !methods.has('execute') ? pumpBlocker(body, methods) : null,
    });
  }
  return out;
}

const packageCache = new Map<string, Map<string, OperatorFacts>>();

/** The operators defined in the other files of the package holding `file` (cached per package). */
function packageOperators(file: string): Map<string, OperatorFacts> {
  const root = packageRootOf(file);
  if (!root) return new Map();
  const cached = packageCache.get(root);
  if (cached) return cached;
  const all = new Map<string, OperatorFacts>();
  for (const { file: f, text } of packageSources(file)) {
    if (!text.includes('bl_idname')) continue;
    for (const [name, facts] of operatorsOf(parsePython(text), path.relative(root, f))) {
      if (!all.has(name)) all.set(name, facts);
    }
  }
  packageCache.set(root, all);
  return all;
}

/**
 * The operator `bpy.ops.<name>` of the add-on holding the file at `file` (its absolute path), or null where the add-on does not define it (Blender's own operators, another add-on's).
 * The file's own tree wins over its copy on disk.
 */
export function resolveOperator(tree: Tree, file: string, name: string): OperatorFacts | null {
  const own = operatorsOf(tree, '').get(name);
  if (own) return own;
  return packageOperators(file).get(name) ?? null;
}
