/**
 * Extracts the part of NetBox's OpenAPI schema the simulator needs.
 *
 *   bun test/netbox-sim/schema/extract.ts [PATH_TO_openapi.json]
 *
 * Writes netbox-4.6.components.json (the transitive closure of the component schemas used by the
 * request bodies and responses of the simulated endpoints, plus the Brief* components used by
 * `?brief=1`) and SOURCE.md beside this script. Output is deterministic (sorted keys).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** List endpoints; each also has a `{id}/` detail endpoint (except /api/status/). */
export const ENDPOINTS = [
  '/api/status/',
  '/api/dcim/sites/',
  '/api/dcim/manufacturers/',
  '/api/dcim/device-types/',
  '/api/dcim/device-roles/',
  '/api/dcim/devices/',
  '/api/dcim/interfaces/',
  '/api/dcim/mac-addresses/',
  '/api/dcim/cables/',
  '/api/ipam/prefixes/',
  '/api/ipam/ip-addresses/',
  '/api/extras/journal-entries/',
  '/api/ipam/vrfs/',
  '/api/ipam/ip-ranges/',
  '/api/ipam/fhrp-groups/',
  '/api/virtualization/virtual-machines/',
  '/api/virtualization/interfaces/',
  '/api/extras/custom-fields/',
  '/api/extras/config-contexts/',
  '/api/dcim/front-ports/',
  '/api/dcim/rear-ports/',
] as const;

/** Brief serializers returned by `?brief=1` and nested in responses. */
const EXTRA_ROOTS = [
  'BriefSite',
  'BriefManufacturer',
  'BriefDeviceType',
  'BriefDeviceRole',
  'BriefDevice',
  'BriefInterface',
  'BriefMACAddress',
  'BriefCable',
  'BriefIPAddress',
  'BriefVRF',
  'BriefFHRPGroup',
  'BriefVirtualMachine',
];

const LIST_METHODS = ['get', 'post'];
const DETAIL_METHODS = ['get', 'put', 'patch', 'delete'];
/** Annotation keys dropped to keep the extract small (no effect on validation). */
const DROPPED_ANNOTATIONS = ['description', 'example', 'title'];

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function collectRefs(node: Json | undefined, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const v of node) collectRefs(v, into);
  } else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') into.add(v.replace('#/components/schemas/', ''));
      else collectRefs(v, into);
    }
  }
}

/** Deep copy with sorted keys, dropping string-valued annotations (a property *named* description has an object value). */
function clean(node: Json): Json {
  if (Array.isArray(node)) return node.map(clean);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const k of Object.keys(node).sort()) {
    const v = node[k] as Json;
    if (DROPPED_ANNOTATIONS.includes(k) && typeof v === 'string') continue;
    out[k] = clean(v);
  }
  return out;
}

function refName(schema: Json | undefined): string | undefined {
  const refs = new Set<string>();
  collectRefs(schema, refs);
  // oneOf [X, array of X] (bulk create) → X
  return [...refs][0];
}

export function extract(openapi: JsonObject): JsonObject {
  const paths = openapi.paths as JsonObject;
  const schemas = (openapi.components as JsonObject).schemas as JsonObject;
  const roots = new Set<string>(EXTRA_ROOTS);
  const pathOut: JsonObject = {};
  for (const list of ENDPOINTS) {
    const variants: [string, string[]][] = [[list, LIST_METHODS]];
    if (list !== '/api/status/') variants.push([`${list}{id}/`, DETAIL_METHODS]);
    for (const [p, methods] of variants) {
      const item = paths[p];
      if (!isObject(item)) throw new Error(`path ${p} missing from the OpenAPI document`);
      const methodsOut: JsonObject = {};
      for (const m of methods) {
        const op = item[m];
        if (!isObject(op)) continue;
        const entry: JsonObject = {};
        const body = isObject(op.requestBody) && isObject(op.requestBody.content) ? op.requestBody.content['application/json'] : undefined;
        const req = refName(isObject(body) ? body.schema : undefined);
        if (req) {
          entry.request = req;
          roots.add(req);
        }
        for (const [code, resp] of Object.entries(op.responses as JsonObject)) {
          const content = isObject(resp) && isObject(resp.content) ? resp.content['application/json'] : undefined;
          const res = refName(isObject(content) ? content.schema : undefined);
          entry.status = Number(code);
          if (res) {
            entry.response = res;
            roots.add(res);
          }
        }
        methodsOut[m] = entry;
      }
      pathOut[p] = methodsOut;
    }
  }
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name)) continue;
    const schema = schemas[name];
    if (schema === undefined) throw new Error(`component ${name} missing`);
    seen.add(name);
    const refs = new Set<string>();
    collectRefs(schema, refs);
    for (const r of refs) if (!seen.has(r)) stack.push(r);
  }
  const components: JsonObject = {};
  for (const name of [...seen].sort()) components[name] = clean(schemas[name] as Json);
  const info = openapi.info as JsonObject;
  return clean({
    info: { title: info.title as Json, version: info.version as Json, openapi: openapi.openapi as Json },
    paths: pathOut,
    components: { schemas: components },
  }) as JsonObject;
}

if (import.meta.main) {
  const repoRoot = resolve(import.meta.dir, '../../..');
  const src = resolve(process.argv[2] ?? join(repoRoot, '../shared/netbox/openapi.json'));
  const raw = readFileSync(src);
  const sha256 = createHash('sha256').update(raw).digest('hex');
  const out = extract(JSON.parse(raw.toString('utf8')) as JsonObject);
  const target = join(import.meta.dir, 'netbox-4.6.components.json');
  writeFileSync(target, `${JSON.stringify(out, null, 1)}\n`);
  const count = Object.keys((out.components as JsonObject).schemas as JsonObject).length;
  const sourceMd = `# Source of netbox-4.6.components.json

Extracted from the OpenAPI 3.0.3 schema of **NetBox v4.6.0** (info.version
\`${String((out.info as JsonObject).version)}\`), as served by the official netboxcommunity/netbox
Docker image at \`/api/schema/?format=json\` (file \`nsc/schemas/bundled/netbox-4.6.0.json.gz\` at
commit 33cd4c10e0f0dae5621131a95c03b9c26065a140 of github.com/thomaschristory/netbox-super-cli,
gunzipped; 11,330,770 bytes, sha256 \`${sha256}\`). See \`shared/netbox/SOURCE.md\` in the
workspace for the full provenance of that file.

Licence: NetBox is licensed under the **Apache License 2.0**; this extract is a derived
subset of its schema.

Contents: the transitive closure (following \`$ref\`) of the ${count} component schemas used by
the request bodies and responses of the endpoints the simulator serves (list GET/POST, detail
GET/PUT/PATCH/DELETE of ${ENDPOINTS.join(', ')}), plus the Brief* components, and a \`paths\`
section naming the request/response component of every used path+method. Keys are sorted and
the string-valued annotations ${DROPPED_ANNOTATIONS.map((a) => `\`${a}\``).join(', ')} are
dropped; nothing else is changed. The schema lists only built-in choice values: the simulator
adds the configured device statuses (e.g. \`discovered\`, \`ready\`) at compile time.

Regenerate (from the repository root):

    bun test/netbox-sim/schema/extract.ts ../shared/netbox/openapi.json

The simulator loads only this extract at run time, never the original file.
`;
  writeFileSync(join(import.meta.dir, 'SOURCE.md'), sourceMd);
  console.log(`wrote ${target} (${count} component schemas) from ${src} sha256 ${sha256}`);
}
