// A small JSON Schema (draft-07) checker for what schema/report.schema.json uses, so that `bgsafe merge`
// checks its inputs against the published schema itself (ajv is only a devDependency) and can say where a
// report is wrong: `findings[3].range.start.line: must be an integer >= 1`.
// Supported: type, const, enum, required, properties, additionalProperties (false or a schema), items,
// minimum, pattern, oneOf, $ref to #/definitions/…; description and the like are ignored.

export interface Schema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minimum?: number;
  pattern?: string;
  oneOf?: Schema[];
  $ref?: string;
  definitions?: Record<string, Schema>;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const matchesType = (v: unknown, t: string): boolean => {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
};

const describe = (v: unknown): string => {
  const t = typeOf(v);
  return t === 'string' || t === 'integer' || t === 'number' || t === 'boolean' ? `${t} ${JSON.stringify(v)}` : t;
};

const join = (at: string, key: string | number): string => (typeof key === 'number' ? `${at}[${key}]` : at === '' ? key : `${at}.${key}`);

/** The first place where `value` breaks `schema`, as "where: what is wrong", or null when it conforms. */
export function checkSchema(value: unknown, schema: Schema, root: Schema = schema, at = ''): string | null {
  const where = at === '' ? 'the report' : at;
  if (schema.$ref !== undefined) {
    const m = /^#\/definitions\/(.+)$/.exec(schema.$ref);
    const target = m ? root.definitions?.[m[1]] : undefined;
    if (!target) throw new Error(`schema: unsupported $ref ${schema.$ref}`);
    return checkSchema(value, target, root, at);
  }
  if (schema.oneOf !== undefined) {
    const results = schema.oneOf.map((s) => checkSchema(value, s, root, at));
    const passed = results.filter((r) => r === null).length;
    if (passed === 1) return null;
    if (passed > 1) return `${where}: matches more than one of its allowed shapes`;
    // Say what is wrong with the shape whose type it has, else list the types allowed.
    const i = schema.oneOf.findIndex((s) => s.type !== undefined && [s.type].flat().some((t) => matchesType(value, t)));
    if (i >= 0) return results[i];
    const types = schema.oneOf.flatMap((s) => (s.type === undefined ? [] : [s.type].flat()));
    return `${where}: must be ${types.join(' or ')}, not ${describe(value)}`;
  }
  if (schema.type !== undefined) {
    const types = [schema.type].flat();
    if (!types.some((t) => matchesType(value, t))) return `${where}: must be ${types.map((t) => (t === 'integer' ? 'an integer' : t === 'object' || t === 'array' ? `an ${t}` : t === 'null' ? 'null' : `a ${t}`)).join(' or ')}, not ${describe(value)}`;
  }
  if ('const' in schema && value !== schema.const) return `${where}: must be ${JSON.stringify(schema.const)}, not ${describe(value)}`;
  if (schema.enum !== undefined && !schema.enum.includes(value)) return `${where}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, not ${describe(value)}`;
  if (schema.minimum !== undefined && typeof value === 'number' && value < schema.minimum) return `${where}: must be at least ${schema.minimum}, not ${value}`;
  if (schema.pattern !== undefined && typeof value === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return `${where}: ${JSON.stringify(value)} does not match ${schema.pattern}`;
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in obj)) return `${where}: "${k}" is missing`;
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      if (sub !== undefined) {
        const r = checkSchema(v, sub, root, join(at, k));
        if (r !== null) return r;
      } else if (schema.additionalProperties === false) {
        return `${where}: unexpected field "${k}"`;
      } else if (typeof schema.additionalProperties === 'object') {
        const r = checkSchema(v, schema.additionalProperties, root, join(at, k));
        if (r !== null) return r;
      }
    }
  }
  if (typeOf(value) === 'array' && schema.items !== undefined) {
    const arr = value as unknown[];
    for (let i = 0; i < arr.length; i++) {
      const r = checkSchema(arr[i], schema.items, root, join(at, i));
      if (r !== null) return r;
    }
  }
  return null;
}
