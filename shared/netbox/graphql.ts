/**
 * NetBox's GraphQL API (`POST /graphql/`): one request that joins what REST needs several for.
 * Only the envelope is checked here (a JSON object with `data`, no `errors`); what the data
 * means belongs to the caller's parser. An answer that is not usable is a NetboxResponseError
 * ("NetBox answered something unexpected", transient): a GraphQL `errors` answer, even with
 * partial data (NetBox nulls what the token may not view and says so in `errors`), is never
 * read as "nothing found". GRAPHQL_ENABLED=False answers 404 (a NetboxHttpError).
 */
import type { NetboxClient, RequestOptions } from './client.ts';
import { NetboxResponseError } from './errors.ts';

export const GRAPHQL_PATH = '/graphql/';

/** The `data` of a GraphQL answer, or a NetboxResponseError saying why it is not usable. Pure. */
export function graphqlDataOf(answer: unknown): Record<string, unknown> {
  const unusable = (reason: string) => new NetboxResponseError('POST', GRAPHQL_PATH, reason);
  if (!answer || typeof answer !== 'object' || Array.isArray(answer))
    throw unusable(`not a GraphQL answer (${Array.isArray(answer) ? 'an array' : typeof answer})`);
  const { data, errors } = answer as { data?: unknown; errors?: unknown };
  if (errors !== undefined && errors !== null) {
    const first = Array.isArray(errors) ? (errors[0] as { message?: unknown } | undefined)?.message : undefined;
    const count = Array.isArray(errors) ? errors.length : 1;
    throw unusable(`GraphQL errors (${count}): ${typeof first === 'string' ? first.slice(0, 300) : JSON.stringify(errors).slice(0, 300)}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw unusable('a GraphQL answer without "data"');
  return data as Record<string, unknown>;
}

/** Runs a read-only GraphQL query (retried like a GET) and returns its `data`; see graphqlDataOf. */
export async function queryGraphql(
  client: NetboxClient,
  query: string,
  variables: Record<string, unknown>,
  options: RequestOptions = {},
): Promise<Record<string, unknown>> {
  const answer = await client.post<unknown>(GRAPHQL_PATH, { query, variables }, { idempotent: true, ...options });
  return graphqlDataOf(answer);
}
