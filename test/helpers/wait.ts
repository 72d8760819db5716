/**
 * Waits for a condition by polling it — for state outside this process (a
 * file, a daemon, a request log) that offers no event to await. Fails loudly at
 * the deadline instead of hanging; the interval is not a synchronisation guess.
 */
export async function waitUntil(condition: () => boolean | Promise<boolean>, { timeoutMs = 10_000, intervalMs = 10, what = 'condition' } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
