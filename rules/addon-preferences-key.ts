// BGS020 addon-preferences-key: `context.preferences.addons[__name__]` (and `.get(__name__)`) in a module
// below a package add-on's `__init__.py`. Blender keys `preferences.addons` by the add-on's top module, so
// there `__name__` (`pkg.ui.panel`) raises `KeyError: 'bpy_prop_collection[key]: key "pkg.ui.panel" not
// found'` (measured in 3.4.1, 4.3.2, 5.2.2), and so does `__package__` one package deeper. Keys that work as
// a legacy add-on but not as an extension (4.2+, where the module is `bl_ext.<repo>.pkg`):
// `__package__.split('.')[0]` (rewritten) and the add-on's name hard-coded (reported with what to write).
// The expression written names the top module in both installs: `__package__` directly in the package,
// `__package__.rpartition('.')[0]` one package deeper, `__package__.rsplit('.', n)[0]` further down.
import type { RuleContext, SyntaxNode } from '../src/types.js';
import { defineRule } from '../src/rule.js';
import { compactText, stringValue } from '../src/syntax/names.js';
import { isMainGuard } from '../src/syntax/scope.js';
import { includesFrom } from '../src/versions.js';

/** `<anything>.addons[key]`: `context.preferences.addons`, `bpy.context.preferences.addons`, `prefs.addons`. */
const SUBSCRIPT_QUERY = `(
  (subscript
    value: (attribute attribute: (identifier) @attr)
    subscript: (_) @key) @lookup
  (#eq? @attr "addons"))`;

/** `<anything>.addons.get(key, …)`. */
const GET_QUERY = `(
  (call
    function: (attribute
      object: (attribute attribute: (identifier) @attr)
      attribute: (identifier) @method)
    arguments: (argument_list . (_) @key)) @lookup
  (#eq? @attr "addons")
  (#eq? @method "get"))`;

/** Measured in 3.4.1, 4.3.2 and 5.2.2 (legacy add-on in scripts/addons, and as an extension). */
const KEY_ERROR = `KeyError: 'bpy_prop_collection[key]: key "{key}" not found'`;
/** `.get()` of a wrong key returns None; the `.preferences` after it then raises this. */
const GET_ERROR = "AttributeError: 'NoneType' object has no attribute 'preferences'";
const EXTENSIONS_FROM = [4, 2] as const;

export const addonPreferencesKey = defineRule({
  code: 'BGS020',
  slug: 'addon-preferences-key',
  summary: "`preferences.addons[__name__]` in a package add-on's submodule names the submodule, not the add-on (KeyError; also as an extension)",
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      '`<context>.preferences.addons[key]` and `.addons.get(key)` in the modules of a package add-on, where `key` ' +
      "is not the add-on's top module: `__name__` in any module but the top `__init__.py`; `__package__` in a module " +
      "one package or more below the top (`pkg/ui/panel.py`, `pkg/ui/__init__.py`); `__package__.split('.')[0]` " +
      "(or `__name__`, or `.partition('.')[0]`) and the add-on's own name as a string (`addons['pkg']`) when the " +
      'add-on supports Blender 4.2 or later. Left alone: the top `__init__.py` (where `__name__` is right), single-file ' +
      "add-ons, keys that are already right (`__package__` directly in the package, `__package__.rpartition('.')[0]` " +
      "one deeper, `os.path.splitext(__name__)[0]`), other add-ons' names (`addons.get('cycles')`) and any other key.",
    whyItBreaks:
      "Not a background-only failure: `preferences.addons` holds one entry per enabled add-on, keyed by the add-on's " +
      'top module. Measured with `blender -b --factory-startup` in Blender 3.4.1, 4.3.2 and 5.2.2, a package ' +
      '`pkgprefs` installed in `scripts/addons/`: in `pkgprefs/ui.py` `__name__` is `pkgprefs.ui`, and ' +
      "`addons[__name__]` raises `KeyError: 'bpy_prop_collection[key]: key \"pkgprefs.ui\" not found'`; in " +
      "`pkgprefs/sub/deep.py` `__package__` is `pkgprefs.sub` and `addons[__package__]` raises `KeyError: " +
      "'bpy_prop_collection[key]: key \"pkgprefs.sub\" not found'`; `addons.get(__name__)` returns None, so " +
      `\`.preferences\` after it raises \`${GET_ERROR}\`. Installed as an extension in 4.3.2 and 5.2.2 ` +
      "(`bpy.ops.extensions.package_install_files(repo='user_default', …)`), the top module is " +
      "`bl_ext.user_default.pkgprefs`: `addons[__package__.split('.')[0]]` raises `KeyError: " +
      "'bpy_prop_collection[key]: key \"bl_ext\" not found'` and `addons['pkgprefs']` `KeyError: " +
      "'bpy_prop_collection[key]: key \"pkgprefs\" not found'`, while `__package__` (directly in the package) " +
      "and `__package__.rpartition('.')[0]` (one deeper) name the add-on in both installs, in all three versions.",
    example: {
      before: [
        '# studio_prefs/operators.py',
        'def execute(self, context):',
        '    prefs = context.preferences.addons[__name__].preferences',
        '',
        '# studio_prefs/ui/panels/render.py',
        'def draw(self, context):',
        '    prefs = context.preferences.addons[__package__].preferences',
        '',
      ].join('\n'),
      after: [
        '# studio_prefs/operators.py',
        'def execute(self, context):',
        '    prefs = context.preferences.addons[__package__].preferences',
        '',
        '# studio_prefs/ui/panels/render.py',
        'def draw(self, context):',
        "    prefs = context.preferences.addons[__package__.rsplit('.', 2)[0]].preferences",
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe for `addons[...]`: the lookup raised KeyError in every install, and the new key names the add-on in ' +
      "both (legacy and extension); `split('.')[0]` gives the same name as before in a legacy install. Unsafe for " +
      "`addons.get(__name__)` and `.get(__package__)`: the old key found nothing, so code that fell back to defaults " +
      "now reads the user's preferences. Report only: the add-on's name hard-coded (write the expression the " +
      "message gives), and files that also run as a script (`if __name__ == \"__main__\":`, where `__package__` is " +
      'None: `addons[None]` raises `TypeError: bpy_prop_collection[key]: invalid key, must be a string or an int, ' +
      'not NoneType`) or rebind `__name__` / `__package__`.',
  },
  messages: {
    ownName:
      '`{code}` looks up this module (`{key}`), not the add-on: it {effect} (Blender 3.4.1, 4.3.2, 5.2.2). ' +
      "The add-on's key is its top module (`{root}`, as an extension `bl_ext.<repo>.{root}`): `{fix}` names it in both",
    deeperPackage:
      '`__package__` here is `{key}`, a package below the add-on: `{code}` {effect} (Blender 3.4.1, ' +
      "4.3.2, 5.2.2). `{fix}` names the add-on's top module (`{root}`, as an extension `bl_ext.<repo>.{root}`)",
    firstPart:
      "`{code}` names the add-on only as a legacy add-on: installed as an extension (Blender 4.2+) its module is " +
      '`bl_ext.<repo>.{root}` and this {effect} (4.3.2, 5.2.2). `{fix}` names it in both',
    hardCoded:
      "`{code}` hard-codes the add-on's name: installed as an extension (Blender 4.2+) its module is " +
      '`bl_ext.<repo>.{root}` and this {effect} (4.3.2, 5.2.2). By hand: write `{fix}` instead of `{literal}` ' +
      '(no automatic fix: a name written out may be meant literally)',
    manual:
      "`{code}` does not name the add-on (`{root}`) in this module. By hand: write `{fix}` as the key; no automatic " +
      'fix because {reason}',
  },
  prefilter: ['addons'],
  // Only `….addons[…]` and `….addons.get(…)` can match (SUBSCRIPT_QUERY, GET_QUERY).
  prefilterText: (text) => /\.\s*addons\s*(\[|\.\s*get\s*\()/.test(text),
  errorPatterns: [
    /KeyError: 'bpy_prop_collection\[key\]: key "(bl_ext|[A-Za-z_]\w*(\.[A-Za-z_]\w*)+)" not found'/,
    /AttributeError: 'NoneType' object has no attribute 'preferences'/,
  ],

  check(ctx) {
    const place = modulePlace(ctx);
    if (!place) return;
    const lookups = [
      ...ctx.matches(SUBSCRIPT_QUERY).map(({ lookup, key }) => ({ lookup, key, get: false })),
      ...ctx.matches(GET_QUERY).map(({ lookup, key }) => ({ lookup, key, get: true })),
    ];
    for (const { lookup, key, get } of lookups) {
      if (lookup.type === 'subscript' && lookup.namedChildren.length > 2) continue; // addons[a, b]
      checkKey(ctx, place, lookup, key, get);
    }
  },
});

type Messages = 'ownName' | 'deeperPackage' | 'firstPart' | 'hardCoded' | 'manual';

/** Where this file sits in its package add-on. */
interface Place {
  root: string;
  /** This module's dotted name as a legacy add-on (`studio_prefs.ops.render`). */
  module: string;
  /** What `__package__` is here as a legacy add-on. */
  pkg: string;
  /** The key that names the add-on from here, in both installs. */
  fix: string;
  /** Why no fix is certain in this file, or null. */
  manualReason: string | null;
}

/** Null for a file that is not in a package add-on. */
function modulePlace(ctx: RuleContext<Messages>): Place | null {
  const addon = ctx.model.addon;
  if (!addon.root) return null;
  const module = ctx.model.module;
  const parts = module.split('.');
  const pkgParts = addon.modules.get(module)?.isPackage ? parts : parts.slice(0, -1);
  const below = pkgParts.length - 1;
  const quote = quoteOf(ctx);
  const dot = `${quote}.${quote}`;
  const fix = below === 0 ? '__package__' : below === 1 ? `__package__.rpartition(${dot})[0]` : `__package__.rsplit(${dot}, ${below})[0]`;
  return { root: parts[0], module, pkg: pkgParts.join('.'), fix, manualReason: manualReason(ctx) };
}

function checkKey(ctx: RuleContext<Messages>, place: Place, lookup: SyntaxNode, key: SyntaxNode, get: boolean): void {
  const data = { code: compactText(lookup), root: place.root, fix: place.fix, key: '', literal: key.text, reason: '', effect: '' };
  const atTop = place.module === place.root;
  let messageId: Messages;
  let fix = place.fix;
  if (key.type === 'identifier' && key.text === '__name__') {
    if (atTop) return;
    messageId = 'ownName';
    data.key = place.module;
  } else if (key.type === 'identifier' && key.text === '__package__') {
    if (place.pkg === place.root) return;
    messageId = 'deeperPackage';
    data.key = place.pkg;
  } else if (firstPartOf(key)) {
    if (!includesFrom(ctx.target, EXTENSIONS_FROM)) return;
    messageId = 'firstPart';
    data.key = 'bl_ext';
    // In the top __init__.py the name split is already the add-on's module.
    if (atTop) fix = data.fix = firstPartOf(key)!;
  } else if (stringValue(key) === place.root) {
    if (!includesFrom(ctx.target, EXTENSIONS_FROM)) return;
    ctx.report({ messageId: 'hardCoded', node: key, data: { ...data, effect: effectOf(get, place.root) } });
    return;
  } else return;
  data.effect = effectOf(get, data.key);
  if (place.manualReason) {
    ctx.report({ messageId: 'manual', node: key, data: { ...data, reason: place.manualReason } });
    return;
  }
  // `.get()` of the old key found nothing: code that fell back to defaults now reads the preferences.
  const safety = get && messageId !== 'firstPart' ? 'unsafe' : 'safe';
  ctx.report({
    messageId,
    node: key,
    data,
    fix: { safety, description: `look the add-on up by \`${fix}\``, edits: [{ start: key.startIndex, end: key.endIndex, text: fix }] },
  });
}

/** `__package__.split('.')[0]`, `__name__.split(".", 1)[0]`, `__name__.partition('.')[0]`: the name split
 *  (`__name__` / `__package__`), or null. */
function firstPartOf(key: SyntaxNode): string | null {
  if (key.type !== 'subscript' || key.namedChildren.length !== 2 || key.namedChildren[1].text !== '0') return null;
  const call = key.childForFieldName('value');
  const fn = call?.type === 'call' ? call.childForFieldName('function') : null;
  if (fn?.type !== 'attribute') return null;
  const base = fn.childForFieldName('object');
  const method = fn.childForFieldName('attribute')?.text;
  if (base?.type !== 'identifier' || !['__name__', '__package__'].includes(base.text)) return null;
  const args = call!.childForFieldName('arguments')?.namedChildren ?? [];
  if (stringValue(args[0]) !== '.') return null;
  const ok = method === 'split' ? args.length === 1 || (args.length === 2 && args[1].type === 'integer') : method === 'partition' && args.length === 1;
  return ok ? base.text : null;
}

/** What the lookup of a key that is not there does, as measured. */
function effectOf(get: boolean, key: string): string {
  return get ? `returns None, and \`.preferences\` after it raises \`${GET_ERROR}\`` : `raises \`${KEY_ERROR.replace('{key}', key)}\``;
}

/** Why the names can't be trusted in this file: it runs as a script too, or rebinds them. */
function manualReason(ctx: RuleContext<Messages>): string | null {
  if (ctx.tree.rootNode.namedChildren.some(isMainGuard)) {
    return 'this file also runs as a script (`if __name__ == "__main__":`), where `__package__` is None';
  }
  if (/^[ \t]*(?:__name__|__package__)[ \t]*(?::[^=\n]*)?=(?!=)/m.test(ctx.source)) return 'this file assigns `__name__` or `__package__`';
  return null;
}

/** The file's usual string quote: the one most of its plain strings use (single when none). */
function quoteOf(ctx: RuleContext<Messages>): string {
  let single = 0;
  let double = 0;
  for (const { s } of ctx.matches('(string) @s')) {
    if (s.text.startsWith("'")) single++;
    else if (s.text.startsWith('"') && !s.text.startsWith('"""')) double++;
  }
  return double > single ? '"' : "'";
}
