// BGS009 helper: names looked up in a file through its text. A name occurs a few times in a file, so its
// occurrences are found in the text and only those are asked of the tree (`descendantForIndex`): far
// cheaper than marshalling every identifier of the file through the native binding.
import type { SyntaxNode, Tree } from '../../src/types.js';

const ASCII_WORD = /[A-Za-z0-9_]/;

/** The offsets of `word` in `text`, in order. */
export function occurrences(text: string, word: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) out.push(i);
  return out;
}

/** True when the text at `at` continues a name (an ASCII letter, digit or `_`): no identifier starts or
 *  ends there. Other characters are left to the tree to decide. */
function continuesName(text: string, at: number): boolean {
  return at >= 0 && at < text.length && ASCII_WORD.test(text[at]);
}

/**
 * Every identifier of `tree` whose text is `name`, in source order: the occurrences of `name` in `text`
 * (the tree's source) that the tree has as identifiers, not inside strings, comments or longer names. The
 * tree is asked for only when there is a candidate, so a file that merely mentions the name costs nothing.
 */
export function identifiersNamed(text: string, name: string, tree: () => Tree): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  let root: SyntaxNode | undefined;
  for (const i of occurrences(text, name)) {
    const end = i + name.length;
    if (continuesName(text, i - 1) || continuesName(text, end)) continue;
    root ??= tree().rootNode;
    const id = root.descendantForIndex(i, end);
    if (id.type === 'identifier' && id.startIndex === i && id.endIndex === end) out.push(id);
  }
  return out;
}

/** The texts of the identifiers of `tree` that start with `stem` (`ui_classes`, `ui_classes2` for
 *  `ui_classes`): the names a new name built from `stem` must avoid. */
export function identifiersStartingWith(text: string, stem: string, tree: Tree): Set<string> {
  const out = new Set<string>();
  const root = tree.rootNode;
  for (const i of occurrences(text, stem)) {
    if (continuesName(text, i - 1)) continue;
    const id = root.descendantForIndex(i, i + stem.length);
    if (id.type === 'identifier' && id.startIndex === i) out.add(id.text);
  }
  return out;
}

/** Per file: the identifiers by name, each name looked up once. */
export class FileNames {
  private readonly byName = new Map<string, SyntaxNode[]>();

  constructor(
    private readonly source: string,
    private readonly tree: Tree,
  ) {}

  /** Every identifier named `name`, in source order. */
  named(name: string): SyntaxNode[] {
    let list = this.byName.get(name);
    if (!list) this.byName.set(name, (list = identifiersNamed(this.source, name, () => this.tree)));
    return list;
  }

  /** The identifier texts that start with `stem`. */
  startingWith(stem: string): Set<string> {
    return identifiersStartingWith(this.source, stem, this.tree);
  }
}
