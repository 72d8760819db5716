/**
 * dhcpd waits for `bm-hook commit` while every other client waits for dhcpd, so the
 * fast path (hook/main.ts → context.ts + ingest.ts) must not load the heavy
 * packages: yargs (the full CLI), ky (NetBox), ajv (run-time schema compilation;
 * the ahead-of-time validator's small ajv/dist/runtime helpers are fine).
 * Walks the modules' value imports (type-only imports are erased) from main.ts's
 * fast-path entries.
 */
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const transpiler = new Bun.Transpiler({ loader: 'ts' });

/** Every package (bare specifier) reachable from the entries through relative value imports. */
function packagesReachedFrom(entries: readonly string[]): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const queue = entries.map((entry) => resolve(entry));
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { path } of transpiler.scanImports(readFileSync(file, 'utf8'))) {
      if (path.startsWith('.')) queue.push(resolve(dirname(file), path));
      else if (!path.startsWith('node:') && !path.startsWith('bun:')) packages.set(path, file);
    }
  }
  return packages;
}

test("main.ts's fast path imports only context.ts and ingest.ts, and the full CLI lazily", () => {
  const imports = transpiler.scanImports(readFileSync('hook/main.ts', 'utf8'));
  const statics = imports.filter((i) => i.kind === 'import-statement' && !i.path.startsWith('node:')).map((i) => i.path);
  expect(statics).toEqual(['../shared/cli/bin.ts', './fast-path.ts']);
  expect(imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path)).toEqual(['./context.ts', './ingest.ts', './cli.ts']);
});

test('the commit/kea fast path loads no yargs, ky or ajv', () => {
  const packages = packagesReachedFrom(['hook/fast-path.ts', 'hook/context.ts', 'hook/ingest.ts', 'shared/cli/bin.ts']);
  const heavy = [...packages.keys()].filter((name) => /^(yargs|ky|ajv(?!\/dist\/runtime\/)|ajv-formats|execa|systeminformation)(\/|$)/.test(name));
  expect(heavy.map((name) => `${name} (from ${packages.get(name)})`)).toEqual([]);
});
