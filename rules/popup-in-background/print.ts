// BGS005 popup-in-background: the fix's `print(...)`: its arguments (the popup's title and message), the
// quote the file writes strings with, and the `if bpy.app.background: print(…) else: <the popup>` around
// the popup's statement.
import type { Edit, SyntaxNode, RuleContext } from '../../src/types.js';
import { wrapStatements } from '../../src/syntax/edits.js';
import { lineIndent } from '../../src/syntax/source.js';
import { EMPTY_STRING } from './message.js';

/** The quote the file's code uses most near `node`: the first string of the call, else the file's. */
export function quoteOf(ctx: RuleContext, call: SyntaxNode): string {
  const first = call.descendantsOfType('string_start')[0]?.text;
  if (first) return first.slice(-1) === "'" ? "'" : '"';
  const singles = (ctx.source.match(/(^|[=(,\s])'/g) ?? []).length;
  const doubles = (ctx.source.match(/(^|[=(,\s])"/g) ?? []).length;
  return singles > doubles ? "'" : '"';
}

/** The arguments of `print(...)`: the title and the message parts; null when there is nothing to print. */
export function printArguments(title: SyntaxNode | undefined, parts: string[], lines: boolean, quote: string): string[] | null {
  const args: string[] = [];
  if (title && !(title.type === 'string' && EMPTY_STRING.test(title.text))) {
    if (title.startPosition.row !== title.endPosition.row) return null;
    if (parts.length === 0) args.push(title.text);
    else if (title.type === 'string' && !/^[a-zA-Z]*[bB]/.test(title.text)) {
      // `"Error"` becomes `"Error:"`.
      const end = title.descendantsOfType('string_end')[0];
      const content = title.text.slice(0, end ? end.startIndex - title.startIndex : title.text.length);
      args.push(/:\s*$/.test(content) || !end ? title.text : `${content}:${end.text}`);
    } else if (/^[\w.]+$/.test(title.text)) args.push(`f${quote}{${title.text}}:${quote}`);
    else args.push(title.text);
  }
  args.push(...parts);
  if (args.length === 0) return null;
  // Several labels are several lines of the popup: one line each.
  if (args.length > 1 && (parts.length > 1 || lines)) args.push(`sep=${quote}\\n${quote}`);
  return args;
}

/** Wrap the statement: `if bpy.app.background:` print, `else:` the statement as it was. */
export function wrapWithPrint(ctx: RuleContext, statement: SyntaxNode, args: string[]): { edits: Edit[]; print: string } | null {
  const edits = wrapStatements(ctx, statement, statement, 'bpy.app.background');
  if (!edits) return null;
  const head = edits[0];
  const header = 'if bpy.app.background:';
  const at = head.text.indexOf(header);
  if (at < 0) return null;
  const after = head.text.slice(at + header.length); // newline + the body's indent
  const body = after.slice(ctx.newline.length);
  const lineOpen = head.text.lastIndexOf('\n', at);
  const ifIndent = lineOpen >= 0 ? head.text.slice(lineOpen + 1, at) : lineIndent(ctx.source, head.start);
  const print = printCall(args, body, body.slice(ifIndent.length) || ctx.indentUnit, ctx.newline);
  const text = `${head.text.slice(0, at)}${header}${ctx.newline}${body}${print}${ctx.newline}${ifIndent}else:${ctx.newline}${body}`;
  return { edits: [{ ...head, text }, ...edits.slice(1)], print };
}

/** `print(...)` on one line, or one argument a line where that line would be long. */
function printCall(args: string[], indent: string, unit: string, nl: string): string {
  const one = `print(${args.join(', ')})`;
  if (indent.replace(/\t/g, '    ').length + one.length <= 100 || args.length < 2) return one;
  return `print(${nl}${args.map((a) => `${indent}${unit}${a},${nl}`).join('')}${indent})`;
}
