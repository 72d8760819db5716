/**
 * Request (and, for tests, response) validation against the NetBox 4.6 OpenAPI extract.
 *
 * OpenAPI 3.0 → JSON Schema for ajv: `nullable` becomes a null type / anyOf branch, boolean
 * `exclusiveMaximum`/`exclusiveMinimum` become numeric, `x-*` and annotations are ignored
 * (`strict:false`), OpenAPI-only formats (double, int64, binary) are accepted.
 * Errors are reported the way Django REST framework words them: `{field: ["message"]}`.
 */
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { featuresOf } from './flavours.ts';
import type { Flavour } from './types.ts';

export type SchemaNode = { [k: string]: unknown };

export interface PathOp {
  request?: string;
  response?: string;
  status: number;
}
export interface Extract {
  info: { title: string; version: string; openapi: string };
  paths: Record<string, Record<string, PathOp>>;
  components: { schemas: Record<string, SchemaNode> };
}

let extractCache: Extract | undefined;

/** The committed extract (never the full upstream schema). */
export function loadExtract(): Extract {
  extractCache ??= JSON.parse(readFileSync(join(import.meta.dir, 'schema', 'netbox-4.6.components.json'), 'utf8')) as Extract;
  return extractCache;
}

export function componentSchema(name: string): SchemaNode {
  const s = loadExtract().components.schemas[name];
  if (s === undefined) throw new Error(`unknown component schema ${name}`);
  return s;
}

function isObj(v: unknown): v is SchemaNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** A NetBox choice object in a response: {value:{enum}, label:{enum}}. */
function isChoiceObject(node: SchemaNode): boolean {
  const props = node.properties;
  return node.type === 'object' && isObj(props) && isObj(props.value) && isObj(props.label);
}

/**
 * Response properties NetBox renders as null although the schema does not say nullable
 * (`connected_endpoints_reachable` is `_path and _path.is_complete and _path.is_active`).
 */
const NULL_IN_PRACTICE = new Set(['connected_endpoints_reachable']);

/**
 * Converts one OpenAPI 3.0 schema node to JSON Schema (draft-07) for ajv.
 * `response`: NetBox renders a blank choice as null although the schema does not say so.
 */
export function toJsonSchema(node: unknown, response: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, response));
  if (!isObj(node)) return node;
  const out: SchemaNode = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') {
      out.$ref = v.replace('#/components/schemas/', 'nb#/definitions/');
    } else if (k === 'properties' && isObj(v)) {
      const props: SchemaNode = {};
      for (const [pk, pv] of Object.entries(v)) {
        const conv = toJsonSchema(pv, response);
        // NetBox renders a blank choice as null, even where the schema's value enum has no "".
        const blankChoice = isObj(pv) && isChoiceObject(pv) && !(Array.isArray(node.required) && node.required.includes(pk));
        props[pk] = response && (NULL_IN_PRACTICE.has(pk) || blankChoice) ? { anyOf: [conv, { type: 'null' }] } : conv;
      }
      out.properties = props;
    } else if (k !== 'nullable') {
      out[k] = toJsonSchema(v, response);
    }
  }
  if (node.exclusiveMaximum === true && typeof node.maximum === 'number') {
    out.exclusiveMaximum = node.maximum;
    delete out.maximum;
  } else if (node.exclusiveMaximum === false) delete out.exclusiveMaximum;
  if (node.exclusiveMinimum === true && typeof node.minimum === 'number') {
    out.exclusiveMinimum = node.minimum;
    delete out.minimum;
  } else if (node.exclusiveMinimum === false) delete out.exclusiveMinimum;
  // Blank optional strings (e.g. a cable's colour "") are rendered although the pattern excludes them.
  if (response && node.type === 'string' && typeof node.pattern === 'string' && node.minLength === undefined) {
    out.pattern = `^$|${node.pattern}`;
  }
  let nullable = node.nullable === true;
  if (response && isChoiceObject(node)) {
    const props = node.properties as SchemaNode;
    const values = (props.value as SchemaNode).enum;
    if (Array.isArray(values) && (values.includes('') || values.includes(null))) nullable = true;
  }
  if (!nullable) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  const constraining = Object.keys(out).some((k) => !['readOnly', 'writeOnly', 'title', 'description', 'default'].includes(k) && !k.startsWith('x-'));
  if (!constraining) return out;
  return { anyOf: [out, { type: 'null' }] };
}

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

function newAjv(definitions: Record<string, SchemaNode>, response: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  for (const f of ['double', 'int64', 'int32', 'binary', 'float']) ajv.addFormat(f, true);
  const defs: SchemaNode = {};
  for (const [k, v] of Object.entries(definitions)) defs[k] = toJsonSchema(v, response);
  ajv.addSchema({ $id: 'nb', definitions: defs });
  return ajv;
}

const DEVICE_REQUESTS = ['WritableDeviceWithConfigContextRequest', 'PatchedWritableDeviceWithConfigContextRequest'];
const INTERFACE_REQUESTS = ['WritableInterfaceRequest', 'PatchedWritableInterfaceRequest'];

/** Request component schemas as the given flavour (and configuration) of NetBox accepts them. */
export function requestDefinitions(flavour: Flavour, statusChoices: string[]): Record<string, SchemaNode> {
  const defs = clone(loadExtract().components.schemas);
  for (const name of DEVICE_REQUESTS) {
    const props = defs[name]?.properties as SchemaNode;
    const status = props.status as SchemaNode;
    const values = status.enum as unknown[];
    for (const s of statusChoices) if (!values.includes(s)) values.push(s);
    if (flavour === '3.7') {
      // 3.6/3.7 accept the old name `device_role` as well as `role`; one of them is required.
      props.device_role = clone(props.role);
      const def = defs[name] as SchemaNode;
      if (Array.isArray(def.required)) def.required = def.required.filter((r) => r !== 'role');
    }
  }
  if (!featuresOf(flavour).macObjects) {
    // Before 4.2 the MAC address is a plain writable field of the interface.
    for (const name of INTERFACE_REQUESTS) {
      const props = defs[name]?.properties as SchemaNode;
      delete props.primary_mac_address;
      props.mac_address = { type: 'string', nullable: true };
    }
  }
  return defs;
}

export interface BodyResult {
  errors: Record<string, string[]> | undefined;
  /** Top-level body keys the serializer does not know (ignored, like DRF does). */
  ignoredFields: string[];
  /** The known fields of the body. */
  data: Record<string, unknown>;
}

function pyType(v: unknown): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  switch (typeof v) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'object':
      return 'dict';
    default:
      return typeof v;
  }
}

function pyRepr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return JSON.stringify(v);
}

/** Validators' own messages for schema patterns. */
const PATTERN_MESSAGES: Record<string, string> = {
  '^[-a-zA-Z0-9_]+$': 'Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.',
  // CustomField.name
  '^[a-z0-9_]+$': 'Only alphanumeric characters and underscores are allowed.',
};

/**
 * Whether a request field is NetBox's own ChoiceField (netbox/api/fields.py, rendered as
 * {value, label}): its error is `X is not a valid choice.` without DRF's quotes.
 */
function isNetboxChoice(requestComponent: string, field: string): boolean {
  const response = requestComponent
    .replace(/^Patched/, '')
    .replace(/^Writable/, '')
    .replace(/Request$/, '');
  const schemas = loadExtract().components.schemas;
  const p = (schemas[response]?.properties as SchemaNode | undefined)?.[field];
  return isObj(p) && isChoiceObject(p);
}

/** DRF's wording for one ajv error. */
export function drfMessage(err: ErrorObject, value: unknown): string {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'type': {
      const t = Array.isArray(p.type) ? String(p.type[0]) : String(p.type).split(',')[0];
      switch (t) {
        case 'integer':
          return 'A valid integer is required.';
        case 'number':
          return 'A valid number is required.';
        case 'string':
          return 'Not a valid string.';
        case 'boolean':
          return 'Must be a valid boolean.';
        case 'array':
          return `Expected a list of items but got type "${pyType(value)}".`;
        case 'object':
          return `Expected a dictionary of items but got type "${pyType(value)}".`;
        case 'null':
          return 'This field may not be null.';
        default:
          return `Invalid type, expected ${t}.`;
      }
    }
    case 'enum':
      return `"${pyRepr(value)}" is not a valid choice.`; // DRF's ChoiceField (NetBox's own: see RequestValidator)
    case 'maxLength':
      return `Ensure this field has no more than ${String(p.limit)} characters.`;
    case 'minLength':
      return value === '' ? 'This field may not be blank.' : `Ensure this field has at least ${String(p.limit)} characters.`;
    case 'pattern':
      return PATTERN_MESSAGES[String(p.pattern)] ?? 'Enter a valid value.';
    case 'minimum':
      return `Ensure this value is greater than or equal to ${String(p.limit)}.`;
    case 'exclusiveMinimum':
      return `Ensure this value is greater than ${String(p.limit)}.`;
    case 'maximum':
      return `Ensure this value is less than or equal to ${String(p.limit)}.`;
    case 'exclusiveMaximum':
      return `Ensure this value is less than ${String(p.limit)}.`;
    case 'required':
      return 'This field is required.';
    case 'format':
      return 'Enter a valid value.';
    default:
      return err.message ?? 'Invalid value.';
  }
}

/** The value at an ajv instancePath below the field value (for messages about nested values). */
function valueAt(root: unknown, instancePath: string): unknown {
  let cur = root;
  for (const seg of instancePath.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function isNullable(raw: SchemaNode): boolean {
  return raw.nullable === true || (Array.isArray(raw.enum) && raw.enum.includes(null));
}

/** A related-object field: `oneOf: [{type: integer}, {Brief…Request}]`. */
function isRelatedField(raw: SchemaNode): boolean {
  return Array.isArray(raw.oneOf) && isObj(raw.oneOf[0]) && raw.oneOf[0].type === 'integer' && raw.oneOf.length === 2;
}

/** Validates request bodies for one flavour/configuration. Compiled validators are cached. */
export class RequestValidator {
  private readonly ajv: Ajv;
  private readonly defs: Record<string, SchemaNode>;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(flavour: Flavour, statusChoices: string[]) {
    this.defs = requestDefinitions(flavour, statusChoices);
    this.ajv = newAjv(this.defs, false);
  }

  /** The (flavour-patched) request component. */
  schema(component: string): SchemaNode {
    const s = this.defs[component];
    if (s === undefined) throw new Error(`unknown request component ${component}`);
    return s;
  }

  /** Names of the writable properties of a request component. */
  properties(component: string): string[] {
    return Object.keys(this.schema(component).properties as SchemaNode);
  }

  private fieldValidator(component: string, field: string): ValidateFunction {
    const key = `${component}/${field}`;
    let v = this.cache.get(key);
    if (v === undefined) {
      v = this.ajv.compile({ $ref: `nb#/definitions/${component}/properties/${field}` });
      this.cache.set(key, v);
    }
    return v;
  }

  /** Validates a JSON body against a request component; `partial` for PATCH. */
  validate(component: string, body: unknown, partial: boolean): BodyResult {
    if (!isObj(body)) {
      return {
        errors: { non_field_errors: [`Invalid data. Expected a dictionary, but got ${pyType(body)}.`] },
        ignoredFields: [],
        data: {},
      };
    }
    const schema = this.schema(component);
    const props = schema.properties as Record<string, SchemaNode>;
    const errors: Record<string, string[]> = {};
    const data: Record<string, unknown> = {};
    const ignoredFields: string[] = [];
    for (const [field, value] of Object.entries(body)) {
      const raw = props[field];
      if (raw === undefined) {
        ignoredFields.push(field);
        continue;
      }
      const msg = this.fieldError(component, field, raw, value);
      if (msg !== undefined) errors[field] = [msg];
      else data[field] = value;
    }
    if (!partial) {
      for (const r of (schema.required as string[] | undefined) ?? []) {
        if (!(r in body)) errors[r] = ['This field is required.'];
      }
    }
    return { errors: Object.keys(errors).length > 0 ? errors : undefined, ignoredFields, data };
  }

  private fieldError(component: string, field: string, raw: SchemaNode, value: unknown): string | undefined {
    if (value === null) return isNullable(raw) ? undefined : 'This field may not be null.';
    if (isRelatedField(raw)) {
      if (typeof value === 'number' && Number.isInteger(value)) return undefined;
      if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) {
        // NetBox would int() this; the schema says integer, so the simulator is strict.
        return 'Incorrect type. Expected pk value, received str.';
      }
      if (!isObj(value)) {
        return `Related objects must be referenced by numeric ID or by dictionary of attributes. Received an unrecognized value: ${pyRepr(value)}`;
      }
    }
    const validate = this.fieldValidator(component, field);
    if (validate(value)) return undefined;
    const errs = validate.errors ?? [];
    // prefer the most specific error (deepest path, non-combinator)
    const best =
      [...errs].filter((e) => !['oneOf', 'anyOf', 'allOf', 'if'].includes(e.keyword)).sort((a, b) => b.instancePath.length - a.instancePath.length)[0] ??
      errs[0];
    if (best === undefined) return 'Invalid value.';
    const msg =
      best.keyword === 'enum' && best.instancePath === '' && isNetboxChoice(component, field)
        ? `${pyRepr(value)} is not a valid choice.`
        : drfMessage(best, valueAt(value, best.instancePath));
    if (best.instancePath === '') return msg;
    return `${best.instancePath.slice(1).replace(/\//g, '.')}: ${msg}`;
  }
}

const responseAjvCache: { ajv?: Ajv; fns: Map<string, ValidateFunction> } = { fns: new Map() };

/** An ajv validator for a response component of the extract (used by tests to check shapes). */
export function responseValidator(component: string): ValidateFunction {
  let fn = responseAjvCache.fns.get(component);
  if (fn !== undefined) return fn;
  responseAjvCache.ajv ??= newAjv(loadExtract().components.schemas, true);
  componentSchema(component);
  fn = responseAjvCache.ajv.compile({ $ref: `nb#/definitions/${component}` });
  responseAjvCache.fns.set(component, fn);
  return fn;
}
