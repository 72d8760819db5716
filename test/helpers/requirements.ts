/**
 * Suites that need root or a real daemon declare it here. Missing outside CI:
 * the suite is skipped with a loud line on stderr (and counted as skipped, which
 * fails the run under CI=true). In CI a missing requirement is an error.
 */
export function missingRequirements(needs: { root?: boolean; tools?: string[] }): string[] {
  const missing: string[] = [];
  if (needs.root && process.getuid?.() !== 0) missing.push('root');
  for (const tool of needs.tools ?? []) {
    if (!Bun.which(tool, { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` })) missing.push(tool);
  }
  return missing;
}

/**
 * True when the suite can run; otherwise warns loudly (or throws in CI). `other`: what else the suite found
 * missing (files, a venv), each with how to get it.
 */
export function requirementsMet(suite: string, needs: { root?: boolean; tools?: string[]; other?: string[] }): boolean {
  const missing = [...missingRequirements(needs), ...(needs.other ?? [])];
  if (missing.length === 0) return true;
  const message = `SKIPPED SUITE "${suite}": needs ${missing.join(', ')} (run make deps / make test as root)`;
  if (process.env.CI) throw new Error(`${message} — not allowed in CI`);
  process.stderr.write(`\n!!! ${message}\n\n`);
  return false;
}
