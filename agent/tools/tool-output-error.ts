/**
 * The one error a tool parser throws: the tool printed something that is not the
 * output its parser reads (not JSON, a missing element, the wrong shape). It
 * names the tool, says what was wrong and quotes the start of the output, and
 * serialises like every BmError: `{type, message, details: {tool, reason, excerpt}}`;
 * its cause (shared/failure.ts) is `tool-failed`.
 * Tool wrappers (lsblk.ts, fio.ts…) turn it into an ordinary `problem` text;
 * it never escapes a step.
 */
import { BmError } from '../../shared/errors.ts';
import type { Cause } from '../../shared/failure.ts';

/** How much of the offending output is quoted. */
export const EXCERPT_CHARS = 200;

export class ToolOutputError extends BmError {
  override readonly name = 'ToolOutputError';

  /**
   * @param tool    the executable whose output this is (`lsblk`, `fio`…)
   * @param reason  a sentence saying what is wrong, naming the tool (`lsblk JSON has no "blockdevices" array`)
   * @param excerpt the part of the output that shows it (usually its start)
   */
  constructor(
    readonly tool: string,
    readonly reason: string,
    readonly excerpt: string,
  ) {
    super(reason);
  }

  /** Output the agent cannot read is the tool failing, whatever its exit code. */
  override get failureCause(): Cause {
    return 'tool-failed';
  }

  override details(): Record<string, unknown> {
    return { tool: this.tool, reason: this.reason, excerpt: this.excerpt };
  }
}

/**
 * `text` parsed as JSON, or a ToolOutputError quoting its start. `what` names
 * the text in the message (default `<tool> output`).
 */
export function parseJsonOrThrow(tool: string, text: string, what = `${tool} output`): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ToolOutputError(tool, `${what} does not parse as JSON (${(error as Error).message})`, text.slice(0, EXCERPT_CHARS));
  }
}

/**
 * The message of a ToolOutputError, for a wrapper's `problem` text; anything
 * else is a bug, not unexpected tool output, and is thrown on.
 */
export function outputProblem(error: unknown): string {
  if (error instanceof ToolOutputError) return error.message;
  throw error;
}
