// BGS004 context-area-none: the context members that are None headless (`context.area`, `.region`,
// `.space_data`, `.region_data`), the attributes read through them, and which tests of them say that they
// are there (`context.area`, `context.area is not None`) or that they are missing (`not context.area`).
import type { SyntaxNode } from '../../src/types.js';

export const MEMBERS = new Set(['area', 'region', 'space_data', 'region_data']);

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
export const ATTRIBUTE_PATTERN = `(?:${MEMBER_ATTRIBUTES.join('|')}|(?:show|use|lock|cache|render_border|stereo_3d)_\\w+)`;

/** Comparison operators that hold when their operands differ. */
export const NEGATIVE_OPS = new Set(['!=', 'not in', 'is not']);

/** How a test reads when the members are there (`present`: true ⇒ they are not None) or missing
 *  (`absent`: None ⇒ true). */
type Sense = 'present' | 'absent';

/** Reads the place's context members: `context.area` (its own context name) or `bpy.context.area`. */
export class Members {
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
    return this.holds(node, 'present');
  }

  /** None ⇒ true: `not context.area`, `context.area is None`, `context.area.type != 'X'` (raises or is fixed
   *  to `context.area is None or …`). */
  noneTrue(node: SyntaxNode): boolean {
    return this.holds(node, 'absent');
  }

  /** The test says the members are there (`present`) or missing (`absent`); `and`, `or` and `not` combine. */
  private holds(node: SyntaxNode, sense: Sense): boolean {
    const n = strip(node);
    switch (n.type) {
      case 'boolean_operator': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (!l || !r) return false;
        // `a and b` is true when either says they are there; `a or b` is true without them when either is.
        const either = n.childForFieldName('operator')?.text === (sense === 'present' ? 'and' : 'or');
        return either ? this.holds(l, sense) || this.holds(r, sense) : this.holds(l, sense) && this.holds(r, sense);
      }
      case 'not_operator': {
        const arg = n.childForFieldName('argument');
        return !!arg && this.holds(arg, sense === 'present' ? 'absent' : 'present');
      }
      case 'comparison_operator':
        return this.comparisonHolds(n, sense);
      case 'call': {
        if (sense === 'absent') return false;
        const f = n.childForFieldName('function')?.text;
        const first = n.childForFieldName('arguments')?.firstNamedChild;
        if ((f === 'isinstance' || f === 'hasattr') && first && this.isMember(first)) return true;
        return this.isChain(n);
      }
      default:
        return sense === 'present' && (this.isMember(n) || this.isChain(n));
    }
  }

  /** `context.area is not None` says they are there, `context.area is None` that they are missing; a chain
   *  compared to None or to a value (`context.area.type == 'X'` there, `… != 'X'` missing) only where it is read. */
  private comparisonHolds(n: SyntaxNode, sense: Sense): boolean {
    const cmp = comparison(n);
    if (!cmp) return false;
    const [a, op, b] = cmp;
    const saysSo = sense === 'present' ? op === 'is not' || op === '!=' : op === 'is' || op === '==';
    const other = this.isMember(a) ? b : this.isMember(b) ? a : null;
    if (other && strip(other).type === 'none') return saysSo;
    // `context.area.spaces.active.clip is not None`: only true when the chain could be read.
    const read = (): boolean => (sense === 'present' ? this.mentions(n) : this.isChain(a) || this.isChain(b));
    if (strip(a).type === 'none' || strip(b).type === 'none') return saysSo && read();
    if (sense === 'absent') return NEGATIVE_OPS.has(op) && read();
    return !NEGATIVE_OPS.has(op) && op !== 'is' && read();
  }
}

/** The expression inside any parentheses. */
export function strip(n: SyntaxNode): SyntaxNode {
  while (n.type === 'parenthesized_expression' && n.namedChildCount === 1) n = n.firstNamedChild!;
  return n;
}

/** A comparison of two operands: [left, operator, right]; null for chains (`a < b < c`). */
export function comparison(n: SyntaxNode): [SyntaxNode, string, SyntaxNode] | null {
  const operands = n.namedChildren.filter((c) => c.type !== 'comment');
  const ops = n.childrenForFieldName('operators');
  if (operands.length !== 2 || ops.length !== 1) return null;
  return [operands[0], ops[0].text.replace(/\s+/g, ' '), operands[1]];
}

/** The widest attribute/subscript/call chain that starts at `deref`: `context.area.spaces[0].image`. */
export function chainTop(deref: SyntaxNode): SyntaxNode {
  let x = deref;
  for (let p = x.parent; p; x = p, p = p.parent) {
    const inner = p.type === 'attribute' ? p.childForFieldName('object') : p.type === 'subscript' ? p.childForFieldName('value') : p.type === 'call' ? p.childForFieldName('function') : null;
    if (inner?.id !== x.id) break;
  }
  return x;
}

/** The attribute names after the member in a chain (`context.area.spaces[0].image` → spaces, image), or null
 *  when the chain has a call in it or is not rooted at a member. */
export function chainPath(node: SyntaxNode, m: Members): string[] | null {
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
