/**
 * The error a promise rejects with; fails the test when it resolves instead.
 * Typed `any` on purpose: tests inspect fields of many error classes.
 */
// biome-ignore lint/suspicious/noExplicitAny: tests inspect fields of many error classes
export async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
