/** Exit codes shared by both binaries (listed in every --help epilogue). */
export const EXIT = {
  ok: 0,
  /** A validation step failed (agent). */
  failed: 1,
  /** Bad arguments or config. */
  usage: 2,
  /** NetBox unreachable, or it refused our token. */
  netbox: 3,
  /** A bug or an unexpected error. */
  internal: 4,
} as const;

export const EXIT_CODES_EPILOGUE = [
  'Exit codes:',
  '  0  success',
  '  1  a check failed',
  '  2  bad arguments or config',
  '  3  NetBox unreachable or refused the token',
  '  4  internal error',
].join('\n');
