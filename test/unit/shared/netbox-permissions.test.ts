/**
 * docs/netbox.md lists the token's permissions; test/netbox-real/permissions.json gives exactly
 * those to the real NetBox's least-privilege user. They must stay the same list.
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';

interface Rule {
  actions: string[];
  object_types: string[];
}

function documented(): Rule[] {
  const doc = readFileSync('docs/netbox.md', 'utf8');
  const block = /<!-- permissions: begin -->\n([\s\S]*?)<!-- permissions: end -->/.exec(doc)?.[1];
  if (!block) throw new Error('docs/netbox.md has no permissions block');
  return block
    .trim()
    .split('\n')
    .map((line) => {
      const match = /^- ([a-z, ]+): (.+)$/.exec(line.trim());
      if (!match) throw new Error(`docs/netbox.md: not a permission line: ${line}`);
      return { actions: match[1]!.split(',').map((a) => a.trim()), object_types: [...match[2]!.matchAll(/`([a-z_]+\.[a-z_]+)`/g)].map((m) => m[1]!) };
    });
}

test('docs/netbox.md and test/netbox-real/permissions.json list the same permissions', () => {
  const json = (JSON.parse(readFileSync('test/netbox-real/permissions.json', 'utf8')) as { permissions: Rule[] }).permissions;
  expect(documented()).toEqual(json);
});
