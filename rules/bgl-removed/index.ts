// BGS015 bgl-removed: `import bgl` / `from bgl import …` and every use of bgl. Blender 5.0 removed the module:
// 5.2.2 raises `ModuleNotFoundError: No module named 'bgl'` at the import, so an add-on importing it at load
// fails to enable (headless and in the GUI). Calls with a direct gpu.state equivalent (blend, depth test,
// depth mask, face culling, line width, point size) are rewritten and the import goes, all in one fix per
// file; where the add-on supports Blender before 2.93 (no gpu.state) the old calls stay behind a
// `bpy.app.version` check. Any other use is reported with what to do by hand, and then the file is left as
// it is (nothing half done).
import type { Edit, Fix, RuleContext } from '../../src/types.js';
import { defineRule } from '../../src/rule.js';
import { importEdit } from '../../src/syntax/names.js';
import { isGuarded } from '../../src/syntax/scope.js';
import { includesBefore, includesFrom, type Version } from '../../src/versions.js';
import { quoteStyle } from '../../src/syntax/source.js';
import { branched, guardImports, inPlace, removeImports, type Mapped } from './fix.js';
import { byHand, gpuStateCall } from './mapping.js';
import { bglFacts, type BglFacts, type BglItem } from './uses.js';

/** The first Blender without bgl. */
const BGL_GONE: Version = [5, 0];
/** The first Blender with gpu.state (its API docs start at 2.93; measured in 3.4.1, 4.3.2 and 5.2.2). */
const GPU_STATE: Version = [2, 93];
const ERROR_TEXT = "ModuleNotFoundError: No module named 'bgl'";
const GONE = `bgl is gone in Blender 5.0 and later (5.2.2: \`${ERROR_TEXT}\`, and an add-on that imports it at load fails to enable)`;

type Ids = 'importRewritten' | 'importUnused' | 'importKept' | 'importStar' | 'callRewritten' | 'callWaits' | 'callManual' | 'useByHand';

export const bglRemoved = defineRule({
  code: 'BGS015',
  slug: 'bgl-removed',
  summary: "The `bgl` module is gone in Blender 5.0+: `import bgl` raises ModuleNotFoundError and the add-on fails to load",
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      '`import bgl`, `import bgl as gl`, `from bgl import …` and every use of what they bind, in add-ons whose ' +
      'supported range reaches Blender 5.0. Calls with a direct `gpu.state` equivalent are rewritten: ' +
      "`glEnable(GL_BLEND)` / `glDisable(GL_BLEND)` → `gpu.state.blend_set('ALPHA')` / `('NONE')`, " +
      "`GL_DEPTH_TEST` → `gpu.state.depth_test_set('LESS_EQUAL')` / `('NONE')`, `GL_CULL_FACE` → " +
      "`gpu.state.face_culling_set('BACK')` / `('NONE')`, `glDepthMask(GL_TRUE / GL_FALSE)` → " +
      '`gpu.state.depth_mask_set(True / False)`, `glLineWidth(w)` → `gpu.state.line_width_set(w)`, ' +
      '`glPointSize(s)` → `gpu.state.point_size_set(s)`; once nothing else uses bgl its imports go (an unused ' +
      'import simply goes). Every other use (`glBlendFunc`, `glDepthFunc`, `glReadPixels`, `bgl.Buffer`, ' +
      '`glGetIntegerv`, `GL_LINE_SMOOTH`, textures…) is reported with what to do by hand; a file with any such ' +
      'use is left as it is, its rewritable calls reported with their equivalent and the import kept, so nothing ' +
      'is left half done (bgl and gpu.state mixed on one GL state go wrong: Blender\'s state tracking misses what ' +
      'bgl changes). An enable whose meaning another call of the file changes ' +
      '(`glBlendFunc`, `glDepthFunc`, `glCullFace`) is reported, not rewritten. Left alone: files whose bgl ' +
      'import is already inside a `try` with an `except` or behind a check of `bpy.app.version`, uses behind ' +
      'a version check, and add-ons whose range ends before 5.0.',
    whyItBreaks:
      `Measured with \`blender -b --factory-startup\`: in Blender 5.2.2 \`import bgl\` raises \`${ERROR_TEXT}\`; ` +
      'an add-on that imports it at module level (or in a module its `__init__.py` imports) fails to enable, ' +
      'headless and in the GUI alike. Blender 3.4.1 imports it; 4.3.2 imports it with the warning ' +
      "`BPyInit_bgl: 'bgl' imported without an OpenGL backend. Please update your add-ons to use the 'gpu' module.`. " +
      '`gpu.state` has `blend_set`, `depth_test_set`, `depth_mask_set`, `face_culling_set`, `line_width_set` ' +
      "and `point_size_set` in 3.4.1, 4.3.2 and 5.2.2 (their docstrings list 'ALPHA', 'NONE', 'LESS_EQUAL', " +
      "'BACK'; 5.2.2 runs each call after `gpu.init()`; headless, 4.3.2 raises `SystemError: GPU functions for " +
      'drawing are not available in background mode` and 3.4.1 crashes, as for every gpu.state call, which is ' +
      'why draw code only runs in the GUI). The Blender API documents `gpu.state` from 2.93 on; for add-ons ' +
      'that support older versions the bgl calls stay behind `if bpy.app.version >= (2, 93, 0):`.',
    example: {
      before: [
        'import bpy',
        'import bgl',
        '',
        '',
        'def draw_overlay(shader, batch):',
        '    bgl.glEnable(bgl.GL_BLEND)',
        '    bgl.glLineWidth(2)',
        '    batch.draw(shader)',
        '    bgl.glDisable(bgl.GL_BLEND)',
        '',
      ].join('\n'),
      after: [
        'import bpy',
        'import gpu',
        '',
        '',
        'def draw_overlay(shader, batch):',
        "    gpu.state.blend_set('ALPHA')",
        '    gpu.state.line_width_set(2)',
        '    batch.draw(shader)',
        "    gpu.state.blend_set('NONE')",
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe: each gpu.state call sets the GPU state the bgl call set. Disabling, line width, point size and the ' +
      "depth mask are the same switch; the modes an enable picks are the ones Blender's own drawing uses with " +
      "them ('ALPHA' is the GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA blend of its GL backend, 'LESS_EQUAL' its depth " +
      "test, 'BACK' OpenGL's default culled face), and an enable is not rewritten where the file sets blend " +
      'factors, the depth function or the culled face itself. Calls, imports and comments keep their lines; ' +
      'with a range from before 2.93, Blender older than 2.93 runs the bgl lines as before. Everything else is ' +
      'report only: which gpu-module code replaces `glReadPixels`, a `bgl.Buffer` or texture calls is the ' +
      "author's to write.",
  },
  messages: {
    importRewritten: `\`{statement}\`: ${GONE}. Every bgl call of this file has a gpu.state equivalent: {fix}`,
    importUnused: `\`{statement}\`: ${GONE}. Nothing in this file uses it: the import goes`,
    importKept:
      `\`{statement}\`: ${GONE}. {count} use(s) of bgl in this file have no automatic rewrite (reported on their ` +
      'lines): port them, then remove the import, or keep it only for older Blender (`if bpy.app.version < ' +
      '(5, 0, 0): import bgl` with the bgl code behind the same check)',
    importStar:
      `\`{statement}\`: ${GONE}. With \`import *\` the names taken from bgl are unknown: import them by name ` +
      '(or `import bgl`) and run bgsafe again, or port the drawing to the `gpu` module by hand',
    callRewritten: '`{call}`: {gone}; rewritten to `{replacement}`',
    callWaits:
      '`{call}`: {gone}. Its direct equivalent is `{replacement}`, but other bgl uses of this file have no automatic ' +
      'rewrite, and bgl and gpu.state mixed on one GL state go wrong (Blender\'s state tracking misses what bgl ' +
      'changes), so the file is left as it is: port those uses, then run bgsafe again (or write `{replacement}` ' +
      'here by hand with the rest)',
    callManual:
      '`{call}`: {gone}. It has a direct equivalent, `{replacement}`, but shares its line or statement with other ' +
      'code, so it is not rewritten: by hand, write `if bpy.app.version >= (2, 93, 0): {replacement}` with the bgl ' +
      'call in `else:`',
    useByHand: '`{use}`: {gone}, and {hint}',
  },
  prefilter: ['bgl'],
  errorPatterns: [/ModuleNotFoundError: No module named 'bgl'/],

  check(ctx) {
    if (!includesFrom(ctx.target, BGL_GONE)) return;
    const facts = bglFacts(ctx);
    if (!facts || facts.imports.some((i) => isGuarded(i.statement, mentionsVersion))) return;
    const star = facts.imports.find((i) => i.star);
    if (star) {
      ctx.report({ messageId: 'importStar', node: star.statement, data: { statement: oneLine(star.statement.text) } });
      return;
    }
    reportFile(ctx, facts);
  },
});

/** Condition texts that check the Blender version: `bpy.app.version`, `app.version >= (…)`. */
function mentionsVersion(text: string): boolean {
  return /\bversion\b/.test(text);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** The findings of a file that imports bgl unguarded, and its one fix: all of the file's bgl code at once or
 *  nothing. A partial rewrite would mix bgl and gpu.state on one GL state, and Blender's state tracking
 *  misses what bgl changes (a `blend_set('NONE')` after `bgl.glEnable(GL_BLEND)` would leave blending on). */
function reportFile(ctx: RuleContext<Ids>, facts: BglFacts): void {
  const members = new Set(facts.items.flatMap((i) => [i.use.member, ...i.argUses.map((u) => u.member)]).filter((m): m is string => !!m));
  const open = facts.items.filter((i) => !isGuarded(i.use.node, mentionsVersion, { tryExcept: false }));
  const q = enumQuote(ctx);
  const mapped = new Map<BglItem, Mapped>();
  for (const item of open) {
    const text = gpuStateCall(item, members, q);
    if (text) mapped.set(item, { item, text });
  }
  const branch = includesBefore(ctx.target, GPU_STATE);
  const calls = branch ? branched(ctx, [...mapped.values()]) : { edits: inPlace([...mapped.values()]), placed: new Set(mapped.keys()) };
  const left = facts.items.filter((i) => !calls.placed.has(i)).length;
  const plan = importPlan(ctx, facts, left === 0, branch && calls.placed.size > 0);
  const fix = plan ? fileFix(ctx, [...calls.edits, ...plan.edits], calls.placed.size, plan.gpuPlaced, branch) : undefined;
  for (const imp of facts.imports) {
    const statement = oneLine(imp.statement.text);
    if (!fix) ctx.report({ messageId: 'importKept', node: imp.statement, data: { statement, count: String(left) } });
    else if (facts.items.length === 0) ctx.report({ messageId: 'importUnused', node: imp.statement, data: { statement }, fix });
    else ctx.report({ messageId: 'importRewritten', node: imp.statement, data: { statement, fix: fix.description }, fix });
  }
  const gone = 'bgl is gone in Blender 5.0 and later';
  for (const item of open) {
    const m = mapped.get(item);
    const node = item.call ?? item.use.node;
    const data = { call: oneLine(node.text), gone, replacement: m?.text ?? '' };
    if (!m) ctx.report({ messageId: 'useByHand', node, data: { use: data.call, gone, hint: byHand(item, members) } });
    else if (!calls.placed.has(item)) ctx.report({ messageId: 'callManual', node, data });
    else if (fix) ctx.report({ messageId: 'callRewritten', node, data, fix });
    else ctx.report({ messageId: 'callWaits', node, data });
  }
}

/** The one fix of the file: its edits, plus `import gpu` (and `import bpy` for a version branch). */
function fileFix(ctx: RuleContext, edits: Edit[], rewritten: number, gpuPlaced: boolean, branch: boolean): Fix | undefined {
  if (edits.length === 0) return undefined;
  if (rewritten > 0 && !gpuPlaced) pushImport(ctx, edits, 'gpu');
  if (branch && rewritten > 0) pushImport(ctx, edits, 'bpy');
  return { safety: 'safe', description: describe(rewritten, branch), edits };
}

/** The quote of the file's enum-like strings (`'MESH'`, `"WINDOW"`), else quoteStyle's. */
function enumQuote(ctx: RuleContext): string {
  const single = (ctx.source.match(/'[A-Z][A-Z0-9_]*'/g) ?? []).length;
  const double = (ctx.source.match(/"[A-Z][A-Z0-9_]*"/g) ?? []).length;
  return single === double ? quoteStyle(ctx) : single > double ? "'" : '"';
}

/** What happens to the imports: removed (no branch, or nothing to keep), put behind the version check
 *  (a branch keeps bgl for Blender before 2.93), or kept while uses are left. */
function importPlan(ctx: RuleContext, facts: BglFacts, nothingLeft: boolean, keepForOld: boolean): { edits: Edit[]; gpuPlaced: boolean } | null {
  if (!nothingLeft) return null;
  if (!keepForOld) return removeImports(ctx, facts.imports, facts.items.length > 0 && importEdit(ctx, 'gpu') !== null);
  const guards = guardImports(ctx, facts.imports, bpyImportAt(ctx));
  return guards ? { edits: guards, gpuPlaced: false } : null;
}

/** Where the module imports `bpy` (`import bpy` at top level), or null. */
function bpyImportAt(ctx: RuleContext): number | null {
  const s = ctx.tree.rootNode.namedChildren.find((n) => n.type === 'import_statement' && n.namedChildren.some((c) => c.text === 'bpy'));
  return s ? s.startIndex : null;
}

/** `import <name>` before the first edit, where the module lacks it. */
function pushImport(ctx: RuleContext, edits: Edit[], name: string): void {
  const imp = importEdit(ctx, name, Math.min(...edits.map((e) => e.start)));
  if (imp) edits.unshift(imp);
}

function describe(rewritten: number, branch: boolean): string {
  const calls = rewritten === 0 ? '' : branch
    ? `${rewritten} bgl call(s) get gpu.state under \`if bpy.app.version >= (2, 93, 0):\`, the bgl call in \`else:\``
    : `${rewritten} bgl call(s) become gpu.state calls`;
  const imports = branch && rewritten > 0 ? 'the bgl import goes under `if bpy.app.version < (2, 93, 0):`' : 'the bgl import goes';
  return [calls, imports].filter(Boolean).join('; ');
}

