// What starts a service: a socket that is bound or listens (`socket.create_server`, `HTTPServer(...)`), a
// thread that is started, a timer that is scheduled (`bpy.app.timers.register`, `bgsafe_runtime.schedule`),
// a server or event loop that is run (`serve_forever`, `run_forever`, `asyncio.run`), an asyncio server, a
// process of a server (`subprocess.Popen`). Used by BGS022 (a start that refuses background mode) and by
// `bgsafe scaffold service` (which operator or register() starts the add-on's service).
//
// Read from the syntax alone: a function's own body (not the functions and lambdas it defines), and one
// level of the functions it calls in the same file (`helper()`, `self.method()`, `Class.method()`);
// serviceStarters() also follows one level of calls into the add-on's other files (`from .server import
// start`, `from . import server` then `server.start()`).
import type { SyntaxNode } from '../types.js';
import { parsePython } from '../parse.js';
import { methodClass, methodsOf } from './functions.js';
import { positionalArgs } from './call-arguments.js';
import { stringValue } from './names.js';

export interface ServiceStart {
  /** Short words for a message: 'binds a socket', 'starts a thread', 'schedules a timer', 'runs a server loop'. */
  what: string;
  /** The call that starts it (inside a called function when `via` is set). */
  node: SyntaxNode;
  /** The call in the function asked about that leads to `node` (one level), when the start is not in its own body. */
  via?: SyntaxNode;
}

const SKIP = new Set(['function_definition', 'lambda', 'class_definition', 'decorated_definition']);

/** `threading.Thread`, `Thread`, `threading.Timer`, `multiprocessing.Process`: constructors whose `.start()` starts work. */
const STARTABLE = /^(?:threading\.)?(?:Thread|Timer)$|^(?:multiprocessing\.|mp\.)?Process$/;
/** Server classes that bind their socket when constructed. */
const SERVER_CLASS =
  /^(?:(?:http\.server|socketserver|xmlrpc\.server|wsgiref\.simple_server)\.)?(?:Threading|Forking)?(?:HTTP|TCP|UDP|UnixStream|UnixDatagram|SimpleXMLRPC|XMLRPC|WSGI)Server$/;
/** Words that make a subprocess a server (in its arguments or the name of the function that starts it). */
const SERVERISH = /serv|daemon|listen|--port|\bport\b|bridge|socket|rpc|websocket|uvicorn|flask/i;
/** A module that mentions sockets: there `.bind(addr)` and `.listen()` are socket calls. */
const SOCKETISH = /\b(?:socket|zmq|selectors)\b/;

interface FileFacts {
  /** Local names bound to `bpy.app.timers` (`from bpy.app import timers`). */
  timers: Set<string>;
  /** The module mentions sockets: `.bind(...)` / `.listen()` there are socket calls. */
  sockets: boolean;
  /** Module-level classes that subclass Thread / Process. */
  threadClasses: Set<string>;
  /** Module-level functions by name. */
  functions: Map<string, SyntaxNode>;
  /** Module-level classes by name. */
  classes: Map<string, SyntaxNode>;
}

const factsCache = new WeakMap<object, Map<number, FileFacts>>();

function fileFacts(module: SyntaxNode): FileFacts {
  let byRoot = factsCache.get(module.tree);
  if (!byRoot) factsCache.set(module.tree, (byRoot = new Map()));
  let facts = byRoot.get(module.id);
  if (facts) return facts;
  const timers = new Set<string>();
  for (const imp of module.descendantsOfType('import_from_statement')) {
    if (imp.childForFieldName('module_name')?.text !== 'bpy.app') continue;
    for (const n of imp.childrenForFieldName('name')) {
      if (n.type === 'dotted_name' && n.text === 'timers') timers.add('timers');
      if (n.type === 'aliased_import' && n.childForFieldName('name')?.text === 'timers') {
        const alias = n.childForFieldName('alias')?.text;
        if (alias) timers.add(alias);
      }
    }
  }
  const functions = new Map<string, SyntaxNode>();
  const classes = new Map<string, SyntaxNode>();
  const threadClasses = new Set<string>();
  for (const stmt of module.namedChildren) {
    const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    const name = def?.childForFieldName('name')?.text;
    if (!def || !name) continue;
    if (def.type === 'function_definition') functions.set(name, def);
    if (def.type === 'class_definition') {
      classes.set(name, def);
      const bases = def.childForFieldName('superclasses')?.namedChildren ?? [];
      if (bases.some((b) => STARTABLE.test(b.text.replace(/\s+/g, '')))) threadClasses.add(name);
    }
  }
  facts = { timers, sockets: SOCKETISH.test(module.text), threadClasses, functions, classes };
  byRoot.set(module.id, facts);
  return facts;
}

/** The calls a function's own body makes, in source order (not those of the functions, lambdas and classes it defines). */
function ownCalls(fn: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      if (SKIP.has(c.type)) continue;
      if (c.type === 'call') out.push(c);
      visit(c);
    }
  };
  const body = fn.childForFieldName('body');
  if (body) visit(body);
  return out;
}

function compact(node: SyntaxNode | null | undefined): string {
  return node ? node.text.replace(/\s+/g, '') : '';
}

/** What one call starts, or null. `started` holds the targets (`t`, `self._thread`) assigned a Thread in this body. */
function classify(call: SyntaxNode, facts: FileFacts, started: Set<string>, fnName: string): string | null {
  const callee = call.childForFieldName('function');
  const args = call.childForFieldName('arguments');
  if (!callee || !args || args.type !== 'argument_list') return null;
  const name = compact(callee);
  const last = callee.type === 'attribute' ? callee.childForFieldName('attribute')?.text ?? '' : name;
  const object = callee.type === 'attribute' ? callee.childForFieldName('object') : null;
  const objectText = compact(object);
  if (/^bpy\b/.test(objectText) && !/^bpy\.app\.timers$/.test(objectText)) return null;

  if (last === 'register' && (objectText === 'bpy.app.timers' || facts.timers.has(objectText))) return 'schedules a timer';
  if (objectText === 'bgsafe_runtime' && last === 'schedule') return 'schedules a timer';
  if (objectText === 'bgsafe_runtime' && last === 'run_coroutine') return 'starts asyncio work';
  if (last === 'create_server' && (objectText === 'socket' || object === null)) return 'binds a socket';
  if (last === 'create_server' || last === 'start_server' || last === 'start_unix_server' || last === 'create_unix_server') {
    return object ? 'starts an asyncio server' : null;
  }
  if (SERVER_CLASS.test(name) || /^(?:wsgiref\.simple_server\.)?make_server$/.test(name)) return 'binds a socket';
  if (/^websockets(?:\.server)?\.serve$/.test(name)) return 'starts a websocket server';
  if (last === 'serve_forever') return 'runs a server loop';
  if (last === 'run_forever' && object) return 'runs an event loop';
  if (name === 'asyncio.run') return 'runs asyncio';
  if (object && facts.sockets && positionalArgs(args).length === 1 && last === 'bind') return 'binds a socket';
  if (object && facts.sockets && positionalArgs(args).length <= 1 && last === 'listen') return 'listens on a socket';
  if (name === '_thread.start_new_thread' || name === 'start_new_thread') return 'starts a thread';
  if (name === 'subprocess.Popen' || name === 'Popen') {
    return SERVERISH.test(args.text) || SERVERISH.test(fnName) ? 'starts a server process' : null;
  }
  if (last === 'start' && object && positionalArgs(args).length === 0) {
    // `Thread(...).start()`, `ServerThread(...).start()`, or `t.start()` for a `t = Thread(...)` of this body.
    const ctor = object.type === 'call' ? compact(object.childForFieldName('function')) : null;
    if (ctor !== null) {
      if (STARTABLE.test(ctor)) return /Process$/.test(ctor) ? 'starts a process' : 'starts a thread';
      if (facts.threadClasses.has(ctor)) return 'starts a thread';
      return null;
    }
    if (started.has(objectText)) return 'starts a thread';
  }
  return null;
}

/** The targets of `x = Thread(...)` / `self.t = threading.Thread(...)` in the calls' statements. */
function threadTargets(calls: SyntaxNode[], facts: FileFacts): Set<string> {
  const out = new Set<string>();
  for (const call of calls) {
    const ctor = compact(call.childForFieldName('function'));
    if (!STARTABLE.test(ctor) && !facts.threadClasses.has(ctor)) continue;
    const assignment = call.parent;
    if (assignment?.type === 'assignment' && assignment.childForFieldName('right')?.id === call.id) {
      out.add(compact(assignment.childForFieldName('left')));
    }
  }
  return out;
}

/** The starts in `fn`'s own body. */
function directStarts(fn: SyntaxNode, module: SyntaxNode, fnName?: string): ServiceStart[] {
  const facts = fileFacts(module);
  const calls = ownCalls(fn);
  const started = threadTargets(calls, facts);
  const name = fnName ?? fn.childForFieldName('name')?.text ?? '';
  const out: ServiceStart[] = [];
  for (const call of calls) {
    const what = classify(call, facts, started, name);
    if (what) out.push({ what, node: call });
  }
  return out;
}

/** Targets assigned an instance of a module-level class (`server = Bridge()` at module level,
 *  `bpy.types.bridge_server = Bridge(port=p)` in `fn`), by their text, with the class. */
function instancesIn(fn: SyntaxNode, module: SyntaxNode, facts: FileFacts): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  const add = (assignment: SyntaxNode): void => {
    const right = assignment.childForFieldName('right');
    const cls = right?.type === 'call' ? facts.classes.get(compact(right.childForFieldName('function'))) : undefined;
    if (cls) out.set(compact(assignment.childForFieldName('left')), cls);
  };
  for (const stmt of module.namedChildren) {
    if (stmt.type === 'expression_statement' && stmt.firstNamedChild?.type === 'assignment') add(stmt.firstNamedChild);
  }
  for (const call of ownCalls(fn)) {
    if (call.parent?.type === 'assignment' && call.parent.childForFieldName('right')?.id === call.id) add(call.parent);
  }
  return out;
}

/** The same-file function a call in `fn` runs: a function defined in `fn`, a module-level one, a method of
 *  `fn`'s class through `self.` / `cls.`, `Class.method` of a module-level class, or a method of an instance
 *  of one (`Bridge(...).start()`, `server.start()` after `server = Bridge(...)` in `fn` or at module level). */
function sameFileCallee(call: SyntaxNode, fn: SyntaxNode, facts: FileFacts, instances: Map<string, SyntaxNode>): SyntaxNode | null {
  const callee = call.childForFieldName('function');
  if (!callee) return null;
  if (callee.type === 'identifier') {
    for (const stmt of fn.childForFieldName('body')?.namedChildren ?? []) {
      const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
      if (def?.type === 'function_definition' && def.childForFieldName('name')?.text === callee.text) return def;
    }
    return facts.functions.get(callee.text) ?? null;
  }
  if (callee.type !== 'attribute') return null;
  const object = callee.childForFieldName('object');
  const method = callee.childForFieldName('attribute')?.text;
  if (!object || !method) return null;
  let cls: SyntaxNode | null | undefined;
  if (object.type === 'identifier' && (object.text === 'self' || object.text === 'cls')) cls = methodClass(fn);
  else if (object.type === 'identifier' && facts.classes.has(object.text)) cls = facts.classes.get(object.text);
  else if (object.type === 'call') cls = facts.classes.get(compact(object.childForFieldName('function')));
  else cls = instances.get(compact(object));
  return cls ? methodsOf(cls.childForFieldName('body')).get(method) ?? null : null;
}

/**
 * What in this function (its body, and one level of same-file functions it calls, methods via self.x())
 * starts a service; [] if nothing. `what` is a short human text like 'binds a socket', 'starts a thread',
 * 'schedules a timer', 'runs a server loop'. Starts found in a called function carry `via`, the call in
 * `fn` that leads there. In source order of where they happen in `fn`.
 */
export function serviceStartsIn(fn: SyntaxNode, module: SyntaxNode): ServiceStart[] {
  const facts = fileFacts(module);
  const out = directStarts(fn, module);
  const seen = new Set<number>([fn.id]);
  const instances = instancesIn(fn, module, facts);
  for (const call of ownCalls(fn)) {
    const def = sameFileCallee(call, fn, facts, instances);
    if (!def || seen.has(def.id)) continue;
    seen.add(def.id);
    const outer = fn.childForFieldName('name')?.text ?? '';
    for (const s of directStarts(def, module, `${outer} ${def.childForFieldName('name')?.text ?? ''}`)) out.push({ ...s, via: call });
  }
  return out.sort((a, b) => (a.via ?? a.node).startIndex - (b.via ?? b.node).startIndex);
}

// --- across an add-on's files ------------------------------------------------------------------------

export interface ServiceOperator {
  idname: string;
  className: string;
  /** The file, as given. */
  file: string;
  /** 1-based line of the class statement. */
  line: number;
  /** What its execute() starts ('binds a socket', ...), each once, in order. */
  starts: string[];
}

interface ParsedFile {
  path: string;
  root: SyntaxNode;
  /** Dotted module name from the path (`my_addon.ops.server`). */
  module: string;
  isPackage: boolean;
  /** Local name → the module it names (name null) or a name imported from a module. */
  imports: Map<string, { module: string; name: string | null }>;
}

function moduleNameOf(file: string): { module: string; isPackage: boolean } {
  const parts = file.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\.py$/, '').split('/').filter((p) => p && p !== '.');
  const isPackage = parts[parts.length - 1] === '__init__';
  if (isPackage) parts.pop();
  return { module: parts.join('.'), isPackage };
}

/** `.x` / `..x` / `x` seen from `from`, as an absolute dotted name. */
function absolute(from: ParsedFile, spec: string): string {
  const dots = spec.length - spec.replace(/^\.+/, '').length;
  if (dots === 0) return spec;
  let base = from.isPackage ? from.module : from.module.split('.').slice(0, -1).join('.');
  for (let i = 1; i < dots; i++) base = base.split('.').slice(0, -1).join('.');
  const rest = spec.slice(dots);
  return rest ? (base ? `${base}.${rest}` : rest) : base;
}

function importsOf(root: SyntaxNode): Map<string, { module: string; name: string | null }> {
  const out = new Map<string, { module: string; name: string | null }>();
  for (const stmt of root.namedChildren) {
    if (stmt.type === 'import_statement') {
      for (const n of stmt.namedChildren) {
        if (n.type === 'dotted_name') out.set(n.text.split('.')[0], { module: n.text.split('.')[0], name: null });
        if (n.type === 'aliased_import') {
          const alias = n.childForFieldName('alias')?.text;
          const mod = n.childForFieldName('name')?.text;
          if (alias && mod) out.set(alias, { module: mod, name: null });
        }
      }
    } else if (stmt.type === 'import_from_statement') {
      const mod = stmt.childForFieldName('module_name')?.text.replace(/\s+/g, '');
      if (!mod) continue;
      for (const n of stmt.childrenForFieldName('name')) {
        if (n.type === 'dotted_name') out.set(n.text, { module: mod, name: n.text });
        if (n.type === 'aliased_import') {
          const alias = n.childForFieldName('alias')?.text;
          const name = n.childForFieldName('name')?.text;
          if (alias && name) out.set(alias, { module: mod, name });
        }
      }
    }
  }
  return out;
}

/** The function in another of `files` that a call in `from` runs: `f()` for `from .m import f`, `m.f()` for
 *  `from . import m` / `import pkg.m as m`, `m.Class.method()`. Null when it is not one of the files'. */
function crossFileCallee(call: SyntaxNode, from: ParsedFile, byModule: Map<string, ParsedFile>): { file: ParsedFile; def: SyntaxNode } | null {
  const parts: string[] = [];
  for (let n = call.childForFieldName('function'); n; ) {
    if (n.type === 'identifier') {
      parts.unshift(n.text);
      break;
    }
    if (n.type !== 'attribute') return null;
    parts.unshift(n.childForFieldName('attribute')?.text ?? '');
    n = n.childForFieldName('object');
  }
  const bound = from.imports.get(parts[0]);
  if (!bound) return null;
  const target = absolute(from, bound.module);
  let module: string;
  let rest: string[];
  if (bound.name === null) {
    module = target;
    rest = parts.slice(1);
  } else if (byModule.has(`${target}.${bound.name}`)) {
    module = `${target}.${bound.name}`;
    rest = parts.slice(1);
  } else {
    module = target;
    rest = [bound.name, ...parts.slice(1)];
  }
  while (rest.length > 1 && byModule.has(`${module}.${rest[0]}`)) {
    module = `${module}.${rest[0]}`;
    rest = rest.slice(1);
  }
  const file = byModule.get(module);
  if (!file || rest.length === 0 || rest.length > 2) return null;
  const facts = fileFacts(file.root);
  if (rest.length === 1) {
    const def = facts.functions.get(rest[0]);
    return def ? { file, def } : null;
  }
  const cls = facts.classes.get(rest[0]);
  const def = cls ? methodsOf(cls.childForFieldName('body')).get(rest[1]) : undefined;
  return def ? { file, def } : null;
}

/** Starts in `fn` (same file, one level) and in the functions of other files its own calls run (one level). */
function startsAcrossFiles(fn: SyntaxNode, file: ParsedFile, byModule: Map<string, ParsedFile>): Array<{ file: ParsedFile; start: ServiceStart }> {
  const out = serviceStartsIn(fn, file.root).map((start) => ({ file, start }));
  const seen = new Set<number>();
  for (const call of ownCalls(fn)) {
    const hit = crossFileCallee(call, file, byModule);
    if (!hit || seen.has(hit.def.id)) continue;
    seen.add(hit.def.id);
    for (const start of directStarts(hit.def, hit.file.root)) out.push({ file: hit.file, start: { ...start, via: call } });
  }
  return out.sort((a, b) => (a.start.via ?? a.start.node).startIndex - (b.start.via ?? b.start.node).startIndex);
}

const OPERATOR_BASE = /^(?:(?:bpy\.)?types\.)?Operator$/;

/**
 * Over an add-on's files (path + source text): operator classes (bpy.types.Operator subclasses with a
 * string bl_idname) whose execute() starts a service, and the places where register() (of __init__ or any
 * module, following calls one level) starts a service. Calls are followed one level within a file
 * (serviceStartsIn) and one level into the other files given (relative and absolute imports of them).
 * Files that do not parse cleanly are still read as far as tree-sitter gets.
 */
export function serviceStarters(files: Array<{ path: string; source: string }>): {
  operators: ServiceOperator[];
  registerStarts: Array<{ file: string; line: number; what: string }>;
} {
  const parsed: ParsedFile[] = files.map((f) => {
    const root = parsePython(f.source).rootNode;
    return { path: f.path, root, ...moduleNameOf(f.path), imports: importsOf(root) };
  });
  const byModule = new Map(parsed.map((p) => [p.module, p]));
  const operators: ServiceOperator[] = [];
  const registerStarts: Array<{ file: string; line: number; what: string }> = [];
  const seenRegister = new Set<string>();
  for (const file of parsed) {
    const facts = fileFacts(file.root);
    for (const cls of file.root.descendantsOfType('class_definition')) {
      const bases = cls.childForFieldName('superclasses')?.namedChildren ?? [];
      if (!bases.some((b) => OPERATOR_BASE.test(b.text.replace(/\s+/g, '')))) continue;
      const body = cls.childForFieldName('body');
      let idname: string | null = null;
      for (const stmt of body?.namedChildren ?? []) {
        const a = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
        if (a?.type === 'assignment' && a.childForFieldName('left')?.text === 'bl_idname') idname = stringValue(a.childForFieldName('right'));
      }
      const execute = methodsOf(body).get('execute');
      if (!idname || !execute) continue;
      const starts = [...new Set(startsAcrossFiles(execute, file, byModule).map((s) => s.start.what))];
      if (starts.length === 0) continue;
      operators.push({ idname, className: cls.childForFieldName('name')?.text ?? '?', file: file.path, line: cls.startPosition.row + 1, starts });
    }
    const register = facts.functions.get('register');
    if (!register) continue;
    for (const { file: where, start } of startsAcrossFiles(register, file, byModule)) {
      const line = start.node.startPosition.row + 1;
      const key = `${where.path}:${line}:${start.what}`;
      if (seenRegister.has(key)) continue;
      seenRegister.add(key);
      registerStarts.push({ file: where.path, line, what: start.what });
    }
  }
  return { operators, registerStarts };
}
