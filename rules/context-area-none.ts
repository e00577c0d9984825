// BGS004 context-area-none: `context.area`, `.region`, `.space_data` and `.region_data` dereferenced in code
// that runs without a UI: an operator's `execute()` or `poll()`, app handlers and timers. Headless (a
// `--python` script, a render node) those members are None, so `context.area.type` raises AttributeError.
// The fix adds the None check a careful author writes: `context.area and …` in a condition, or
// `if context.area is not None:` around the statements that use it; anything less clear is reported.
import type { Edit, SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';
import { nextStatement, wrapStatements } from '../src/syntax/edits.js';
import { enclosingStatement, isField } from '../src/syntax/scope.js';

const MEMBERS = new Set(['area', 'region', 'space_data', 'region_data']);

/** `context.area` (any identifier; the function's context parameter is checked in code) and `bpy.context.area`. */
const MEMBER_QUERY = `
(attribute
  object: [
    (identifier) @context
    (attribute object: (identifier) @bpy attribute: (identifier) @context)
  ]
  attribute: (identifier) @member) @base
`;
const FUNCTION_QUERY = '(function_definition name: (identifier) @name) @def';
/** `bpy.app.handlers.<list>.append(f)` and `bpy.app.timers.register(f, …)`, also through `functools.partial(f, …)`. */
const CALLBACK_QUERY = '(call function: (attribute) @callee arguments: (argument_list . (_) @callback)) @call';

/** Attributes of Area, Region, RegionView3D and the Space types (Blender 3.4.1 and 4.3.2 RNA, generic names
 *  such as `data` or `name` left out): the text of the AttributeError a None member gives. */
const MEMBER_ATTRIBUTES = [
  'activate_asset_by_id', 'activate_file_by_relative_path', 'active_operator', 'active_panel_category',
  'alignment', 'annotation_source', 'attribute_domain', 'auto_snap', 'backdrop_channels', 'backdrop_offset',
  'backdrop_zoom', 'blend_factor', 'browse_mode', 'clip', 'clip_end', 'clip_planes', 'clip_start', 'clip_user',
  'cursor_location_from_region', 'cursor_position_x', 'cursor_position_y', 'custom_grid_subdivisions',
  'display_channel', 'display_channels', 'display_stretch_type', 'display_viewer_path_collapsed', 'dopesheet',
  'edge_display_type', 'edit_tree', 'filter_id_type', 'filter_invert', 'find_text', 'font_size',
  'geometry_component_type', 'geometry_nodes_tool_tree', 'geometry_nodes_type', 'grease_pencil',
  'grid_shape_source', 'has_ghost_curves', 'header_text_set', 'height', 'id_from', 'image_user',
  'insert_offset_direction', 'is_orthographic_side_view', 'is_perspective', 'is_pinned',
  'is_syntax_highlight_supported', 'lib_override_view_mode', 'local_view', 'margin_column',
  'mask_display_type', 'mask_overlay_mode', 'mirror_xr_session', 'node_tree', 'object_eval_state',
  'outliner_sync', 'overlay', 'overlay_frame_type', 'path_length', 'perspective_matrix', 'pin_id',
  'pivot_point', 'pixel_round_mode', 'preview_channels', 'preview_overlay', 'preview_shape',
  'proxy_render_size', 'region_3d', 'region_location_from_cursor', 'region_quadviews', 'regions',
  'replace_text', 'row_filters', 'sample_histogram', 'search_filter', 'shader_type', 'shading', 'spaces',
  'stretch_opacity', 'supports_previews', 'tab_search_results', 'tab_width', 'tag_redraw', 'tag_refresh_ui',
  'texture_type', 'tile_grid_shape', 'timeline_overlay', 'tracks_display_size', 'tracks_display_type',
  'tree_type', 'type', 'ui_mode', 'ui_type', 'uv_editor', 'uv_opacity', 'view2d', 'view_camera_offset',
  'view_camera_zoom', 'view_distance', 'view_location', 'view_matrix', 'view_perspective', 'view_rotation',
  'view_type', 'viewer_path', 'visible_lines', 'width', 'window_matrix', 'x', 'y', 'zoom_percentage',
];
const ATTRIBUTE_PATTERN = `(?:${MEMBER_ATTRIBUTES.join('|')}|(?:show|use|lock|cache|render_border|stereo_3d)_\\w+)`;

/** Where the code runs headless, and the name the function calls its context. */
interface Place {
  fn: SyntaxNode;
  where: string;
  kind: 'execute' | 'poll' | 'handler' | 'timer';
  /** The function's context parameter (`context` in `execute(self, context)`); null for handlers and timers. */
  contextName: string | null;
}

function strip(n: SyntaxNode): SyntaxNode {
  while (n.type === 'parenthesized_expression' && n.namedChildCount === 1) n = n.firstNamedChild!;
  return n;
}

function parameterNames(fn: SyntaxNode): string[] {
  const params = fn.childForFieldName('parameters');
  if (!params) return [];
  return params.namedChildren.map((p) => {
    if (p.type === 'identifier') return p.text;
    const name = p.childForFieldName('name') ?? p.firstNamedChild;
    return name?.type === 'identifier' ? name.text : '';
  });
}

function methodClass(fn: SyntaxNode): SyntaxNode | null {
  let holder = fn.parent;
  if (holder?.type === 'decorated_definition') holder = holder.parent;
  return holder?.type === 'block' && holder.parent?.type === 'class_definition' ? holder.parent : null;
}

/** A class that is an operator: `bpy.types.Operator` among its bases, an `_OT_` name, or an `execute()`. */
function isOperatorClass(cls: SyntaxNode): boolean {
  const name = cls.childForFieldName('name')?.text ?? '';
  const bases = cls.childForFieldName('superclasses')?.text ?? '';
  if (/\bOperator\b/.test(bases) || /_OT_/.test(name)) return true;
  if (/\b(Panel|Menu|UIList|Header|Gizmo|GizmoGroup|NodeCategory|PropertyGroup|AddonPreferences)\b/.test(bases)) return false;
  const body = cls.childForFieldName('body');
  return !!body?.namedChildren.some((s) => {
    const def = s.type === 'decorated_definition' ? s.childForFieldName('definition') : s;
    return def?.type === 'function_definition' && def.childForFieldName('name')?.text === 'execute';
  });
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

/** The headless places of a file: operators' execute() and poll(), handlers and timers. */
function headlessPlaces(ctx: RuleContext): Map<number, Place> {
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

/** The nearest function around a node (lambdas too), or null at module level. */
function nearestFunction(node: SyntaxNode): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition' || p.type === 'lambda') return p;
  return null;
}

/** Reads the place's context members: `context.area` (its own context name) or `bpy.context.area`. */
class Members {
  constructor(private readonly contextName: string | null) {}

  /** `node` is `context.<member>` itself. */
  isMember(node: SyntaxNode): boolean {
    const n = strip(node);
    if (n.type !== 'attribute') return false;
    const attr = n.childForFieldName('attribute');
    const obj = n.childForFieldName('object');
    if (!attr || !obj || !MEMBERS.has(attr.text)) return false;
    if (obj.type === 'identifier') return obj.text === this.contextName;
    return obj.type === 'attribute' && obj.text.replace(/\s+/g, '') === 'bpy.context';
  }

  /** `node` is an attribute/subscript/call chain rooted at a member: `context.area.spaces[0].image`. */
  isChain(node: SyntaxNode): boolean {
    let n = strip(node);
    for (let depth = 0; ; depth++) {
      if (this.isMember(n)) return depth > 0;
      const inner = n.type === 'attribute' ? n.childForFieldName('object') : n.type === 'subscript' ? n.childForFieldName('value') : n.type === 'call' ? n.childForFieldName('function') : null;
      if (!inner) return false;
      n = inner;
    }
  }

  /** A member occurs anywhere in `node`. */
  mentions(node: SyntaxNode): boolean {
    if (this.isMember(node)) return true;
    return node.namedChildren.some((c) => this.mentions(c));
  }

  /** True ⇒ the members are not None: `context.area`, `context.area is not None`, `context.area.type == 'X'`, … */
  positive(node: SyntaxNode): boolean {
    const n = strip(node);
    switch (n.type) {
      case 'boolean_operator': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (!l || !r) return false;
        return n.childForFieldName('operator')?.text === 'and' ? this.positive(l) || this.positive(r) : this.positive(l) && this.positive(r);
      }
      case 'not_operator': {
        const arg = n.childForFieldName('argument');
        return !!arg && this.noneTrue(arg);
      }
      case 'comparison_operator': {
        const cmp = comparison(n);
        if (!cmp) return false;
        const [a, op, b] = cmp;
        const member = this.isMember(a) ? b : this.isMember(b) ? a : null;
        if (member && strip(member).type === 'none') return op === 'is not' || op === '!=';
        // `context.area.spaces.active.clip is not None`: only true when the chain could be read.
        if (strip(a).type === 'none' || strip(b).type === 'none') return (op === 'is not' || op === '!=') && this.mentions(n);
        if (NEGATIVE_OPS.has(op) || op === 'is') return false;
        return this.mentions(n);
      }
      case 'call': {
        const f = n.childForFieldName('function')?.text;
        const first = n.childForFieldName('arguments')?.firstNamedChild;
        if ((f === 'isinstance' || f === 'hasattr') && first && this.isMember(first)) return true;
        return this.isChain(n);
      }
      default:
        return this.isMember(n) || this.isChain(n);
    }
  }

  /** None ⇒ true: `not context.area`, `context.area is None`, `context.area.type != 'X'` (raises or is fixed
   *  to `context.area is None or …`). */
  noneTrue(node: SyntaxNode): boolean {
    const n = strip(node);
    switch (n.type) {
      case 'boolean_operator': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (!l || !r) return false;
        return n.childForFieldName('operator')?.text === 'or' ? this.noneTrue(l) || this.noneTrue(r) : this.noneTrue(l) && this.noneTrue(r);
      }
      case 'not_operator': {
        const arg = n.childForFieldName('argument');
        return !!arg && this.positive(arg);
      }
      case 'comparison_operator': {
        const cmp = comparison(n);
        if (!cmp) return false;
        const [a, op, b] = cmp;
        const member = this.isMember(a) ? b : this.isMember(b) ? a : null;
        if (member && strip(member).type === 'none') return op === 'is' || op === '==';
        if (strip(a).type === 'none' || strip(b).type === 'none') return (op === 'is' || op === '==') && (this.isChain(a) || this.isChain(b));
        return NEGATIVE_OPS.has(op) && (this.isChain(a) || this.isChain(b));
      }
      default:
        return false;
    }
  }
}

const NEGATIVE_OPS = new Set(['!=', 'not in', 'is not']);

/** A comparison of two operands: [left, operator, right]; null for chains (`a < b < c`). */
function comparison(n: SyntaxNode): [SyntaxNode, string, SyntaxNode] | null {
  const operands = n.namedChildren.filter((c) => c.type !== 'comment');
  const ops = n.childrenForFieldName('operators');
  if (operands.length !== 2 || ops.length !== 1) return null;
  return [operands[0], ops[0].text.replace(/\s+/g, ' '), operands[1]];
}

const EXITS = new Set(['return_statement', 'raise_statement', 'continue_statement', 'break_statement']);
/** The except clause catches AttributeError: bare `except:`, or a type (or tuple of types) naming
 *  `AttributeError`, `Exception` or `BaseException`. */
function catchesAttributeError(clause: SyntaxNode): boolean {
  const value = clause.childForFieldName('value');
  if (!value) return true;
  const type = value.type === 'as_pattern' ? value.firstNamedChild : value;
  const types = type?.type === 'tuple' || type?.type === 'parenthesized_expression' ? type.namedChildren : type ? [type] : [];
  return types.some((t) => /^(builtins\.)?(AttributeError|Exception|BaseException)$/.test(t.text));
}

/** The use at `node` already sits behind a None check of a context member (or an AttributeError handler). */
function isGuarded(node: SyntaxNode, fn: SyntaxNode, m: Members): boolean {
  let child = node;
  for (let p = node.parent; p && p.id !== fn.id; child = p, p = p.parent) {
    switch (p.type) {
      case 'if_statement': {
        const cond = p.childForFieldName('condition');
        if (!cond) break;
        if (isField(p, 'consequence', child) && m.positive(cond)) return true;
        const alts = p.childrenForFieldName('alternative');
        const at = alts.findIndex((a) => a.id === child.id);
        if (at >= 0) {
          if (m.noneTrue(cond)) return true;
          for (const earlier of alts.slice(0, at)) {
            const c = earlier.childForFieldName('condition');
            if (c && m.noneTrue(c)) return true;
          }
        }
        break;
      }
      case 'elif_clause':
      case 'while_statement': {
        const cond = p.childForFieldName('condition');
        const body = p.childForFieldName(p.type === 'elif_clause' ? 'consequence' : 'body');
        if (cond && body?.id === child.id && m.positive(cond)) return true;
        break;
      }
      case 'conditional_expression': {
        const [yes, cond, no] = p.namedChildren;
        if (cond && yes?.id === child.id && m.positive(cond)) return true;
        if (cond && no?.id === child.id && m.noneTrue(cond)) return true;
        break;
      }
      case 'boolean_operator': {
        const left = p.childForFieldName('left');
        if (left && isField(p, 'right', child)) {
          if (p.childForFieldName('operator')?.text === 'and' ? m.positive(left) : m.noneTrue(left)) return true;
        }
        break;
      }
      case 'try_statement':
        if (isField(p, 'body', child) && p.namedChildren.some((c) => c.type === 'except_clause' && catchesAttributeError(c))) return true;
        break;
      case 'block':
        for (let s = child.previousNamedSibling; s; s = s.previousNamedSibling) {
          if (s.type === 'if_statement') {
            const cond = s.childForFieldName('condition');
            const last = s.childForFieldName('consequence')?.lastNamedChild;
            if (cond && last && EXITS.has(last.type) && m.noneTrue(cond)) return true;
          } else if (s.type === 'assert_statement' && s.firstNamedChild && m.positive(s.firstNamedChild)) {
            return true;
          }
        }
        break;
    }
  }
  return false;
}

/** The widest attribute/subscript/call chain that starts at `deref`: `context.area.spaces[0].image`. */
function chainTop(deref: SyntaxNode): SyntaxNode {
  let x = deref;
  for (let p = x.parent; p; x = p, p = p.parent) {
    const inner = p.type === 'attribute' ? p.childForFieldName('object') : p.type === 'subscript' ? p.childForFieldName('value') : p.type === 'call' ? p.childForFieldName('function') : null;
    if (inner?.id !== x.id) break;
  }
  return x;
}

/** What makes one use safe. */
type Plan =
  | { kind: 'condition'; key: number; edits: Edit[]; check: string }
  | { kind: 'statement'; statement: SyntaxNode }
  | { kind: 'manual'; reason: string; manual: string };

const SIMPLE_VALUE = new Set(['string', 'concatenated_string', 'integer', 'float', 'true', 'false', 'identifier', 'attribute']);

function isSimpleValue(n: SyntaxNode): boolean {
  const s = strip(n);
  if (SIMPLE_VALUE.has(s.type)) return true;
  return ['tuple', 'set', 'list'].includes(s.type) && s.namedChildren.every((c) => c.type === 'comment' || SIMPLE_VALUE.has(c.type));
}

/**
 * A use inside a condition (`if`, `elif`, `while`, `… if c else …`, or what `poll()` returns): the operand of
 * the condition that holds it (a truth test of the member's attribute, or a comparison) gets the None check in
 * front. Null when the use is not in a condition (the statement is made safe instead).
 */
function conditionPlan(deref: SyntaxNode, base: SyntaxNode, place: Place, m: Members): Plan | null {
  // Up to the operand of `and`/`or`/`not` or of the condition itself.
  let o: SyntaxNode = deref;
  for (let p = o.parent; ; o = p, p = p.parent) {
    if (!p || p.type === 'block' || p.type === 'module' || p.type === 'lambda' || p.type.endsWith('_statement')) {
      if (!(p && p.type === 'return_statement' && place.kind === 'poll')) {
        if (!p || !['if_statement', 'while_statement'].includes(p.type) || !isField(p, 'condition', o)) return null;
      }
      break;
    }
    if (p.type === 'boolean_operator' || p.type === 'not_operator' || isConditionSlot(o)) break;
  }
  let whole = o;
  let negated: SyntaxNode | null = null;
  while (whole.parent && ['parenthesized_expression', 'boolean_operator', 'not_operator'].includes(whole.parent.type)) {
    if (whole.parent.type === 'not_operator') negated ??= whole.parent;
    whole = whole.parent;
  }
  const slot = conditionSlot(whole, place);
  if (!slot) return null;
  if (negated) {
    return manualCondition(`\`${firstLine(negated.text)}\` negates the test, so it is unclear what it should be when \`${base.text}\` is None`, base);
  }
  const atom = strip(o);
  const top = chainTop(deref);
  let negative = false;
  if (atom.id !== top.id) {
    if (atom.type !== 'comparison_operator') {
      return manualCondition(`\`${base.text}\` is read inside \`${firstLine(atom.text)}\`, whose value without an area is unclear`, base);
    }
    const cmp = comparison(atom);
    if (!cmp) return manualCondition(`\`${firstLine(atom.text)}\` is a chained comparison`, base);
    const [a, op, b] = cmp;
    const side = deref.startIndex >= a.startIndex && deref.endIndex <= a.endIndex ? a : b;
    const other = side.id === a.id ? b : a;
    if (strip(side).id !== top.id) {
      // `len(context.area.regions) == 0`: what it should be without an area depends on the expression.
      return manualCondition(`\`${base.text}\` is read inside \`${firstLine(side.text)}\`, whose value without an area is unclear`, base);
    }
    // `… is not None` is false without an area (there is no such thing), `… is None` true.
    const withNone = (op === 'is' || op === 'is not') && strip(other).type === 'none' && strip(side).id === top.id;
    if (withNone) negative = op === 'is';
    else if (NEGATIVE_OPS.has(op) || op === 'is') {
      if (op === 'is' || op === 'is not' || strip(side).id !== top.id || !isSimpleValue(other) || m.mentions(other)) {
        return manualCondition(`it is unclear what \`${firstLine(atom.text)}\` should be when \`${base.text}\` is None`, base);
      }
      negative = true;
    }
  }
  const b = base.text;
  const check = negative ? `${b} is None or` : slot === 'return' ? `${b} is not None and` : `${b} and`;
  // `x and a != 'X'` → `x and (context.area is None or a != 'X')`: `or` binds looser than `and`.
  const needsParens = negative && o.parent?.type === 'boolean_operator' && o.parent.childForFieldName('operator')?.text === 'and';
  const edits: Edit[] = needsParens
    ? [{ start: atom.startIndex, end: atom.startIndex, text: `(${check} ` }, { start: atom.endIndex, end: atom.endIndex, text: ')' }]
    : [{ start: atom.startIndex, end: atom.startIndex, text: `${check} ` }];
  return { kind: 'condition', key: atom.id, edits, check: needsParens ? `(${check} …)` : `${check} …` };
}

function manualCondition(reason: string, base: SyntaxNode): Plan {
  const b = base.text;
  return {
    kind: 'manual',
    reason,
    manual: `write the test so that it says what it means when \`${b}\` is None (\`${b} is not None and …\` or \`${b} is None or …\`)`,
  };
}

function isConditionSlot(n: SyntaxNode): boolean {
  const p = n.parent;
  if (!p) return false;
  if (['if_statement', 'elif_clause', 'while_statement'].includes(p.type)) return isField(p, 'condition', n);
  return p.type === 'conditional_expression' && p.namedChildren[1]?.id === n.id;
}

/** 'condition' where `whole` is the condition of an if/elif/while or a conditional expression, 'return' where
 *  it is what `poll()` returns, else null. */
function conditionSlot(whole: SyntaxNode, place: Place): 'condition' | 'return' | null {
  if (isConditionSlot(whole)) return 'condition';
  if (place.kind === 'poll' && whole.parent?.type === 'return_statement') return 'return';
  return null;
}

/** Names a statement binds: assignment targets, `for` targets, `with … as`, walrus. */
function boundNames(statement: SyntaxNode): string[] {
  const out: string[] = [];
  const targets = (t: SyntaxNode | null): void => {
    if (!t) return;
    if (t.type === 'identifier') out.push(t.text);
    else if (['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'list_splat_pattern', 'parenthesized_expression'].includes(t.type)) {
      for (const c of t.namedChildren) targets(c);
    }
  };
  const visit = (n: SyntaxNode): void => {
    if (n.type === 'assignment' || n.type === 'augmented_assignment') targets(n.childForFieldName('left'));
    else if (n.type === 'for_statement' || n.type === 'for_in_clause') targets(n.childForFieldName('left'));
    else if (n.type === 'as_pattern') targets(n.childForFieldName('alias')?.firstNamedChild ?? null);
    else if (n.type === 'named_expression') targets(n.childForFieldName('name'));
    else if (n.type === 'function_definition' || n.type === 'class_definition') {
      const name = n.childForFieldName('name');
      if (name) out.push(name.text);
      return;
    } else if (n.type === 'import_statement' || n.type === 'import_from_statement') {
      for (const c of n.descendantsOfType('identifier')) out.push(c.text);
      return;
    }
    for (const c of n.namedChildren) visit(c);
  };
  visit(statement);
  return [...new Set(out)];
}

/** Attributes of a space, area or region that point at data (not at the editor's own settings): writing
 *  through them changes the data, so skipping that is not a UI-only change. */
const DATA_POINTERS = new Set([
  'node_tree', 'edit_tree', 'text', 'image', 'clip', 'mask', 'camera', 'grease_pencil', 'pin_id', 'id_from',
  'geometry_nodes_tool_tree', 'lock_object', 'lock_bone', 'image_user', 'clip_user',
]);
/** Methods of an area or region that only redraw or relabel it. */
const UI_METHODS = new Set(['tag_redraw', 'tag_refresh_ui', 'header_text_set']);

/** The attribute names after the member in a chain (`context.area.spaces[0].image` → spaces, image), or null
 *  when the chain has a call in it or is not rooted at a member. */
function chainPath(node: SyntaxNode, m: Members): string[] | null {
  const path: string[] = [];
  let n = strip(node);
  while (!m.isMember(n)) {
    if (n.type === 'attribute') {
      path.unshift(n.childForFieldName('attribute')?.text ?? '');
      n = n.childForFieldName('object')!;
    } else if (n.type === 'subscript') {
      n = n.childForFieldName('value')!;
    } else {
      return null;
    }
  }
  return path;
}

/**
 * Why skipping the statement when the member is None would change more than the interface (null when it
 * only redraws, relabels or sets the editor's own settings: `context.area.tag_redraw()`,
 * `context.space_data.show_gizmo = False`, `context.region_data.view_rotation = q`).
 */
function notUiOnly(statement: SyntaxNode, m: Members, place: Place): string | null {
  const what = `\`${firstLine(statement.text)}\``;
  const work = `${what} does more than change the editor (it reads or changes data through it), and skipping it would silently drop that work`;
  if (statement.type !== 'expression_statement' || statement.namedChildCount !== 1) return work;
  const e = statement.firstNamedChild!;
  if (e.type === 'call') {
    const callee = e.childForFieldName('function');
    if (callee?.type !== 'attribute') return work;
    const method = callee.childForFieldName('attribute')?.text ?? '';
    const object = callee.childForFieldName('object')!;
    const onMember = m.isMember(object);
    const path = chainPath(object, m);
    if ((UI_METHODS.has(method) && path && !path.some((a) => DATA_POINTERS.has(a))) || (onMember && method === 'update')) return null;
    return work;
  }
  if (e.type === 'assignment' || e.type === 'augmented_assignment') {
    // Targets: `a = b = value` gives several.
    const targets: SyntaxNode[] = [];
    let a: SyntaxNode = e;
    for (;;) {
      const left = a.childForFieldName('left');
      if (left) targets.push(left);
      const right = a.childForFieldName('right');
      if (right?.type === 'assignment') a = right;
      else break;
    }
    for (const t of targets) {
      if (t.type === 'identifier') {
        // A local set from the member and never read again: dead code, unless the value does work.
        const value = a.childForFieldName('right');
        if (value && value.descendantsOfType('call').length > 0) return work;
        if (usedAfter(t.text, statement, place.fn)) return work;
        continue;
      }
      const path = chainPath(t, m);
      if (!path || path.slice(0, -1).some((x) => DATA_POINTERS.has(x))) return work;
    }
    return null;
  }
  return work;
}

/** A statement around a use (not in a condition): wrapped in `if <member> is not None:` when that is safe. */
function statementPlan(deref: SyntaxNode, base: SyntaxNode, place: Place, m: Members): Plan {
  const statement = enclosingStatement(deref);
  const b = base.text;
  const manualWrap = `decide what ${place.where} should do without \`${b}\`: skip the code that needs it under \`if ${b} is not None:\`, or report an error and return \`{'CANCELLED'}\` when it is None`;
  if (!statement || !statement.parent || statement.parent.type !== 'block') {
    return { kind: 'manual', reason: 'the use is not in a statement of the function body', manual: manualWrap };
  }
  if (statement.type === 'return_statement') {
    return { kind: 'manual', reason: 'it is in a `return` statement, and skipping it would change what the function returns', manual: manualWrap };
  }
  const later = boundNames(statement).filter((name) => usedAfter(name, statement, place.fn));
  if (later.length > 0) {
    const list = later.map((n) => `\`${n}\``).join(', ');
    return {
      kind: 'manual',
      reason: `the statement sets ${list}, which the code after it uses`,
      manual: `decide what ${list} should be when \`${b}\` is None (a default, or return early with \`if ${b} is None: return …\`)`,
    };
  }
  const why = notUiOnly(statement, m, place);
  if (why) return { kind: 'manual', reason: why, manual: manualWrap };
  return { kind: 'statement', statement };
}

function usedAfter(name: string, statement: SyntaxNode, fn: SyntaxNode): boolean {
  const body = fn.childForFieldName('body');
  if (!body) return false;
  return body.descendantsOfType('identifier').some((id) => id.text === name && id.startIndex >= statement.endIndex) ||
    // A loop around the statement reads it again on the next round.
    (() => {
      for (let p = statement.parent; p && p.id !== fn.id; p = p.parent) {
        if (p.type === 'for_statement' || p.type === 'while_statement') {
          if (p.descendantsOfType('identifier').some((id) => id.text === name && id.startIndex < statement.startIndex)) return true;
        }
      }
      return false;
    })();
}

/** The next statement of the same block, skipping comments. */
function firstLine(text: string): string {
  const line = text.split('\n')[0].replace(/\r$/, '').trim();
  return line.length > 70 ? `${line.slice(0, 67)}...` : line;
}

const ERROR_EXAMPLE = "AttributeError: 'NoneType' object has no attribute 'type'";

export const contextAreaNone = defineRule({
  code: 'BGS004',
  slug: 'context-area-none',
  summary: '`context.area` / `.region` / `.space_data` / `.region_data` used without a None check in an operator\'s execute() or poll(), a handler or a timer',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'Attribute reads through `context.area`, `context.region`, `context.space_data` or `context.region_data` ' +
      '(the context parameter of the method, or `bpy.context`) in code that runs without a UI: an operator\'s ' +
      '`execute()` and `poll()` (a class deriving from `Operator`, named `*_OT_*`, or defining `execute`), functions ' +
      'appended to `bpy.app.handlers.*` or decorated with `@persistent`, and functions given to ' +
      '`bpy.app.timers.register` (also through `functools.partial`). Left alone: `draw`, `modal`, `invoke` and ' +
      '`poll()` of panels, menus and other UI classes (they only run with a UI), and code already behind a check: ' +
      '`if context.area:`, `if context.area is not None:`, `context.area and …`, `if not context.area: return`, ' +
      '`context.area.type == \'X\' and context.space_data…` (the first test already fails without an area), ' +
      '`isinstance(context.space_data, …)`, an `assert`, or a `try` whose `except` catches AttributeError. ' +
      'Module-level code and `register()` are left to BGS003: there `bpy.context` itself is restricted and has no ' +
      '`area` at all (`AttributeError: \'_RestrictContext\' object has no attribute \'area\'`, 3.4.1 and 4.3.2), so a ' +
      'None check would not help. Not found: a member bound to a name first (`area = context.area; area.type`) and ' +
      'helpers that an operator calls with its context.',
    whyItBreaks:
      'Without a window (`blender --background`, a `--python` script, an app handler) the context has a window and a ' +
      'screen but no area: `context.area`, `context.region`, `context.space_data` and `context.region_data` are None ' +
      `(measured in Blender 3.4.1 and 4.3.2, in a \`--python\` script and in \`depsgraph_update_post\`/\`frame_change_post\` handlers). ` +
      `\`context.area.type\` raises \`${ERROR_EXAMPLE}\`. From \`execute()\` the call \`bpy.ops.<op>()\` then raises ` +
      '`RuntimeError: Error: Python: Traceback (most recent call last): … AttributeError: \'NoneType\' object has no ' +
      'attribute \'type\'` in both versions. A `poll()` that raises behaves differently by version: Blender 4.3.2 prints ' +
      'the traceback and treats the poll as failed (`RuntimeError: Operator bpy.ops.<op>.poll() failed, context is ' +
      'incorrect`), while Blender 3.4.1 prints the traceback and runs the operator anyway. A `poll()` that returns ' +
      'None or False is treated as failed in both versions, without a traceback. Timers never fire in background ' +
      'mode (measured); they are included because a timer is not called from an area in the interface either ' +
      '(not measured here: there is no display).',
    example: {
      before: [
        'class VIEW3D_OT_reset_grid(bpy.types.Operator):',
        '    bl_idname = "view3d.reset_grid"',
        '    bl_label = "Reset Grid"',
        '',
        '    @classmethod',
        '    def poll(cls, context):',
        "        return context.area.type == 'VIEW_3D'",
        '',
        '    def execute(self, context):',
        '        context.scene.unit_settings.scale_length = 1.0',
        '        context.area.tag_redraw()',
        "        return {'FINISHED'}",
        '',
      ].join('\n'),
      after: [
        'class VIEW3D_OT_reset_grid(bpy.types.Operator):',
        '    bl_idname = "view3d.reset_grid"',
        '    bl_label = "Reset Grid"',
        '',
        '    @classmethod',
        '    def poll(cls, context):',
        "        return context.area is not None and context.area.type == 'VIEW_3D'",
        '',
        '    def execute(self, context):',
        '        context.scene.unit_settings.scale_length = 1.0',
        '        if context.area is not None:',
        '            context.area.tag_redraw()',
        "        return {'FINISHED'}",
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe: wherever the member exists (every operator run from the interface) the added check is true and the ' +
      'code runs as before; only where it is None, which used to raise, the code is skipped. In a condition the test ' +
      'that reads the member gets `context.area and …` in front (what `poll()` returns gets `context.area is not None ' +
      'and …`, so it stays a bool), which makes it false without an area; a negative test against fixed values ' +
      '(`context.area.type != \'VIEW_3D\'`) gets `context.area is None or …`, which makes it true. Statements that only ' +
      'redraw or relabel the editor or change its own settings (`context.area.tag_redraw()`, ' +
      '`context.space_data.show_gizmo = False`, `context.region_data.view_rotation = q`) go under ' +
      '`if context.area is not None:` (consecutive ones share one block; where a neighbour cannot be skipped, none ' +
      'is wrapped). Reported without a fix: a ' +
      'statement that sets names used later (`width = context.area.width`), a `return`, `with`, `assert` or other ' +
      'statement that cannot simply be skipped, a statement that does work through the editor (`context.space_data.' +
      'node_tree.nodes.clear()`, `image.save_render(...)`: skipping it would silently drop the work), a test under ' +
      '`not` or another comparison whose meaning without an area is unclear (`len(context.area.regions) == 0`), and ' +
      'statements sharing a line with other code. One headless difference: in Blender 3.4.1 a `poll()` that raised ' +
      'let the operator run anyway (after printing the traceback); once fixed, it fails the poll headless, as it ' +
      'already did in 4.3.2.',
  },
  messages: {
    conditionGuard:
      '`{use}` in {where} raises AttributeError when `{member}` is None, as it is in background mode, in scripts and in ' +
      'handlers (`{error}`); the test becomes `{check}`',
    statementGuard:
      '`{use}` in {where} raises AttributeError when `{member}` is None, as it is in background mode, in scripts and in ' +
      'handlers (`{error}`); the statement goes under `if {member} is not None:`',
    manual:
      '`{use}` in {where} raises AttributeError when `{member}` is None, as it is in background mode, in scripts and in ' +
      'handlers (`{error}`). Not fixed automatically because {reason}. By hand: {manual}',
  },
  prefilter: ['.area', '.region', '.space_data'],
  errorPatterns: [new RegExp(`AttributeError: 'NoneType' object has no attribute '${ATTRIBUTE_PATTERN}'`)],

  check(ctx) {
    const uses = ctx.matches(MEMBER_QUERY);
    if (uses.length === 0) return;
    const places = headlessPlaces(ctx);
    if (places.size === 0) return;

    interface Hit { deref: SyntaxNode; base: SyntaxNode; place: Place; plan: Plan; statement: SyntaxNode | null }
    const hits: Hit[] = [];
    const seen = new Set<number>();
    for (const { base, bpy, context, member } of uses) {
      if (!MEMBERS.has(member.text)) continue;
      const deref = base.parent;
      if (!deref || deref.type !== 'attribute' || !isField(deref, 'object', base)) continue;
      const fn = nearestFunction(base);
      const place = fn ? places.get(fn.id) : undefined;
      if (!place) continue;
      if (bpy ? bpy.text !== 'bpy' || context.text !== 'context' : context.text !== place.contextName) continue;
      const m = new Members(place.contextName);
      if (isGuarded(deref, place.fn, m)) continue;
      const condition = conditionPlan(deref, base, place, m);
      const plan = condition ?? statementPlan(deref, base, place, m);
      const statement = condition ? null : enclosingStatement(deref);
      // One finding per test and per statement.
      const key = plan.kind === 'condition' ? plan.key : statement?.id ?? deref.id;
      if (seen.has(key)) continue;
      seen.add(key);
      hits.push({ deref, base, place, plan, statement });
    }
    if (hits.length === 0) return;

    // Runs of consecutive statements that use the same member: they share one `if`, and where one of them
    // cannot be skipped safely, none is wrapped (a half-guarded run would still fail, and reads worse).
    const byStatement = new Map<number, Hit>();
    for (const h of hits) if (h.statement) byStatement.set(h.statement.id, h);
    const wraps = new Map<number, Edit[] | null>();
    const done = new Set<number>();
    for (const h of [...byStatement.values()].sort((a, b) => a.deref.startIndex - b.deref.startIndex)) {
      if (done.has(h.statement!.id)) continue;
      const member = h.base.text;
      const run = [h];
      for (let n = nextStatement(h.statement!); n && byStatement.get(n.id)?.base.text === member; n = nextStatement(n)) run.push(byStatement.get(n.id)!);
      for (const r of run) done.add(r.statement!.id);
      const blocker = run.find((r) => r.plan.kind === 'manual');
      if (blocker) {
        for (const r of run) {
          if (r.plan.kind !== 'statement') continue;
          const line = r.deref.startPosition.row < blocker.deref.startPosition.row ? 'after' : 'before';
          r.plan = {
            kind: 'manual',
            reason: `the statement ${line} it (\`${firstLine(blocker.statement!.text)}\`) needs \`${member}\` too and cannot be skipped safely, so they are best handled together`,
            manual: `put these statements under one \`if ${member} is not None:\` once the other one is settled`,
          };
        }
        continue;
      }
      const first = run[0].statement!;
      const last = run[run.length - 1].statement!;
      const edits = wrapStatements(ctx, first, last, `${member} is not None`);
      for (const r of run) wraps.set(r.statement!.id, edits ?? (run.length > 1 ? wrapStatements(ctx, r.statement!, r.statement!, `${member} is not None`) : null));
    }

    for (const h of hits) {
      // A test inside a statement that goes under `if <member> is not None:` is safe with it.
      if (h.plan.kind === 'condition' && wraps.get(enclosingStatement(h.deref)?.id ?? -1)) continue;
      const member = h.base.text;
      const attr = h.deref.childForFieldName('attribute')?.text ?? 'type';
      const data = {
        use: firstLine(chainTop(h.deref).text),
        where: h.place.where,
        member,
        error: `AttributeError: 'NoneType' object has no attribute '${attr}'`,
      };
      if (h.plan.kind === 'condition') {
        ctx.report({
          messageId: 'conditionGuard',
          node: h.deref,
          data: { ...data, check: h.plan.check },
          fix: { safety: 'safe', description: `check \`${member}\` first (\`${h.plan.check}\`)`, edits: h.plan.edits },
        });
        continue;
      }
      if (h.plan.kind === 'statement') {
        const edits = wraps.get(h.plan.statement.id);
        if (edits) {
          ctx.report({
            messageId: 'statementGuard',
            node: h.deref,
            data,
            fix: { safety: 'safe', description: `wrap in \`if ${member} is not None:\``, edits },
          });
          continue;
        }
        ctx.report({
          messageId: 'manual',
          node: h.deref,
          data: {
            ...data,
            reason: 'the statement shares its line with other code, so it cannot be wrapped in a block safely',
            manual: `put the statement on a line of its own under \`if ${member} is not None:\``,
          },
        });
        continue;
      }
      ctx.report({ messageId: 'manual', node: h.deref, data: { ...data, reason: h.plan.reason, manual: h.plan.manual } });
    }
  },
});
