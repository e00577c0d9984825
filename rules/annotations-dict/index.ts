// BGS019 annotations-dict: a class's own annotations read from its `__dict__`: `cls.__dict__['__annotations__']`,
// `cls.__dict__.get('__annotations__', {})`, `'__annotations__' in cls.__dict__` (and `vars(cls)`). Python 3.14
// evaluates class annotations lazily and keeps them out of `__dict__`: the subscript raises
// `KeyError: '__annotations__'` (measured in Debian's Blender 5.2.2, Python 3.14.10; an add-on that walks its
// property groups in register() fails to load), `.get` is silently empty and `in` always False. The fix reads
// `cls.__annotations__`: the class's own annotations, the same live dict, on Python 3.10 and later.
import type { Edit, RuleContext, SyntaxNode } from '../../src/types.js';
import { defineRule } from '../../src/rule.js';
import { importEdit } from '../../src/syntax/names.js';
import { isGuarded } from '../../src/syntax/scope.js';
import { includesBefore } from '../../src/versions.js';
import {
  annotationSites, annotationsOf, insideTry, isEmptyDict, isPlainReceiver, isWholeCondition, type Site,
} from './sites.js';

const KEY_ERROR = "KeyError: '__annotations__'";
/** The first Blender whose own builds ship Python 3.10 (3.0 ships 3.9), where `cls.__annotations__` is the
 *  class's own annotations; before it, a class without any gets its base class's. */
const FIRST_PY310_BLENDER = [3, 1] as const;
const PY310_CHECK = 'sys.version_info >= (3, 10)';
const MEASURED =
  'Python 3.14 (Debian\'s Blender 5.2.2, Python 3.14.10) keeps class annotations out of `__dict__` ' +
  '(Blender 3.4.1 with Python 3.11.2 and 4.3.2 with Python 3.13.5 have them there)';

export const annotationsDict = defineRule({
  code: 'BGS019',
  slug: 'annotations-dict',
  summary: "A class's annotations read from its `__dict__`: `KeyError: '__annotations__'` (or silently none) on Python 3.14",
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      "`X.__dict__['__annotations__']`, `X.__dict__.get('__annotations__', …)` and `'__annotations__' in X.__dict__` " +
      '(or `not in`), and the same with `vars(X)`, anywhere in the add-on: add-ons read their property groups\' ' +
      '`bpy.props` annotations this way to register properties dynamically, copy them or list them. Left alone: ' +
      "`X.__annotations__`, `getattr(X, '__annotations__', {})`, `inspect.get_annotations(X)`, `typing.get_type_hints`, " +
      "other keys of `__dict__`, `self.__dict__` (an instance's), `type.__dict__['__annotations__']` (the descriptor), " +
      'assignments to the key, and code behind a check of the Python version (`sys.version_info`, ' +
      '`hasattr(inspect, "get_annotations")`, `annotationlib`).',
    whyItBreaks:
      'Python 3.14 evaluates class annotations lazily (PEP 649/749): the class keeps an `__annotate_func__` and an ' +
      '`__annotations_cache__` in its `__dict__`, never `__annotations__`. Measured with `blender -b --factory-startup` ' +
      "on `bpy.types.PropertyGroup` classes with `bpy.props` annotations, registered or not: in Debian's Blender " +
      `5.2.2 (Python 3.14.10) \`cls.__dict__['__annotations__']\` raises \`${KEY_ERROR}\` (in register(): the add-on ` +
      "does not load), `cls.__dict__.get('__annotations__', {})` is `{}` (the properties are silently skipped) and " +
      "`'__annotations__' in cls.__dict__` is False (so `if '__annotations__' not in cls.__dict__: cls.__annotations__ = {}` " +
      'throws the declared properties away: they are not registered). In Blender 3.4.1 (Python 3.11.2) and 4.3.2 ' +
      '(Python 3.13.5) all three see the class\'s own annotations. `cls.__annotations__` gives the class\'s own ' +
      'annotations in all three (`{}` for a subclass declaring none, never its base\'s), is the same dict every time ' +
      '(changes to it are seen by `register_class`: measured), and works on 3.14. `inspect.get_annotations(cls)` ' +
      'also gives the own annotations, but as a copy: a property added to it is lost (measured), so it is not the fix. ' +
      'Blender\'s own builds ship Python 3.9 up to 3.0, 3.10 from 3.1, 3.11 in 4.1 to 5.0; which Python a Blender runs ' +
      'depends on the build (Debian\'s 4.3.2 runs 3.13), so a check of `bpy.app.version` does not count as safe. ' +
      'Before Python 3.10, `cls.__annotations__` on a class declaring none gives its base class\'s.',
    example: {
      before: [
        'def register_mirror_props(cls):',
        "    for name, prop in cls.__dict__['__annotations__'].items():",
        '        setattr(bpy.types.Object, f"mirror_{name}", prop)',
        '',
      ].join('\n'),
      after: [
        'def register_mirror_props(cls):',
        '    for name, prop in cls.__annotations__.items():',
        '        setattr(bpy.types.Object, f"mirror_{name}", prop)',
        '',
      ].join('\n'),
    },
    fixSafety:
      "Safe for the subscript and for `.get('__annotations__', {})` (or `dict()`): they become `X.__annotations__`, " +
      'the same dict wherever the class declares annotations; where it declares none, an empty dict instead of a ' +
      'KeyError. Unsafe inside a `try` with an `except` (the handler no longer runs for a class declaring nothing) ' +
      'and for `in` / `not in`, which become `bool(X.__annotations__)` / `not X.__annotations__`: they differ where a ' +
      'class holds an empty annotations dict of its own (Python 3.10–3.13 store one when `X.__annotations__` is read ' +
      'on a class declaring none). Where the add-on supports Blender before 3.1 (Python 3.9 and older; no ' +
      '`bl_info`, or `"blender": (2, 80, 0)`), the new code runs only on Python 3.10 and later and the old code is ' +
      `kept for older ones: \`(X.__annotations__ if ${PY310_CHECK} else X.__dict__['__annotations__'])\`, with ` +
      '`import sys`; where `X` is not a plain name this is reported only. `.get` with another default (e.g. None) ' +
      'is reported only: `X.__annotations__` is never None.',
  },
  messages: {
    subscript: `\`{expr}\` raises \`${KEY_ERROR}\` on Python 3.14: ${MEASURED}. Fix: \`{replacement}\``,
    getEmpty: `\`{expr}\` is always empty on Python 3.14: ${MEASURED}. Fix: \`{replacement}\``,
    contains: `\`{expr}\` is always {always} on Python 3.14: ${MEASURED}. Fix (unsafe: differs on Python 3.10–3.13 ` +
      'for a class holding an empty annotations dict of its own): `{replacement}`',
    getOtherDefault: `\`{expr}\` is always its default on Python 3.14: ${MEASURED}. By hand: read \`{own}\` ` +
      '(an empty dict, never None, for a class declaring none) and change the check of the default to a check for an empty dict',
    manual: `\`{expr}\` fails on Python 3.14 ({effect}): ${MEASURED}. Not fixed automatically: the add-on supports ` +
      `Blender before 3.1 (Python 3.9 and older, where \`{own}\` can be the base class's) and the class expression ` +
      `is not a plain name to repeat. By hand: read it once into a name, then \`(name.__annotations__ if ${PY310_CHECK} ` +
      "else name.__dict__.get('__annotations__', {}))\` with `import sys`",
  },
  prefilter: ['__annotations__'],
  errorPatterns: [/KeyError: '__annotations__'/],

  check(ctx) {
    const fallback = includesBefore(ctx.target, FIRST_PY310_BLENDER);
    for (const site of annotationSites(ctx)) {
      if (isGuarded(site.node, mentionsPythonVersion, { tryExcept: false })) continue;
      const expr = site.node.text.replace(/\s+/g, ' ');
      const own = annotationsOf(site.receiver);
      if (site.kind === 'get' && !isEmptyDict(site.defaultArg)) {
        ctx.report({ messageId: 'getOtherDefault', node: site.node, data: { expr, own } });
        continue;
      }
      if (fallback && !isPlainReceiver(site.receiver)) {
        ctx.report({ messageId: 'manual', node: site.node, data: { expr, own, effect: EFFECT[site.kind] } });
        continue;
      }
      reportFix(ctx, site, expr, fallback);
    }
  },
});

const EFFECT: Record<Site['kind'], string> = {
  subscript: KEY_ERROR,
  get: 'always empty',
  contains: 'always False',
  notContains: 'always True',
};

/** Conditions that test the Python version (or for the lazy annotations themselves): code behind one was
 *  written for this. */
function mentionsPythonVersion(text: string): boolean {
  return /\bversion_info\b|\bsys\.version\b|get_annotations|annotationlib|__annotate/.test(text);
}

/** The expression is the only argument of a call, already in parentheses, returned, or the value assigned: a
 *  conditional needs no parentheses of its own there. */
function standsAlone(node: SyntaxNode): boolean {
  const p = node.parent;
  if (!p) return false;
  if (p.type === 'argument_list') return p.namedChildCount === 1;
  if (p.type === 'assignment') return p.childForFieldName('right')?.id === node.id;
  return p.type === 'parenthesized_expression' || p.type === 'return_statement';
}

function reportFix(
  ctx: RuleContext<'subscript' | 'getEmpty' | 'contains'>,
  site: Site,
  expr: string,
  fallback: boolean,
): void {
  const own = annotationsOf(site.receiver);
  const test = site.kind === 'notContains' ? `not ${own}` : isWholeCondition(site.node) ? own : `bool(${own})`;
  const modern = site.kind === 'contains' || site.kind === 'notContains' ? test : own;
  const branch = `${modern} if ${PY310_CHECK} else ${site.node.text}`;
  const replacement = !fallback ? modern : standsAlone(site.node) ? branch : `(${branch})`;
  const edits: Edit[] = [{ start: site.node.startIndex, end: site.node.endIndex, text: replacement }];
  const imp = fallback ? importEdit(ctx, 'sys', site.node.startIndex) : null;
  if (imp) edits.unshift(imp);
  const unsafe = site.kind === 'contains' || site.kind === 'notContains' || (site.kind === 'subscript' && insideTry(site.node));
  const messageId = site.kind === 'subscript' ? 'subscript' : site.kind === 'get' ? 'getEmpty' : 'contains';
  ctx.report({
    messageId,
    node: site.node,
    data: { expr, replacement, always: site.kind === 'notContains' ? 'True' : 'False' },
    fix: {
      safety: unsafe ? 'unsafe' : 'safe',
      description: fallback ? `read \`${own}\` on Python 3.10 and later` : `read \`${own}\``,
      edits,
    },
  });
}
