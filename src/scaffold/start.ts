// `--start "IDNAME key=value ..."` of `bgsafe scaffold service`: an operator that the service script calls
// with EXEC_DEFAULT after enabling the add-on, for services that only an operator starts.
import { ScaffoldUsageError } from './service.js';

export type StartValue = string | number | boolean;

export interface StartOperator {
  /** The operator's bl_idname, as `bpy.ops` spells it: `myaddon.start_server`. */
  idname: string;
  properties: Record<string, StartValue>;
}

/** An operator bl_idname as `bpy.ops.<category>.<name>` takes it (Blender lower-cases `MYADDON_OT_x`). */
const IDNAME = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A property value as typed on the command line: `true`/`false` (also `True`/`False`) a boolean, a decimal
 * number a number, a JSON string (`"9876"`, `'…'` is not JSON) a string, anything else the text itself.
 */
export function startValue(text: string): StartValue {
  if (/^(?:true|True)$/.test(text)) return true;
  if (/^(?:false|False)$/.test(text)) return false;
  if (/^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$/.test(text)) return Number(text);
  if (/^".*"$/s.test(text)) {
    try {
      return JSON.parse(text) as string;
    } catch {
      return text;
    }
  }
  return text;
}

/** One `--start` value: the idname, then `key=value` words. Throws ScaffoldUsageError saying what is wrong. */
export function parseStart(spec: string): StartOperator {
  // Words split at blanks; a double-quoted part (a JSON string) may hold blanks: host="render node 1".
  const words = spec.match(/(?:[^\s"]+|"(?:\\.|[^"\\])*")+/g) ?? ([] as string[]);
  const where = `--start ${JSON.stringify(spec)}`;
  if (words.length === 0) throw new ScaffoldUsageError(`${where}: empty; expected an operator's bl_idname, e.g. --start myaddon.start_server`);
  let idname: string = words[0]!;
  if (idname.startsWith('bpy.ops.')) idname = idname.slice('bpy.ops.'.length);
  const ot = /^([A-Za-z0-9_]+)_OT_([A-Za-z0-9_]+)$/.exec(idname);
  if (ot) idname = `${ot[1]!.toLowerCase()}.${ot[2]!.toLowerCase()}`;
  if (!IDNAME.test(idname)) {
    throw new ScaffoldUsageError(`${where}: "${words[0]}" is not an operator bl_idname; expected lower-case "category.name", e.g. myaddon.start_server`);
  }
  const properties: Record<string, StartValue> = {};
  for (const w of words.slice(1)) {
    const eq = w.indexOf('=');
    const key = eq > 0 ? w.slice(0, eq) : '';
    if (!KEY.test(key)) throw new ScaffoldUsageError(`${where}: "${w}" is not key=value (a property of the operator, e.g. port=9876)`);
    if (key in properties) throw new ScaffoldUsageError(`${where}: ${key} is given twice`);
    properties[key] = startValue(w.slice(eq + 1));
  }
  return { idname, properties };
}

/** The `--start` flag that starts `op`, for messages. */
export function startFlag(op: StartOperator): string {
  const props = Object.entries(op.properties).map(([k, v]) => `${k}=${typeof v === 'string' && /\s|^$/.test(v) ? JSON.stringify(v) : String(v)}`);
  const spec = [op.idname, ...props].join(' ');
  return props.length ? `--start "${spec.replace(/"/g, '\\"')}"` : `--start ${spec}`;
}
