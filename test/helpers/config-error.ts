/** The ConfigError a config call throws (sync or async), for assertions on its source and issues; any other outcome fails the test. */
import { ConfigError } from '../../shared/config.ts';

export async function configErrorOf(fn: () => unknown): Promise<ConfigError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
