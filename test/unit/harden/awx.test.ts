/**
 * harden/awx/: what can be checked without an AWX (there is none here). The NetBox webhook and event rule are valid
 * request bodies of NetBox 4.6's POST /api/extras/webhooks/ and /api/extras/event-rules/ (ajv against the OpenAPI
 * components, required fields and enums; the committed extract is checked against ../shared/netbox/openapi.json
 * when that file is there); the BMC credential type's file injector, rendered with Jinja2's immutable sandbox (what
 * AWX renders injectors with; the venv's Python), is a credentials file bm-harden's parser accepts, with the same
 * values, for awkward passwords too; the job templates' extra_vars are variables harden.yml's role reads, and the
 * apply template's desired state is its profile's.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import { builtinProfiles } from '../../../harden/builtin-profiles.ts';
import { parseCredentials } from '../../../harden/credentials.ts';
import { VENV_PYTHON } from '../../helpers/sushy.ts';
import { toJsonSchema } from '../../netbox-sim/schema-validator.ts';

const REPO = resolve(import.meta.dir, '../../..');
const AWX = join(REPO, 'harden', 'awx');
const FIXTURE = join(REPO, 'test', 'fixtures', 'awx', 'netbox-4.6-extras-requests.json');
const OPENAPI = resolve(REPO, '../shared/netbox/openapi.json');

const json = (file: string) => JSON.parse(readFileSync(join(AWX, file), 'utf8')) as Record<string, unknown>;
const yaml = (file: string) => Bun.YAML.parse(readFileSync(join(AWX, file), 'utf8')) as Record<string, unknown>;

describe('the NetBox objects are what NetBox 4.6 accepts', () => {
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { components: { schemas: Record<string, unknown> } };
  // OpenAPI 3.0 → JSON Schema (nullable etc.) as the NetBox simulator validates requests.
  const ajv = new Ajv({ strict: false, allErrors: true, formats: { int64: true } });
  ajv.addSchema({ $id: 'nb', definitions: toJsonSchema(fixture.components.schemas, false) });
  const validate = (component: string, body: unknown) => {
    const check = ajv.getSchema(`nb#/definitions/${component}`)!;
    return check(body) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };

  test('the webhook: a POST of JSON to the workflow launch URL with the device name as limit', () => {
    const webhook = json('netbox-webhook.json');
    expect(validate('WebhookRequest', webhook)).toEqual([]);
    expect(webhook.payload_url).toMatch(/\/api\/v2\/workflow_job_templates\/\d+\/launch\/$/);
    expect(webhook.body_template).toContain('"limit": {{ data.name | tojson }}');
    // The same checks catch a wrong body: a missing required field and an enum value NetBox does not have.
    expect(validate('WebhookRequest', { ...webhook, payload_url: undefined, http_method: 'SEND' }).join('; ')).toMatch(
      /payload_url.*; .*allowed values|allowed values.*payload_url/,
    );
  });

  test('the event rule: devices, created or updated, status staged, action the webhook', () => {
    const rule = json('netbox-event-rule.json');
    expect(validate('WritableEventRuleRequest', rule)).toEqual([]);
    expect(rule).toMatchObject({ object_types: ['dcim.device'], action_type: 'webhook', action_object_type: 'extras.webhook' });
    expect(rule.conditions).toEqual({ and: [{ attr: 'status.value', value: 'staged' }] });
    expect(validate('WritableEventRuleRequest', { ...rule, event_types: ['object_staged'] })).not.toEqual([]);
  });

  test.skipIf(!existsSync(OPENAPI))('the committed extract is the OpenAPI file’s (when ../shared/netbox/openapi.json is there)', () => {
    const schemas = (JSON.parse(readFileSync(OPENAPI, 'utf8')) as { components: { schemas: Record<string, unknown> } }).components.schemas;
    for (const [name, schema] of Object.entries(fixture.components.schemas)) expect(schema).toEqual(schemas[name]);
  });
});

/** Renders a credential type's file injector as AWX does (jinja2.sandbox.ImmutableSandboxedEnvironment). */
function renderInjector(template: string, inputs: Record<string, string>): string {
  const script =
    'import sys, json\nfrom jinja2.sandbox import ImmutableSandboxedEnvironment\n' +
    'print(ImmutableSandboxedEnvironment().from_string(sys.argv[1]).render(**json.loads(sys.stdin.read())), end="")';
  const run = Bun.spawnSync([VENV_PYTHON, '-c', script, template], { stdin: Buffer.from(JSON.stringify(inputs)), stderr: 'pipe' });
  if (run.exitCode !== 0) throw new Error(`jinja2 failed: ${run.stderr.toString()}`);
  return run.stdout.toString();
}

describe('the BMC credential type', () => {
  const type = yaml('credential-type-bmc.yml') as {
    inputs: { fields: { id: string; secret?: boolean }[]; required: string[] };
    injectors: { file: Record<string, string>; extra_vars: Record<string, string>; env: Record<string, string> };
  };

  test('secrets only in the file; its path to the playbook (bmc_credentials_file) and to bm-harden (BM_HARDEN_CREDENTIALS)', () => {
    const secrets = type.inputs.fields.filter((f) => f.secret).map((f) => f.id);
    expect(secrets).toEqual(['bmc_password', 'bmc_new_password']);
    expect(type.injectors.extra_vars).toEqual({ bmc_credentials_file: '{{ tower.filename.bmc_credentials }}' });
    expect(type.injectors.env).toEqual({ BM_HARDEN_CREDENTIALS: '{{ tower.filename.bmc_credentials }}' });
    for (const value of [...Object.values(type.injectors.extra_vars), ...Object.values(type.injectors.env)]) {
      for (const field of type.inputs.fields) expect(value).not.toContain(field.id);
    }
  });

  const venv = existsSync(VENV_PYTHON);
  if (!venv) console.warn(`!!! NOT RUN: the credential injector rendering needs the venv's Python with Jinja2 (${VENV_PYTHON}; make deps)`);
  test.skipIf(!venv)('the injected file is one bm-harden parses, with the same values — quotes, backslashes and unicode too', () => {
    const template = type.injectors.file['template.bmc_credentials']!;
    const awkward = { bmc_username: 'root', bmc_password: 'p"a\\s{s}\'</w>', bmc_new_password: 'neu-Päss"wört-9' };
    expect(parseCredentials(renderInjector(template, awkward), 'injected')).toEqual({
      username: 'root',
      password: awkward.bmc_password,
      newPassword: awkward.bmc_new_password,
    });
    expect(parseCredentials(renderInjector(template, { bmc_username: 'admin', bmc_password: 'calvin', bmc_new_password: '' }), 'injected')).toEqual({
      username: 'admin',
      password: 'calvin',
    });
  });
});

describe('the job templates', () => {
  /** Every variable harden/ansible's playbook and role read (bmc_*, desired, reboot_allowed). */
  const playbookVariables = () => {
    const names = new Set<string>();
    const files = [...new Bun.Glob('harden/ansible/**/*.yml').scanSync({ cwd: REPO })];
    for (const file of files) for (const m of readFileSync(join(REPO, file), 'utf8').matchAll(/\b(bmc_[a-z_]+|desired|reboot_allowed)\b/g)) names.add(m[1]!);
    return names;
  };

  test("the apply template runs harden.yml with extra_vars the role reads, and its desired state is its profile's", () => {
    const template = yaml('job-template-apply.yml') as { playbook: string; extra_vars: Record<string, unknown>; ask_limit_on_launch: boolean };
    expect(template.playbook).toBe('harden/ansible/harden.yml');
    expect(existsSync(join(REPO, template.playbook))).toBe(true);
    expect(template.ask_limit_on_launch).toBe(true);
    const known = playbookVariables();
    for (const key of Object.keys(template.extra_vars)) expect(known.has(key)).toBe(true);
    const profile = builtinProfiles().find((p) => p.name === 'dell-idrac')!;
    expect(template.extra_vars).toEqual({
      reboot_allowed: profile.rebootAllowed,
      desired: {
        bios_attributes: profile.bios,
        network_protocols: profile.networkProtocols,
        ...(profile.ntpServers ? { ntp_servers: profile.ntpServers } : {}),
        ...(profile.accounts ? { accounts: { rotate_username: profile.accounts.rotateUsername } } : {}),
      },
    });
  });

  test('the verify template runs verify.yml; the workflow runs apply, then always verify, both prompting for the limit', () => {
    const verify = yaml('job-template-verify.yml') as { playbook: string; ask_limit_on_launch: boolean };
    expect(existsSync(join(REPO, verify.playbook))).toBe(true);
    expect(verify.ask_limit_on_launch).toBe(true);
    const workflow = yaml('workflow.yml') as {
      ask_limit_on_launch: boolean;
      workflow_nodes: { identifier: string; unified_job_template: { name: string }; related?: { always_nodes: { identifier: string }[] } }[];
    };
    expect(workflow.ask_limit_on_launch).toBe(true);
    const [apply, check] = workflow.workflow_nodes;
    expect(apply!.unified_job_template.name).toBe(yaml('job-template-apply.yml').name as string);
    expect(apply!.related?.always_nodes).toEqual([{ identifier: check!.identifier }]);
    expect(check!.unified_job_template.name).toBe(verify && (yaml('job-template-verify.yml').name as string));
    expect(readFileSync(join(AWX, 'verify.yml'), 'utf8')).toContain('argv: ["{{ bm_harden_command }}", run, --device, "{{ inventory_hostname }}", --json]');
  });
});
