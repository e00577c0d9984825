// BGS001's names: the gpu calls that need a GPU context, and the local names a file's imports give them.
import type { RuleContext, SyntaxNode } from '../../src/types.js';

const IMPORT_QUERY = '[(import_statement) (import_from_statement)] @import';

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

export function needsGpu(qualified: string): boolean {
  if (GPU_CALLS.has(qualified)) return true;
  return GPU_MODULES.some((m) => qualified.startsWith(`${m}.`) && !qualified.slice(m.length + 1).includes('.'));
}

/** Local names bound by imports of gpu modules, to the dotted names they stand for (whole file). */
export function gpuImports(ctx: RuleContext): Map<string, string> {
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
export function qualify(node: SyntaxNode, imports: Map<string, string>): string | null {
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

