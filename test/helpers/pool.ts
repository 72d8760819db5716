/**
 * Runs jobs at most `limit` at a time, in the order given (put the longest first),
 * each as soon as a slot frees up. Every job's outcome is its own promise, so a test
 * awaits only the job it asserts on and one job's failure does not cancel the others
 * (the e2e boots one VM per job: each qemu under TCG keeps one core busy).
 */
export function runPool<K extends string, T>(jobs: readonly { key: K; run: () => Promise<T> }[], limit: number): Record<K, Promise<T>> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`runPool: limit must be a positive integer, got ${limit}`);
  const outcomes = {} as Record<K, Promise<T>>;
  const queue: (() => void)[] = [];
  let running = 0;
  const next = () => {
    running--;
    queue.shift()?.();
  };
  for (const job of jobs) {
    if (job.key in outcomes) throw new Error(`runPool: job "${job.key}" is listed twice`);
    outcomes[job.key] = new Promise<T>((resolve, reject) => {
      const start = () => {
        running++;
        Promise.resolve()
          .then(() => job.run())
          .then(resolve, reject)
          .finally(next);
      };
      if (running < limit) start();
      else queue.push(start);
    });
    // A job nobody awaited yet must not become an unhandled rejection; awaiting it still throws.
    outcomes[job.key].catch(() => {});
  }
  return outcomes;
}
