// BGS022 helper: the shape of a refusal guard (`if bpy.app.background:` + messages + `return` as a
// function's own statement), which of its messages stay true once the runtime pumps, and the edit that
// removes it.
import type { Edit, SyntaxNode } from '../../src/types.js';
import { endsLine, lineEndOf, lineIndent, lineStartOf, startsLine } from '../../src/syntax/source.js';

/** A condition that is exactly the background flag: `bpy.app.background`, `(bpy.app.background)`,
 *  `app.background` (after `from bpy import app`). */
export function isBackgroundFlag(condition: SyntaxNode, appAliases: ReadonlySet<string>): boolean {
  const text = condition.text.replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
  if (text === 'bpy.app.background') return true;
  const m = /^(\w+)\.background$/.exec(text);
  return !!m && appAliases.has(m[1]);
}

/** Calls that only tell the user something: print, an operator's report, logging, warnings, writes to
 *  stdout/stderr. */
const MESSAGE_CALL =
  /^(?:print|self\.report|op\.report|operator\.report|warnings\.warn|sys\.(?:stderr|stdout)\.write|(?:logging|\w*log\w*|\w*LOG\w*)\.(?:debug|info|warning|warn|error|exception|critical|log))$/;

export interface GuardShape {
  /** The message statements (each an expression statement of a message call), in order. */
  messages: SyntaxNode[];
  /** Why the guard cannot be removed automatically (words for a message), or null. */
  manual: string | null;
}

/** The statement kinds of a guard body: messages, then a `return` whose value makes no call. */
export function guardShape(guard: SyntaxNode, source: string): GuardShape {
  const body = guard.childForFieldName('consequence');
  const statements = body?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
  const messages: SyntaxNode[] = [];
  let manual: string | null = null;
  for (const [i, s] of statements.entries()) {
    if (i === statements.length - 1) break; // the return (guardReturns checked it)
    if (s.type === 'pass_statement') continue;
    const call = s.type === 'expression_statement' ? s.firstNamedChild : null;
    if (call?.type === 'call' && MESSAGE_CALL.test((call.childForFieldName('function')?.text ?? '').replace(/\s+/g, ''))) messages.push(s);
    else manual ??= `the guard does more than print a message and return (\`${firstLine(s)}\`)`;
  }
  const ret = statements[statements.length - 1];
  if (ret && ret.descendantsOfType('call').length > 0) manual ??= `its \`${firstLine(ret)}\` calls code`;
  if (guard.childrenForFieldName('alternative').length > 0) {
    manual = 'the guard has an `else:` (or `elif`) branch: what runs headless there would change';
  }
  if (!startsLine(source, guard.startIndex) || !endsLine(source, guard.endIndex)) manual ??= 'the guard shares its line with other code';
  return { messages, manual };
}

/** The guard's body ends in `return` (with or without a value). */
export function guardReturns(guard: SyntaxNode): boolean {
  const body = guard.childForFieldName('consequence');
  const last = body?.namedChildren.filter((c) => c.type !== 'comment').pop();
  return last?.type === 'return_statement';
}

function firstLine(node: SyntaxNode): string {
  const line = node.text.split('\n')[0].trim();
  return line.length > 50 ? `${line.slice(0, 47)}...` : line;
}

/** The text a message statement says: its string arguments' contents (f-strings as written), joined; '' when
 *  it passes no string (a variable, a constant). */
export function messageText(statement: SyntaxNode): string {
  const call = statement.firstNamedChild;
  const args = call?.childForFieldName('arguments');
  const parts: string[] = [];
  for (const a of args?.namedChildren ?? []) {
    for (const s of a.type === 'string' ? [a] : a.type === 'concatenated_string' ? a.namedChildren : []) {
      parts.push(s.namedChildren.filter((c) => c.type === 'string_content' || c.type === 'interpolation').map((c) => c.text).join(''));
    }
  }
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

/** Words that make a message false once the runtime pumps the add-on's callbacks headless: it says the
 *  service cannot run, would never execute, is not supported, needs a UI / a display / xvfb, is skipped. */
const FALSE_ONCE_PUMPED =
  /\b(?:cannot|can ?not|can't|could not|couldn't|unable|never|not (?:be )?(?:supported|available|possible|work|run|start|execute)|unsupported|unavailable|won't|will not|would not|does ?n[o']t work|do ?n[o']t work|(?:needs?|requires?|requiring) (?:a |an |the )?(?:ui|gui|window|display|interface|xvfb|x11|screen)|xvfb|skip(?:s|ped|ping)?|disabled?|not starting|refus\w*|only (?:works? |runs? )?in (?:the )?(?:ui|gui)|no (?:ui|gui)|headless mode is)\b/i;

/** A message that stays true once the guard is gone: it says something the refusal does not decide. */
export function stillTrue(text: string): boolean {
  return text.length > 0 && !FALSE_ONCE_PUMPED.test(text);
}

/** The start of the comment lines right above the guard (no blank line between, each a line of its own)
 *  that talk about the refusal (background mode, headless, `-b`, timers): they go with it. Read from the
 *  lines, as tree-sitter puts a comment that opens a block outside it; each hit is checked to be a comment
 *  node (not a line of a string). */
function attachedCommentsStart(guard: SyntaxNode, source: string): number {
  let start = lineStartOf(source, guard.startIndex);
  const root = guard.tree.rootNode;
  while (start > 0) {
    const prevStart = lineStartOf(source, start - 1);
    const line = source.slice(prevStart, lineEndOf(source, prevStart));
    const m = /^([ \t]*)#/.exec(line);
    if (!m || !/background|headless|blender -b\b|(?:^|\s)-b\b|\btimers?\b/i.test(line)) break;
    const at = prevStart + m[1].length;
    if (root.descendantForIndex(at, at + 1)?.type !== 'comment') break;
    start = prevStart;
  }
  return start;
}

/** The offset after the line ending at `lineEnd` (past its newline). */
function nextLine(source: string, lineEnd: number): number {
  return source.startsWith('\r\n', lineEnd) ? lineEnd + 2 : source[lineEnd] === '\n' ? lineEnd + 1 : lineEnd;
}

/**
 * The edit that removes the guard: its lines (and the comment lines above it about the refusal), and the
 * blank lines after it where the line above is the function's header, a comment or blank (so that no blank
 * line opens the body, a comment stays on the code below it, and no two blank runs meet); kept messages
 * become `# <message>` comments at its indent.
 */
export function removeGuard(guard: SyntaxNode, source: string, newline: string, keep: string[]): Edit {
  const start = attachedCommentsStart(guard, source);
  let end = nextLine(source, lineEndOf(source, guard.endIndex));
  const above = start > 0 ? source.slice(lineStartOf(source, start - 1), lineEndOf(source, start - 1)) : '';
  if (/^[ \t]*(#.*)?$/.test(above) || /:[ \t]*(#.*)?$/.test(above)) {
    while (end < source.length && /^[ \t]*$/.test(source.slice(end, lineEndOf(source, end)))) {
      const next = nextLine(source, lineEndOf(source, end));
      if (next === end) break;
      end = next;
    }
  }
  const indent = lineIndent(source, guard.startIndex);
  return { start, end, text: keep.map((m) => `${indent}# ${m}${newline}`).join('') };
}
