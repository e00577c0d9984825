// The legacy Python OBJ/PLY/STL operators and their C++ replacements, with every keyword argument of the
// legacy operator (introspected in Blender 3.4.1 with io_scene_obj, io_mesh_ply and io_mesh_stl enabled)
// mapped to the replacement's (introspected in 4.3.2 and 5.2.2), or to what to do by hand where the new
// operator has no equivalent. Each mapping was checked by running both operators on the same scene and
// comparing the files written (or the objects imported).
import type { Version } from '../../src/versions.js';

/** How a value changes: `axis` ('-Z' → 'NEGATIVE_Z'), `colors` (True → 'SRGB', False → 'NONE'). */
export type ValueChange = 'axis' | 'colors';

/** A legacy keyword: renamed (maybe with its value changed), or without an equivalent (what to do by hand). */
export type Keyword = { to: string; values?: ValueChange } | { byHand: string };

export interface Replacement {
  /** `wm.obj_export` */
  op: string;
  /** The first version without the legacy operator: the new call from here on, the legacy one before it. */
  since: Version;
  keywords: Record<string, Keyword>;
  /** Arguments to add where the legacy call leaves the keyword out, because the defaults differ:
   *  legacy keyword → the new argument written out. */
  defaults?: Record<string, string>;
}

const same = (...names: string[]): Record<string, Keyword> => Object.fromEntries(names.map((n) => [n, { to: n }]));
const axes: Record<string, Keyword> = {
  axis_forward: { to: 'forward_axis', values: 'axis' },
  axis_up: { to: 'up_axis', values: 'axis' },
};

/** Legacy axis values → the new operators' enum items (measured: same coordinates written). */
export const AXIS_VALUES: Record<string, string> = {
  X: 'X', Y: 'Y', Z: 'Z', '-X': 'NEGATIVE_X', '-Y': 'NEGATIVE_Y', '-Z': 'NEGATIVE_Z',
};

/** `bpy.ops.<group>.<name>` → its replacement, keyed `group.name`. */
export const REPLACEMENTS: Record<string, Replacement> = {
  'export_scene.obj': {
    op: 'wm.obj_export',
    since: [4, 0],
    keywords: {
      ...same('filepath', 'check_existing', 'filter_glob', 'global_scale', 'path_mode'),
      ...axes,
      use_selection: { to: 'export_selected_objects' },
      use_animation: { to: 'export_animation' },
      use_mesh_modifiers: { to: 'apply_modifiers' },
      use_smooth_groups: { to: 'export_smooth_groups' },
      use_smooth_groups_bitflags: { to: 'smooth_group_bitflags' },
      use_normals: { to: 'export_normals' },
      use_uvs: { to: 'export_uv' },
      use_materials: { to: 'export_materials' },
      use_triangles: { to: 'export_triangulated_mesh' },
      use_nurbs: { to: 'export_curves_as_nurbs' },
      use_vertex_groups: { to: 'export_vertex_groups' },
      group_by_material: { to: 'export_material_groups' },
      use_edges: { byHand: 'drop it (`wm.obj_export` always writes loose edges)' },
      use_blen_objects: { byHand: 'drop it (`wm.obj_export` always writes `o` lines)' },
      group_by_object: { byHand: '`export_object_groups=True` writes `g` lines in place of `o` lines (not the same file); decide which you need' },
      keep_vertex_order: { byHand: 'drop it (`wm.obj_export` has no such option)' },
    },
  },
  'import_scene.obj': {
    op: 'wm.obj_import',
    since: [4, 0],
    keywords: {
      ...same('filepath', 'filter_glob', 'use_split_objects', 'use_split_groups'),
      ...axes,
      use_edges: { byHand: 'drop it (`wm.obj_import` always imports loose edges)' },
      use_smooth_groups: { byHand: 'drop it (`wm.obj_import` has no such option)' },
      use_image_search: { byHand: 'drop it (`wm.obj_import` has no such option)' },
      split_mode: { byHand: "use `use_split_objects=False, use_split_groups=False` for `split_mode='OFF'`" },
      use_groups_as_vgroups: { byHand: '`import_vertex_groups=True` is the closest option (it makes a vertex group per OBJ group, not the same groups)' },
      global_clamp_size: { byHand: '`clamp_size` has the same name in the UI but scales differently (measured): check the size you get' },
    },
  },
  'export_mesh.ply': {
    op: 'wm.ply_export',
    since: [4, 0],
    keywords: {
      ...same('filepath', 'check_existing', 'filter_glob', 'global_scale'),
      ...axes,
      use_ascii: { to: 'ascii_format' },
      use_selection: { to: 'export_selected_objects' },
      use_mesh_modifiers: { to: 'apply_modifiers' },
      use_normals: { to: 'export_normals' },
      use_uv_coords: { to: 'export_uv' },
      use_colors: { to: 'export_colors', values: 'colors' },
    },
    // The legacy exporter writes normals unless told not to; wm.ply_export only with export_normals=True.
    defaults: { use_normals: 'export_normals=True' },
  },
  'import_mesh.ply': {
    op: 'wm.ply_import',
    since: [4, 0],
    keywords: {
      ...same('filepath', 'files', 'directory', 'filter_glob'),
      hide_props_region: { byHand: 'drop it (`wm.ply_import` has no such option)' },
    },
  },
  'export_mesh.stl': {
    op: 'wm.stl_export',
    since: [4, 2],
    keywords: {
      ...same('filepath', 'check_existing', 'filter_glob', 'global_scale', 'use_scene_unit'),
      ...axes,
      use_selection: { to: 'export_selected_objects' },
      ascii: { to: 'ascii_format' },
      use_mesh_modifiers: { to: 'apply_modifiers' },
      batch_mode: { byHand: "use `use_batch=True` for `batch_mode='OBJECT'` (one file per object; check the file names)" },
      global_space: { byHand: 'transform the objects (or their export copy) yourself: `wm.stl_export` has no such option' },
    },
  },
  'import_mesh.stl': {
    op: 'wm.stl_import',
    since: [4, 2],
    keywords: {
      ...same('filepath', 'filter_glob', 'files', 'directory', 'global_scale', 'use_scene_unit', 'use_facet_normal'),
      ...axes,
    },
  },
};

/** The table in words, for the rule's docs: `export_scene.obj` → `wm.obj_export` (`use_selection` →
 *  `export_selected_objects`, ...; no equivalent: `use_edges`, ...). */
export function renamesInWords(): string {
  return Object.entries(REPLACEMENTS).map(([legacy, r]) => {
    const entries = Object.entries(r.keywords);
    const renamed = entries.flatMap(([k, v]) => ('to' in v && v.to !== k ? [`\`${k}\` → \`${v.to}\``] : []));
    const none = entries.flatMap(([k, v]) => ('byHand' in v ? [`\`${k}\``] : []));
    const parts = [renamed.length ? renamed.join(', ') : 'same keywords', ...(none.length ? [`no equivalent: ${none.join(', ')}`] : [])];
    return `\`${legacy}\` → \`${r.op}\` (${parts.join('; ')})`;
  }).join('; ');
}
