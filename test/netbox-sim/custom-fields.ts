/**
 * Custom fields (extras.CustomField): which fields an object type has, their values on write
 * (merge, defaults, type checks, required) and on read (every defined field, null when unset).
 * Messages are NetBox's (extras/models/customfields.py, netbox/api/fields.py).
 */
import type { Row, Store } from './store.ts';

type Errors = Record<string, unknown>;

/** Custom fields defined for an object type ("dcim.device"), ordered by name. */
export function fieldsFor(store: Store, objectType: string): Row[] {
  return store
    .find('customfield', (f) => Array.isArray(f.object_types) && f.object_types.includes(objectType))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

/** The `custom_fields` of a response: every defined field, stored value or null. */
export function renderCustomFields(store: Store, objectType: string, row: Row): Record<string, unknown> {
  const data = (row.custom_fields ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of fieldsFor(store, objectType)) out[String(f.name)] = data[String(f.name)] ?? null;
  return out;
}

/** One value against its field's type; an error text or undefined. */
function typeError(field: Row, value: unknown): string | undefined {
  if (value === null) return undefined;
  switch (field.type) {
    case 'text':
    case 'longtext':
    case 'url':
      return typeof value === 'string' ? undefined : 'Value must be a string.';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : 'Value must be an integer.';
    case 'decimal':
      return typeof value === 'number' ? undefined : 'Value must be a decimal.';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'Value must be true or false.';
    default:
      return undefined; // json and the rest: anything JSON
  }
}

/**
 * Validates and merges `next.custom_fields` (in place) for a write of an object of `objectType`.
 * Like NetBox: unknown names are a serializer error; values merge over the stored ones; on create
 * unset fields take their default; then the model's clean() checks types and required fields
 * (so any write fails while a required field has no value).
 */
export function cleanCustomFields(
  store: Store,
  objectType: string,
  next: Record<string, unknown>,
  existing: Row | undefined,
  given: unknown,
): Errors | undefined {
  const fields = fieldsFor(store, objectType);
  const byName = new Map(fields.map((f) => [String(f.name), f]));
  const data: Record<string, unknown> = { ...((existing?.custom_fields ?? {}) as Record<string, unknown>) };
  if (existing === undefined) {
    for (const f of fields) if (f.default !== null && f.default !== undefined) data[String(f.name)] = f.default;
  }
  if (given !== undefined && given !== null) {
    for (const [name, value] of Object.entries(given as Record<string, unknown>)) {
      if (!byName.has(name)) return { custom_fields: { [name]: `Custom field '${name}' does not exist for this object type.` } };
      data[name] = value;
    }
  }
  for (const f of fields) {
    const name = String(f.name);
    const value = data[name] ?? null;
    const err = typeError(f, value);
    if (err) return { __all__: [`Invalid value for custom field '${name}': ${err}`] };
    if (f.required === true && (value === null || value === '')) return { __all__: [`Missing required custom field '${name}'.`] };
  }
  next.custom_fields = data;
  return undefined;
}

/** Custom field definition checks beyond the schema. */
export function cleanCustomFieldDefinition(next: Record<string, unknown>): Record<string, string[]> | undefined {
  if (typeof next.name === 'string' && !/^[a-z0-9_]+$/i.test(next.name)) {
    return { name: ['Only alphanumeric characters and underscores are allowed.'] };
  }
  return undefined;
}
