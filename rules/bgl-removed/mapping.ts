// BGS015 bgl-removed: which bgl calls have a direct `gpu.state` equivalent (measured: every function named here
// exists in Blender 3.4.1, 4.3.2 and 5.2.2 and its docstring lists these values; 5.2.2 accepts each call after
// `gpu.init()`), and what to do by hand for the rest.
import type { SyntaxNode } from '../../src/types.js';
import { positionalArgs } from '../../src/syntax/call-arguments.js';
import type { BglItem } from './uses.js';

/** The gpu.state mode `glEnable(cap)` turns on, and the function that sets it. `glDisable(cap)` sets 'NONE'.
 *  The modes are Blender's own for its drawing (its GL backend: 'ALPHA' is GL_SRC_ALPHA,
 *  GL_ONE_MINUS_SRC_ALPHA), and `state` names the bgl calls that change what the switch means. */
const SWITCHES: Record<string, { fn: string; on: string; state: string[] }> = {
  GL_BLEND: { fn: 'blend_set', on: 'ALPHA', state: ['glBlendFunc', 'glBlendFuncSeparate', 'glBlendEquation', 'glBlendEquationSeparate', 'glBlendColor'] },
  GL_DEPTH_TEST: { fn: 'depth_test_set', on: 'LESS_EQUAL', state: ['glDepthFunc'] },
  GL_CULL_FACE: { fn: 'face_culling_set', on: 'BACK', state: ['glCullFace'] },
};

const SIZES: Record<string, string> = { glLineWidth: 'line_width_set', glPointSize: 'point_size_set' };

const BOOLEANS: Record<string, string> = { GL_TRUE: 'True', GL_FALSE: 'False', True: 'True', False: 'False' };

/** The gpu.state call that does what the bgl call `item` does, or null. `members` are the bgl members the
 *  file uses (an enable whose meaning another call of the file changes is not mapped); `q` the quote. */
export function gpuStateCall(item: BglItem, members: Set<string>, q: string): string | null {
  const { call, use } = item;
  const args = call?.childForFieldName('arguments');
  if (!call || !args || !use.member) return null;
  const positional = positionalArgs(args);
  if (positional.length !== 1 || args.namedChildren.filter((c) => c.type !== 'comment').length !== 1) return null;
  const arg = positional[0];
  const argMember = memberOf(item, arg);
  if (use.member === 'glEnable' || use.member === 'glDisable') {
    const sw = argMember ? SWITCHES[argMember] : undefined;
    if (!sw) return null;
    if (use.member === 'glEnable' && sw.state.some((m) => members.has(m))) return null;
    return `gpu.state.${sw.fn}(${q}${use.member === 'glEnable' ? sw.on : 'NONE'}${q})`;
  }
  if (use.member in SIZES) return item.argUses.length === 0 ? `gpu.state.${SIZES[use.member]}(${arg.text})` : null;
  if (use.member === 'glDepthMask') {
    const value = BOOLEANS[argMember ?? (item.argUses.length === 0 ? arg.text : '')];
    return value ? `gpu.state.depth_mask_set(${value})` : null;
  }
  return null;
}

/** The bgl member that is the whole of `arg` (`bgl.GL_BLEND`, `GL_BLEND` imported from bgl), or null. */
function memberOf(item: BglItem, arg: SyntaxNode): string | null {
  return item.argUses.find((u) => u.node.id === arg.id)?.member ?? null;
}

const BLEND_BY_HAND =
  'set the blend mode with `gpu.state.blend_set(mode)`: factors (GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA) are ' +
  "'ALPHA', (GL_ONE, GL_ONE_MINUS_SRC_ALPHA) 'ALPHA_PREMULT', (GL_SRC_ALPHA, GL_ONE) 'ADDITIVE', (GL_ONE, GL_ONE) " +
  "'ADDITIVE_PREMULT', (GL_DST_COLOR, GL_ZERO) 'MULTIPLY', (GL_ONE_MINUS_DST_COLOR, GL_ZERO) 'INVERT'; other " +
  'factors have no equivalent';

const TEXTURES =
  'bind textures through the shader instead: `shader.uniform_sampler(name, texture)` with a `gpu.types.GPUTexture` ' +
  '(`gpu.texture.from_image(image)`)';

/** What to do by hand for a bgl member (a function called, or a constant). */
const BY_HAND: Record<string, string> = {
  glBlendFunc: BLEND_BY_HAND,
  glBlendFuncSeparate: BLEND_BY_HAND,
  glBlendEquation: BLEND_BY_HAND,
  glBlendEquationSeparate: BLEND_BY_HAND,
  glDepthFunc:
    "set the test with `gpu.state.depth_test_set(mode)`: GL_LESS is 'LESS', GL_LEQUAL 'LESS_EQUAL', GL_EQUAL " +
    "'EQUAL', GL_GREATER 'GREATER', GL_GEQUAL 'GREATER_EQUAL', GL_ALWAYS 'ALWAYS'",
  glCullFace: "cull with `gpu.state.face_culling_set('FRONT')` or `('BACK')`",
  glFrontFace: 'set the winding with `gpu.state.front_facing_set(invert)` (True for clockwise, GL_CW)',
  glColorMask: 'use `gpu.state.color_mask_set(r, g, b, a)` with Python booleans',
  glViewport: 'use `gpu.state.viewport_set(x, y, width, height)`',
  glScissor: 'use `gpu.state.scissor_set(x, y, width, height)` (measured: present in Blender 4.3.2 and 5.2.2, absent in 3.4.1)',
  glReadPixels:
    'read the pixels with `gpu.state.active_framebuffer_get().read_color(x, y, width, height, 4, 0, ' +
    "'FLOAT')` (it returns a `gpu.types.Buffer`)",
  Buffer: "use `gpu.types.Buffer(format, size)` (format 'FLOAT', 'INT', 'UINT', 'UBYTE'…; `.to_list()` reads it)",
  glGetIntegerv:
    'ask `gpu.state`: `viewport_get()` for GL_VIEWPORT, `blend_get()`, `depth_test_get()`, `depth_mask_get()`, ' +
    '`line_width_get()`; other values have no equivalent',
  glGetFloatv:
    'ask `gpu.state`: `viewport_get()` for GL_VIEWPORT, `line_width_get()` for GL_LINE_WIDTH; other values have ' +
    'no equivalent',
  glHint: 'smoothing hints have no gpu.state equivalent: drop the call (with the GL_*_SMOOTH switch it goes with)',
  glActiveTexture: TEXTURES,
  glBindTexture: TEXTURES,
  glTexParameteri: TEXTURES,
  glGenTextures: TEXTURES,
  glDeleteTextures: TEXTURES,
  glTexImage2D: TEXTURES,
};

/** Capabilities `glEnable`/`glDisable` switch that gpu.state has no switch for. */
const NO_SWITCH: Record<string, string> = {
  GL_LINE_SMOOTH:
    'line smoothing has no gpu.state switch: drop the call and draw smooth lines with a POLYLINE built-in shader ' +
    "(`gpu.shader.from_builtin('POLYLINE_UNIFORM_COLOR')`; before 4.0 `'3D_POLYLINE_UNIFORM_COLOR'`)",
  GL_POLYGON_SMOOTH: 'polygon smoothing has no gpu.state switch: drop the call',
  GL_MULTISAMPLE: 'multisampling has no gpu.state switch: drop the call',
  GL_PROGRAM_POINT_SIZE: 'use `gpu.state.program_point_size_set(True)` / `(False)`',
  GL_SCISSOR_TEST: 'use `gpu.state.scissor_test_set(True)` / `(False)` (measured: present in Blender 4.3.2 and 5.2.2, absent in 3.4.1)',
};

const GENERIC =
  'it has no gpu.state equivalent: port this drawing to the `gpu` module by hand (`gpu.shader.from_builtin`, ' +
  '`gpu_extras.batch.batch_for_shader`, `gpu.state`, `gpu.types.Buffer`)';

/** What to do by hand for an item with no mapping. */
export function byHand(item: BglItem, members: Set<string>): string {
  const m = item.use.member;
  if (!m) return 'the module itself is used here, so every bgl member it reaches must be ported to the `gpu` module by hand';
  if ((m === 'glEnable' || m === 'glDisable') && item.argUses.length > 0) {
    const cap = item.argUses[0].member ?? '';
    if (cap in NO_SWITCH) return NO_SWITCH[cap];
    const sw = SWITCHES[cap];
    if (sw && m === 'glEnable') {
      const changer = sw.state.find((s) => members.has(s)) ?? sw.state[0];
      return `this file also calls \`${changer}\`, so the mode \`gpu.state.${sw.fn}\` needs depends on it: pick it from that call (${(BY_HAND[changer] ?? BLEND_BY_HAND)})`;
    }
  }
  if (m in SIZES) return `use \`gpu.state.${SIZES[m]}(...)\` with a plain Python number`;
  if (m === 'glDepthMask') return 'use `gpu.state.depth_mask_set(True)` / `(False)`';
  return BY_HAND[m] ?? GENERIC;
}
