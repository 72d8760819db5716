/** `bm-agent schema`: the report's JSON schema, for receivers and CI. */
import type { CliContext } from '../context.ts';
import { REPORT_JSON_SCHEMA } from '../report.ts';

export const schemaCommand = (ctx: CliContext) => ({
  command: 'schema',
  describe: "print the report's JSON schema (draft-07, versioned)",
  handler: () => ctx.print(JSON.stringify(REPORT_JSON_SCHEMA, null, 2)),
});
