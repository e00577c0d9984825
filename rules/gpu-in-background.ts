// BGS001 gpu-in-background: GPU objects created while an add-on loads (module level, class bodies,
// register() and what it calls). `blender --background` has no GPU context, so the add-on fails to load.
// The fix is Blender's own idiom: the value becomes None in background mode, or the statement is skipped.
import type { Edit, Fix, SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';
import { guardValue, withImport, wrapRuns } from '../src/syntax/edits.js';
import {
  enclosingClass,
  enclosingStatement,
  isGuarded,
  mentionsBackground,
} from '../src/syntax/scope.js';

const CONDITION = 'not bpy.app.background';
const ERROR_TEXT = 'SystemError: GPU functions for drawing are not available in background mode';

const IMPORT_QUERY = '[(import_statement) (import_from_statement)] @import';
const CALL_QUERY = '(call function: [(identifier) (attribute)] @callee) @call';
const ASSIGNMENT_QUERY = '(assignment left: [(identifier) (attribute)] @target right: (_) @value)';

/** Calls that need a GPU context (measured in Blender 3.4.1 and 4.3.2, `blender -b`). */
const GPU_CALLS = new Set([
  'gpu.shader.from_builtin',
  'gpu.shader.create_from_info',
  'gpu.texture.from_image',
  'gpu_extras.batch.batch_for_shader',
  ...['GPUShader', 'GPUOffScreen', 'GPUTexture', 'GPUFrameBuffer', 'GPUUniformBuf', 'GPUIndexBuf', 'GPUVertBuf', 'GPUVertFormat', 'GPUBatch']
    .map((n) => `gpu.types.${n}`),
]);
/** Modules all of whose functions need a GPU context. */
const GPU_MODULES = ['gpu.platform', 'gpu.state', 'gpu.matrix', 'gpu.capabilities', 'gpu_extras.presets'];
/** What `from <module> import *` binds, for the modules above. */
const STAR_NAMES: Record<string, string[]> = {
  gpu: ['shader', 'types', 'texture', 'platform', 'state', 'matrix', 'capabilities'],
  'gpu.types': ['GPUShader', 'GPUOffScreen', 'GPUTexture', 'GPUFrameBuffer', 'GPUUniformBuf', 'GPUIndexBuf', 'GPUVertBuf', 'GPUVertFormat', 'GPUBatch'],
  'gpu.shader': ['from_builtin', 'create_from_info'],
  'gpu_extras.batch': ['batch_for_shader'],
};

function needsGpu(qualified: string): boolean {
  if (GPU_CALLS.has(qualified)) return true;
  return GPU_MODULES.some((m) => qualified.startsWith(`${m}.`) && !qualified.slice(m.length + 1).includes('.'));
}

/** Local names bound by imports of gpu modules, to the dotted names they stand for (whole file). */
function gpuImports(ctx: RuleContext): Map<string, string> {
  const out = new Map<string, string>();
  const isGpu = (dotted: string): boolean => /^gpu(_extras)?(\.|$)/.test(dotted);
  for (const { import: stmt } of ctx.matches(IMPORT_QUERY)) {
    if (stmt.type === 'import_statement') {
      for (const n of stmt.childrenForFieldName('name')) {
        if (n.type === 'dotted_name' && isGpu(n.text)) {
          const top = n.text.split('.')[0];
          out.set(top, top);
        } else if (n.type === 'aliased_import') {
          const name = n.childForFieldName('name')?.text ?? '';
          const alias = n.childForFieldName('alias')?.text;
          if (alias && isGpu(name)) out.set(alias, name);
        }
      }
      continue;
    }
    const module = stmt.childForFieldName('module_name');
    if (!module || module.type !== 'dotted_name' || !isGpu(module.text)) continue;
    const from = module.text.replace(/\s+/g, '');
    for (const n of stmt.childrenForFieldName('name')) {
      if (n.type === 'dotted_name') out.set(n.text, `${from}.${n.text}`);
      else if (n.type === 'aliased_import') {
        const name = n.childForFieldName('name')?.text;
        const alias = n.childForFieldName('alias')?.text;
        if (name && alias) out.set(alias, `${from}.${name}`);
      }
    }
    if (stmt.namedChildren.some((c) => c.type === 'wildcard_import')) {
      for (const name of STAR_NAMES[from] ?? []) out.set(name, `${from}.${name}`);
    }
  }
  return out;
}

/** The dotted name a callee stands for, through the file's gpu imports; null when it is not a gpu name. */
function qualify(node: SyntaxNode, imports: Map<string, string>): string | null {
  if (node.type === 'identifier') {
    return imports.get(node.text) ?? (node.text === 'gpu' || node.text === 'gpu_extras' ? node.text : null);
  }
  if (node.type === 'attribute') {
    const object = node.childForFieldName('object');
    const attribute = node.childForFieldName('attribute');
    const base = object ? qualify(object, imports) : null;
    return base && attribute ? `${base}.${attribute.text}` : null;
  }
  return null;
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

function shortText(node: SyntaxNode): string {
  return node.text.replace(/\s+/g, '');
}

const PATTERN_TARGETS = new Set(['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list']);

interface Hit {
  call: SyntaxNode;
  statement: SyntaxNode;
  kind: 'gpuCall' | 'gpuObjectUse';
  data: Record<string, string>;
}

/** How one statement is made safe. */
type Plan =
  | { kind: 'value'; value: SyntaxNode; fix: string }
  | { kind: 'wrap' }
  | { kind: 'manual'; reason: string; manual: string };

const FIX_ASSIGN = 'the assigned value becomes `None` in background mode (`… if not bpy.app.background else None`), as Blender\'s own add-ons do';
const FIX_RETURN = 'the returned value becomes `None` in background mode (`return … if not bpy.app.background else None`)';
const FIX_WRAP = 'the statement is wrapped in `if not bpy.app.background:`';
const MANUAL_WRAP = 'put the statement on a line of its own and wrap it in `if not bpy.app.background:`, or create the object lazily in the draw callback that uses it';

function planFor(statement: SyntaxNode, call: SyntaxNode): Plan {
  const within = (outer: SyntaxNode): boolean => call.startIndex >= outer.startIndex && call.endIndex <= outer.endIndex;
  if (['function_definition', 'class_definition', 'decorated_definition'].includes(statement.type)) {
    return {
      kind: 'manual',
      reason: 'the call is part of a definition (a decorator, a default value or a base class), which cannot be skipped without losing the definition',
      manual: 'move the call out of the definition into code that runs only with a GPU (the draw callback), or create the value with `… if not bpy.app.background else None` in a statement of its own',
    };
  }
  if (statement.type === 'return_statement') {
    const value = statement.firstNamedChild;
    if (value && within(value)) return { kind: 'value', value, fix: FIX_RETURN };
    return { kind: 'wrap' };
  }
  if (statement.type === 'expression_statement' && statement.namedChildCount === 1 && statement.firstNamedChild!.type === 'assignment') {
    // `a = b = value` and `a: T = value`: every target must be able to take None.
    let assignment = statement.firstNamedChild!;
    const targets: SyntaxNode[] = [];
    for (;;) {
      const left = assignment.childForFieldName('left');
      if (left) targets.push(left);
      const right = assignment.childForFieldName('right');
      if (right?.type === 'assignment') assignment = right;
      else break;
    }
    const value = assignment.childForFieldName('right');
    if (!value || !within(value)) return { kind: 'wrap' };
    if (targets.some((t) => PATTERN_TARGETS.has(t.type))) {
      return {
        kind: 'manual',
        reason: 'the value is unpacked into several names, so it cannot simply become `None`',
        manual: 'wrap the statement in `if not bpy.app.background:` and bind each name to `None` in an `else:` branch, or create the objects lazily in the draw callback that uses them',
      };
    }
    if (value.type === 'yield' || value.type === 'expression_list') return { kind: 'wrap' };
    return { kind: 'value', value, fix: FIX_ASSIGN };
  }
  return { kind: 'wrap' };
}

/** The next statement of the same block, skipping comments. */
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
      hits.push({ call, statement, kind: 'gpuCall', data: { call: `${shortText(callee)}()`, where } });
    }

    // Names a GPU object is assigned to while the add-on loads: headless they stay unset or become None,
    // so load-time method calls on them fail too.
    const gpuNames = new Set<string>();
    for (const { target, value } of ctx.matches(ASSIGNMENT_QUERY)) {
      if (!gpuCalls.some((c) => c.startIndex >= value.startIndex && c.endIndex <= value.endIndex)) continue;
      if (loadTimeWhere(ctx, value)) gpuNames.add(shortText(target));
    }
    if (gpuNames.size > 0) {
      for (const { call, callee } of ctx.matches(CALL_QUERY)) {
        if (callee.type !== 'attribute' || isGpuCall.has(call.id)) continue;
        const object = callee.childForFieldName('object');
        if (!object || !gpuNames.has(shortText(object))) continue;
        const where = loadTimeWhere(ctx, call);
        if (!where) continue;
        const name = shortText(object);
        const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        const mentions = (text: string): boolean => mentionsBackground(text) || new RegExp(`(^|[^\\w.])${escaped}\\b`).test(text);
        if (isGuarded(call, mentions)) continue;
        const statement = enclosingStatement(call);
        if (!statement) continue;
        hits.push({ call, statement, kind: 'gpuObjectUse', data: { call: `${shortText(callee)}()`, where, object: name } });
      }
    }
    if (hits.length === 0) return;

    // One plan per statement; consecutive statements to wrap share one `if`.
    const plans = new Map<number, Plan>();
    const statements = new Map<number, SyntaxNode>();
    for (const h of hits) {
      statements.set(h.statement.id, h.statement);
      const plan = planFor(h.statement, h.call);
      const prev = plans.get(h.statement.id);
      // Two calls in one statement: a value guard covers both only when both are in the value.
      if (!prev || (prev.kind === 'value' && plan.kind !== 'value') || plan.kind === 'manual') plans.set(h.statement.id, plan);
    }
    const fixes = new Map<number, Fix>();
    const makeFix = (edits: Edit[], description: string): Fix => ({ safety: 'safe', description, edits: withImport(ctx, 'bpy', edits) });
    const toWrap = [...statements.values()].filter((s) => plans.get(s.id)!.kind === 'wrap');
    const wrapFixes = new Map<Edit[], Fix>();
    for (const [id, edits] of wrapRuns(ctx, toWrap, CONDITION)) {
      if (edits) {
        let fix = wrapFixes.get(edits);
        if (!fix) wrapFixes.set(edits, (fix = makeFix(edits, 'wrap in `if not bpy.app.background:`')));
        fixes.set(id, fix);
      } else {
        plans.set(id, {
          kind: 'manual',
          reason: 'the statement shares its line with other code, so it cannot be wrapped in a block safely',
          manual: MANUAL_WRAP,
        });
      }
    }
    for (const s of statements.values()) {
      const plan = plans.get(s.id)!;
      if (plan.kind === 'value') fixes.set(s.id, makeFix(guardValue(plan.value, CONDITION), 'make the value `None` in background mode'));
    }

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
