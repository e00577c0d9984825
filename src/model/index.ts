// The add-on model: what rules ask instead of walking trees on their own (definitions, imports, the call
// graph across the add-on's files, and when a piece of code runs). Built lazily, once per file and once per
// add-on package.
import type { Tree } from '../types.js';

export interface FileModel {
  readonly absPath: string;
}

export function fileModel(absPath: string, _source: string, _tree: Tree): FileModel {
  return { absPath };
}
