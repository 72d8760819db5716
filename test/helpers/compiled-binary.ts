/**
 * A binary compiled from the current sources with the Makefile's flags, once per
 * test process and entry point, so tests run what `make build` ships even when
 * dist/ is stale.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Keep in step with COMPILE_FLAGS in the Makefile (minus the source map). */
const COMPILE_FLAGS = ['--compile', '--minify', '--bytecode', '--format=esm', '--splitting', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig'];

const compiled = new Map<string, string>();

export function compiledBinary(entry: 'hook/main.ts' | 'agent/main.ts' | 'harden/main.ts', name: string): string {
  const cached = compiled.get(entry);
  if (cached) return cached;
  const out = join(mkdtempSync(join(tmpdir(), `${name}-bin-`)), name);
  const build = Bun.spawnSync([process.execPath, 'build', ...COMPILE_FLAGS, entry, '--outfile', out], { stdout: 'pipe', stderr: 'pipe' });
  if (build.exitCode !== 0) throw new Error(`cannot compile ${name}: ${build.stderr.toString()}`);
  compiled.set(entry, out);
  return out;
}
