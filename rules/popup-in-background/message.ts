// BGS005 popup-in-background: what a popup says, read from its draw function (a lambda, or a def of the
// same file whose body only adds labels and layout items), as expressions to print that mean the same at
// the popup's call site.
import type { SyntaxNode } from '../../src/types.js';
import { targetNames } from '../../src/syntax/names.js';
import { functionAround } from '../../src/syntax/functions.js';

/** The message of a popup: expressions to print, valid at the popup's call site. */
export type Message = { parts: string[]; lines?: boolean } | { unknown: string; why?: string };

/** A call's arguments: positional ones (`*args` too) and keyword ones by name. */
export interface Arguments {
  positional: SyntaxNode[];
  keywords: Map<string, SyntaxNode>;
}

/** More labels than this are a help text, not a message: it is not copied into a second place. */
const MAX_LABELS = 8;

/** An empty string literal (`''`, `""`, `r""`): a label without text. */
export const EMPTY_STRING = /^[a-zA-Z]*(''|"")$/;

/** What the popup at `call` shows, from its draw function (a lambda or a def this file holds). */
export function popupMessage(call: SyntaxNode, draw: SyntaxNode | undefined): Message {
  if (!draw) return { unknown: '?' };
  if (draw.type === 'lambda') return lambdaMessage(draw);
  if (draw.type !== 'identifier') return { unknown: draw.text.split('\n')[0] };
  const def = findDefinition(draw.text, call);
  return def ? new DrawReader(def, call, draw.text).message() : { unknown: draw.text };
}

/** The arguments of a call: positional ones (`*args` included) and keyword ones by name. */
export function argumentsOf(args: SyntaxNode): Arguments {
  const positional: SyntaxNode[] = [];
  const keywords = new Map<string, SyntaxNode>();
  for (const a of args.namedChildren) {
    if (a.type === 'comment') continue;
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name')?.text;
      const value = a.childForFieldName('value');
      if (name && value) keywords.set(name, value);
    } else positional.push(a);
  }
  return { positional, keywords };
}

/** `lambda self, context: self.layout.label(text=…)`: the text, where it reads none of the lambda's names. */
function lambdaMessage(draw: SyntaxNode): Message {
  const params = draw.childForFieldName('parameters')?.namedChildren ?? [];
  const self = params[0]?.type === 'identifier' ? params[0].text : null;
  const body = draw.childForFieldName('body');
  const f = body?.type === 'call' ? body.childForFieldName('function') : null;
  const layout = f?.type === 'attribute' && f.childForFieldName('attribute')?.text === 'label' ? f.childForFieldName('object') : null;
  const unknown = { unknown: 'the lambda' };
  if (!self || !layout || layout.text.replace(/\s+/g, '') !== `${self}.layout`) return unknown;
  const args = body!.childForFieldName('arguments');
  const { positional, keywords } = args?.type === 'argument_list' ? argumentsOf(args) : { positional: [], keywords: new Map() };
  const text = keywords.get('text') ?? positional[0];
  const bound = new Set(params.map((p) => p.text));
  if (!text || text.startPosition.row !== text.endPosition.row || [...readNames(text)].some((n) => bound.has(n))) return unknown;
  return { parts: [text.text] };
}

/** The function `name` as seen from `at`: a def in an enclosing function's body, else in the module. */
function findDefinition(name: string, at: SyntaxNode): SyntaxNode | null {
  for (let fn = functionAround(at); ; fn = fn ? functionAround(fn) : null) {
    const body = fn ? fn.childForFieldName('body') : rootOf(at);
    if (fn?.type === 'lambda') continue;
    for (const s of body?.namedChildren ?? []) {
      const def = s.type === 'decorated_definition' ? s.childForFieldName('definition') : s;
      if (def?.type === 'function_definition' && def.childForFieldName('name')?.text === name) return def;
    }
    if (!fn) return null;
  }
}

/** The module node the tree of `node` hangs from. */
function rootOf(node: SyntaxNode): SyntaxNode {
  let r = node;
  while (r.parent) r = r.parent;
  return r;
}

/**
 * Reads the texts a draw function shows, when its body is only labels and layout calls that show no text:
 * `self.layout.label(text=…)`, names bound to the layout, a sub-layout or its `label` method, and
 * `for line in text.split(…): layout.label(text=line)`. The names a text reads must mean the same at the
 * call site: not bound in the draw function, nor in the functions between the call and the draw function.
 */
class DrawReader {
  private readonly self: string | null;
  private readonly bound: Set<string>;
  private readonly shadowing = new Set<string>();
  /** Names bound to `self.layout` or a sub-layout. */
  private readonly layouts = new Set<string>();
  /** Names bound to a layout's `label` method. */
  private readonly labels = new Set<string>();
  private readonly parts: string[] = [];
  private lines = false;

  constructor(private readonly fn: SyntaxNode, call: SyntaxNode, private readonly drawName: string) {
    const params = fn.childForFieldName('parameters')?.namedChildren ?? [];
    this.self = params[0]?.type === 'identifier' ? params[0].text : null;
    this.bound = localNames(fn);
    const defScope = functionAround(fn);
    for (let f = functionAround(call); f && f.id !== defScope?.id; f = functionAround(f)) {
      for (const n of localNames(f)) this.shadowing.add(n);
    }
  }

  message(): Message {
    const unknown = { unknown: this.drawName };
    if (!this.self) return unknown;
    for (const s of this.fn.childForFieldName('body')?.namedChildren ?? []) {
      if (s.type === 'comment' || s.type === 'pass_statement') continue;
      const known =
        s.type === 'expression_statement' && s.namedChildCount === 1 ? this.expression(s.firstNamedChild!)
          : s.type === 'for_statement' && !s.childForFieldName('alternative') ? this.labelLoop(s)
            : false;
      if (!known) return unknown;
    }
    // A long help text is not copied into a second place: the title says which popup it was.
    if (this.parts.length > MAX_LABELS) return { unknown: this.drawName, why: `whose ${this.parts.length} labels are too many to copy here` };
    return this.parts.length > 0 ? { parts: this.parts, lines: this.lines } : unknown;
  }

  /** One expression statement of the body; false where it does more than add labels and layout items. */
  private expression(e: SyntaxNode): boolean {
    if (e.type === 'string') return true; // a docstring
    if (e.type === 'assignment') {
      const left = e.childForFieldName('left');
      const right = e.childForFieldName('right');
      // `layout.operator(...).url = "…"` sets a button's property: no message either.
      if (left?.type === 'attribute' && this.onLayout(left.childForFieldName('object'))) return true;
      if (left?.type !== 'identifier' || !right) return false;
      if (right.type === 'attribute' && right.childForFieldName('attribute')?.text === 'label' && this.onLayout(right.childForFieldName('object'))) {
        this.labels.add(left.text); // `label = self.layout.label`
        return true;
      }
      if (!this.onLayout(right)) return false;
      this.layouts.add(left.text); // `layout = self.layout`, `col = layout.column()`
      return true;
    }
    if (e.type !== 'call') return false;
    const f = e.childForFieldName('function');
    if (this.isLabel(f)) {
      const text = this.labelText(e);
      if (text === 'none') return true;
      if (!text || !this.usable(text)) return false;
      this.parts.push(text.text);
      return true;
    }
    // Other layout calls (separator, prop, operator buttons) show no message.
    return f?.type === 'attribute' && this.onLayout(f.childForFieldName('object'));
  }

  /** `for line in message.split("\n"): layout.label(text=line)`. */
  private labelLoop(s: SyntaxNode): boolean {
    const left = s.childForFieldName('left');
    const right = s.childForFieldName('right');
    const body = s.childForFieldName('body')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
    const only = body.length === 1 && body[0].type === 'expression_statement' ? body[0].firstNamedChild : null;
    if (left?.type !== 'identifier' || !right || only?.type !== 'call' || !this.isLabel(only.childForFieldName('function'))) return false;
    const text = this.labelText(only);
    if (!text || text === 'none' || text.type !== 'identifier' || text.text !== left.text) return false;
    const callee = right.type === 'call' ? right.childForFieldName('function') : null;
    const split = callee?.type === 'attribute' && /^(split|splitlines)$/.test(callee.childForFieldName('attribute')?.text ?? '');
    const whole = split ? callee!.childForFieldName('object')! : right;
    if (!this.usable(whole)) return false;
    this.parts.push(split ? whole.text : `*${whole.text}`);
    this.lines = true;
    return true;
  }

  /** `self.layout`, a name bound to it or to a sub-layout, or a call/attribute chain on one. */
  private onLayout(n: SyntaxNode | null): boolean {
    if (!n) return false;
    if (n.type === 'identifier') return this.layouts.has(n.text);
    if (n.type === 'attribute') {
      const object = n.childForFieldName('object');
      if (object?.type === 'identifier' && object.text === this.self && n.childForFieldName('attribute')?.text === 'layout') return true;
      return this.onLayout(object);
    }
    if (n.type === 'call') return this.onLayout(n.childForFieldName('function'));
    return false;
  }

  private isLabel(f: SyntaxNode | null): boolean {
    return !!f && ((f.type === 'identifier' && this.labels.has(f.text)) ||
      (f.type === 'attribute' && f.childForFieldName('attribute')?.text === 'label' && this.onLayout(f.childForFieldName('object'))));
  }

  /** The text a label call shows; 'none' for a label without text, null where it cannot be read. */
  private labelText(c: SyntaxNode): SyntaxNode | null | 'none' {
    const args = c.childForFieldName('arguments');
    if (!args || args.type !== 'argument_list') return null;
    const { positional, keywords } = argumentsOf(args);
    const text = keywords.get('text') ?? positional[0];
    if (!text) return 'none';
    if (text.type === 'string' && EMPTY_STRING.test(text.text)) return 'none';
    return text;
  }

  private usable(e: SyntaxNode): boolean {
    return e.startPosition.row === e.endPosition.row && [...readNames(e)].every((n) => !this.bound.has(n) && !this.shadowing.has(n));
  }
}

/** Names a function (or lambda) binds locally: parameters, assignment and loop targets, imports, nested
 *  definitions. Nested function bodies are not entered. */
function localNames(fn: SyntaxNode): Set<string> {
  const out = new Set<string>();
  const params = fn.childForFieldName('parameters');
  for (const p of params?.namedChildren ?? []) {
    if (p.type === 'identifier') out.add(p.text);
    else if (p.type === 'list_splat_pattern' || p.type === 'dictionary_splat_pattern') targetNames(p.firstNamedChild, out);
    else {
      const name = p.childForFieldName('name') ?? p.firstNamedChild;
      if (name?.type === 'identifier') out.add(name.text);
    }
  }
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      switch (c.type) {
        case 'function_definition':
        case 'class_definition':
          targetNames(c.childForFieldName('name'), out);
          continue;
        case 'lambda':
          continue;
        case 'assignment':
        case 'augmented_assignment':
        case 'for_statement':
          targetNames(c.childForFieldName('left'), out);
          break;
        case 'named_expression':
          targetNames(c.childForFieldName('name'), out);
          break;
        case 'as_pattern':
          targetNames(c.childForFieldName('alias')?.firstNamedChild ?? c.childForFieldName('alias'), out);
          break;
        case 'aliased_import':
          targetNames(c.childForFieldName('alias'), out);
          continue;
        case 'import_statement':
        case 'import_from_statement':
          for (const name of c.childrenForFieldName('name')) {
            if (name.type === 'dotted_name') out.add(name.firstNamedChild?.text ?? name.text);
          }
          break;
      }
      visit(c);
    }
  };
  const body = fn.childForFieldName('body');
  if (body) visit(body);
  return out;
}

/** Identifiers an expression reads (not attribute names, keyword names, or names it binds itself). */
function readNames(expr: SyntaxNode): Set<string> {
  const reads = new Set<string>();
  const own = new Set<string>();
  const visit = (n: SyntaxNode): void => {
    if (n.type === 'identifier') {
      const p = n.parent;
      if (p?.type === 'attribute' && p.childForFieldName('attribute')?.id === n.id) return;
      if (p?.type === 'keyword_argument' && p.childForFieldName('name')?.id === n.id) return;
      reads.add(n.text);
      return;
    }
    if (n.type === 'for_in_clause') targetNames(n.childForFieldName('left'), own);
    if (n.type === 'lambda') for (const p of n.childForFieldName('parameters')?.namedChildren ?? []) targetNames(p, own);
    for (const c of n.namedChildren) visit(c);
  };
  visit(expr);
  for (const n of own) reads.delete(n);
  return reads;
}
