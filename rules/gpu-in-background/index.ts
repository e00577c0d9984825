// BGS001 gpu-in-background: GPU objects created while an add-on loads (module level, class bodies,
// register() and what it calls). `blender --background` has no GPU context, so the add-on fails to load.
// The fix is Blender's own idiom: the value becomes None in background mode, or the statement is skipped.
import type { SyntaxNode, RuleContext } from '../../src/types.js';
import { defineRule } from '../../src/rule.js';
import { compactText } from '../../src/syntax/names.js';
import { enclosingClass, enclosingStatement, isGuarded, mentionsBackground } from '../../src/syntax/scope.js';
import { gpuImports, needsGpu, qualify } from './gpu-names.js';
import { FIX_WRAP, MANUAL_WRAP, planFixes, type Hit } from './plan.js';

const ERROR_TEXT = 'SystemError: GPU functions for drawing are not available in background mode';

const CALL_QUERY = '(call function: [(identifier) (attribute)] @callee) @call';
const ASSIGNMENT_QUERY = '(assignment left: [(identifier) (attribute)] @target right: (_) @value)';

export const gpuInBackground = defineRule({
  code: 'BGS001',
  slug: 'gpu-in-background',
  summary: 'GPU shaders, batches and off-screen buffers created while the add-on loads fail in background mode',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'Calls that need a GPU context made while the add-on loads: at module level, in class bodies, in `register()` ' +
      'and in the functions it (or module-level code) calls by name. The calls are `gpu.shader.from_builtin`, ' +
      '`gpu.shader.create_from_info`, the constructors of `gpu.types` (`GPUShader`, `GPUOffScreen`, `GPUTexture`, ' +
      '`GPUFrameBuffer`, `GPUUniformBuf`, `GPUIndexBuf`, `GPUVertBuf`, `GPUVertFormat`, `GPUBatch`), ' +
      '`gpu.texture.from_image`, every function of `gpu.platform`, `gpu.state`, `gpu.matrix`, `gpu.capabilities` ' +
      'and `gpu_extras.presets`, and `gpu_extras.batch.batch_for_shader` — also through aliases and ' +
      '`from gpu.types import GPUShader`-style imports — plus method calls at load time on a name that such a ' +
      'call was assigned to (`shader.bind()`), which fail once the object is `None` headless. ' +
      'Code in draw callbacks, `modal`, `invoke`, `execute` and other functions that do not run while the add-on loads ' +
      'is left alone, and so is code already behind a check of `bpy.app.background` (`if not bpy.app.background:`, ' +
      'an earlier `if bpy.app.background: return`, `… if not bpy.app.background else None`, a call from `register()` ' +
      'made only when not in background mode) or inside a `try` with an `except`.',
    whyItBreaks:
      '`blender --background` has no GPU context (`import gpu` itself works). Measured with `blender -b`: in Blender ' +
      `4.3.2 every call above raises \`${ERROR_TEXT}\` (\`gpu.texture.from_image\` crashes Blender with a ` +
      'segmentation fault instead), so an add-on doing it at import or in `register()` fails to load. Blender 3.4.1 ' +
      'raises the same `SystemError` for `from_builtin`, `GPUShader`, `GPUOffScreen`, `GPUTexture`, `GPUFrameBuffer`, ' +
      '`GPUUniformBuf` and `GPUIndexBuf`; it crashes (segmentation fault, exit 139) for `create_from_info`, ' +
      '`GPUVertBuf`, `gpu.texture.from_image`, `gpu.state.*`, `gpu.matrix.*`, `gpu_extras.presets.*` and ' +
      '`gpu.platform.renderer_get/vendor_get/version_get`; `batch_for_shader` fails with ' +
      '`AttributeError: \'NoneType\' object has no attribute \'attrs_info_get\'` for the `None` shader it gets there. ' +
      '(In 3.4.1 `GPUVertFormat`, `gpu.capabilities.*` and `gpu.platform.backend_type_get/device_type_get` still work; ' +
      'they are reported because 4.3.2 refuses them.)',
    example: {
      before:
        'import bpy\nimport gpu\nfrom gpu_extras.batch import batch_for_shader\n\n' +
        "shader = gpu.shader.from_builtin('UNIFORM_COLOR')\n" +
        "batch = batch_for_shader(shader, 'LINES', {\"pos\": [(0, 0, 0), (1, 1, 1)]})\n\n\n" +
        'def register():\n    global offscreen\n    offscreen = gpu.types.GPUOffScreen(512, 512)\n',
      after:
        'import bpy\nimport gpu\nfrom gpu_extras.batch import batch_for_shader\n\n' +
        "shader = gpu.shader.from_builtin('UNIFORM_COLOR') if not bpy.app.background else None\n" +
        "batch = batch_for_shader(shader, 'LINES', {\"pos\": [(0, 0, 0), (1, 1, 1)]}) if not bpy.app.background else None\n\n\n" +
        'def register():\n    global offscreen\n    offscreen = gpu.types.GPUOffScreen(512, 512) if not bpy.app.background else None\n',
    },
    fixSafety:
      'Safe: with a GPU (the normal interface) `bpy.app.background` is False and the code runs exactly as before. ' +
      'In background mode an assigned or returned value becomes `None` (Blender\'s own idiom) and any other statement ' +
      'is skipped; consecutive statements share one `if not bpy.app.background:` block, and `import bpy` is added ' +
      'where the file lacks it. Code that uses the object outside draw code must cope with `None` headless; load-time ' +
      'method calls on it are reported and guarded too. A value unpacked into several names, a statement sharing ' +
      'its line with others (`;`) and a call inside a definition (decorator, default value) are reported without a fix.',
  },
  messages: {
    gpuCall:
      `\`{call}\` {where} needs a GPU context, which \`blender --background\` does not have: it raises \`${ERROR_TEXT}\` ` +
      'in Blender 4.3.2 (some of these crash Blender 3.4.1 outright), and the add-on fails to load. Fix: {fix}.',
    gpuObjectUse:
      '`{call}` {where} uses `{object}`, a GPU object created while the add-on loads; in background mode that object ' +
      'cannot be created (guarded, it is `None`), so this call fails and the add-on fails to load. Fix: {fix}.',
    gpuCallManual:
      `\`{call}\` {where} needs a GPU context, which \`blender --background\` does not have: it raises \`${ERROR_TEXT}\` ` +
      'in Blender 4.3.2 (some of these crash Blender 3.4.1 outright), and the add-on fails to load. Not fixed automatically because {reason}. By hand: {manual}.',
    gpuObjectUseManual:
      '`{call}` {where} uses `{object}`, a GPU object created while the add-on loads; in background mode that object ' +
      'cannot be created (guarded, it is `None`), so this call fails. Not fixed automatically because {reason}. By hand: {manual}.',
  },
  prefilter: ['gpu', 'GPU', 'batch_for_shader'],
  errorPatterns: [
    /SystemError: GPU functions for drawing are not available in background mode/,
    /SystemError: GPU functions for drawing requires the gpu module to be initialized/,
    /AttributeError: 'NoneType' object has no attribute 'attrs_info_get'/,
  ],
  check(ctx) {
    const hits = findHits(ctx);
    if (hits.length === 0) return;
    const { plans, fixes } = planFixes(ctx, hits);
    for (const h of hits) {
      const plan = plans.get(h.statement.id)!;
      const fix = fixes.get(h.statement.id);
      if (plan.kind === 'manual' || !fix) {
        const manual = plan.kind === 'manual' ? plan : { reason: 'no safe rewrite was found', manual: MANUAL_WRAP };
        ctx.report({
          messageId: h.kind === 'gpuCall' ? 'gpuCallManual' : 'gpuObjectUseManual',
          data: { ...h.data, reason: manual.reason, manual: manual.manual },
          node: h.call,
        });
        continue;
      }
      ctx.report({
        messageId: h.kind,
        data: { ...h.data, fix: plan.kind === 'value' ? plan.fix : FIX_WRAP },
        node: h.call,
        fix,
      });
    }
  },
});

/** The GPU calls made while the add-on loads, and load-time method calls on the objects they create. */
function findHits(ctx: RuleContext): Hit[] {
  const imports = gpuImports(ctx);
  const hits: Hit[] = [];
  const gpuCalls: SyntaxNode[] = [];
  for (const { call, callee } of ctx.matches(CALL_QUERY)) {
    const qualified = qualify(callee, imports);
    if (qualified && needsGpu(qualified)) gpuCalls.push(call);
  }
  const isGpuCall = new Set(gpuCalls.map((c) => c.id));

  for (const call of gpuCalls) {
    const where = loadTimeWhere(ctx, call);
    if (!where || isGuarded(call, mentionsBackground)) continue;
    const statement = enclosingStatement(call);
    if (!statement) continue;
    const callee = call.childForFieldName('function')!;
    hits.push({ call, statement, kind: 'gpuCall', data: { call: `${compactText(callee)}()`, where } });
  }

  // Names a GPU object is assigned to while the add-on loads: headless they stay unset or become None,
  // so load-time method calls on them fail too.
  const gpuNames = new Set<string>();
  for (const { target, value } of ctx.matches(ASSIGNMENT_QUERY)) {
    if (!gpuCalls.some((c) => c.startIndex >= value.startIndex && c.endIndex <= value.endIndex)) continue;
    if (loadTimeWhere(ctx, value)) gpuNames.add(compactText(target));
  }
  if (gpuNames.size > 0) {
    for (const { call, callee } of ctx.matches(CALL_QUERY)) {
      if (callee.type !== 'attribute' || isGpuCall.has(call.id)) continue;
      const object = callee.childForFieldName('object');
      if (!object || !gpuNames.has(compactText(object))) continue;
      const where = loadTimeWhere(ctx, call);
      if (!where) continue;
      const name = compactText(object);
      const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const mentions = (text: string): boolean => mentionsBackground(text) || new RegExp(`(^|[^\\w.])${escaped}\\b`).test(text);
      if (isGuarded(call, mentions)) continue;
      const statement = enclosingStatement(call);
      if (!statement) continue;
      hits.push({ call, statement, kind: 'gpuObjectUse', data: { call: `${compactText(callee)}()`, where, object: name } });
    }
  }
  return hits;
}

/** Where `node` runs while the add-on loads (headless: not behind a background check), in words; null
 *  where it does not run then. Across the add-on's files: a function another file calls from register(). */
function loadTimeWhere(ctx: RuleContext, node: SyntaxNode): string | null {
  const lt = ctx.model.loadTimes(node, { headless: true }).find((l) => l.kind !== 'unregister');
  if (!lt) return null;
  if (!lt.fn) {
    const cls = enclosingClass(node);
    const name = cls?.childForFieldName('name')?.text;
    return name ? `in the body of class \`${name}\`` : 'at module level';
  }
  return ctx.model.describe(lt);
}
