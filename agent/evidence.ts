/**
 * The evidence bundle: every raw tool output and the report in one directory
 * (and a tarball), so a run can be re-evaluated (`bm-agent evaluate`) and
 * attached to a ticket. Paths inside are relative: `<step id>/<name>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

export interface EvidenceStore {
  readonly dir: string;
  /** Writes a file (creating its folder); returns the bundle-relative path. */
  save(relativePath: string, content: string | Uint8Array): string;
  /** Absolute path of a bundle-relative path. */
  pathOf(relativePath: string): string;
}

export function createEvidenceStore(dir: string): EvidenceStore {
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const pathOf = (relativePath: string) => {
    const clean = normalize(relativePath).replace(/^(\.\.(\/|$))+/, '');
    return join(dir, clean);
  };
  return {
    dir,
    pathOf,
    save(relativePath, content) {
      const path = pathOf(relativePath);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      return relativePath;
    },
  };
}
