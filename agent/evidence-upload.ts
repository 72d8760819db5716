/**
 * Shipping the evidence bundle off the machine (`bm.evidence_url=`). On a PXE-booted
 * machine the bundle lives in RAM and is gone at power-off, so after the report the
 * tarball is sent with one plain HTTP PUT (a WebDAV server with `dav_methods PUT`, an
 * S3 presigned URL, anything that stores a PUT body): `Content-Length` and
 * `Content-Type: application/gzip`, no authorisation header of our own — credentials in
 * the URL's userinfo go as HTTP Basic, an S3 signature is in the query. Retried like every
 * delivery (deliver.ts: shared/retry.ts's BACKOFF.delivery, shared/failure.ts's classes)
 * until the delivery deadline; a tarball over the size cap is not sent at all.
 *
 * The URL is a secret where it carries one: only `publicUrl()` (no userinfo, no query, no
 * fragment: an S3 presigned query string is a credential) is ever printed, journaled or
 * written to the report, and a refusal's body is scrubbed of the URL's secrets.
 */
import { statSync } from 'node:fs';
import { BmError } from '../shared/errors.ts';
import { classifyFailure, classifyHttpStatus, type FailureClass } from '../shared/failure.ts';
import { redact, registerSecret } from '../shared/redact.ts';
import { retryDelivery, type RetryOptions } from './deliver.ts';
import { formatBytes, MiB } from '../shared/units.ts';

/** Where the tarball goes, and its size cap. */
export interface EvidenceUploadTarget {
  /** The configured URL, secrets included (never printed: see publicUrl). */
  url: string;
  /** Larger tarballs are not sent (bm.report.evidence_max_mb). */
  maxBytes: number;
}

/** The URL as it may be shown: without userinfo, query and fragment (`https://dav.example/evidence/x.tar.gz`). Pure. */
export function publicUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return redact(url.replace(/[?#].*$/s, ''));
  }
}

/**
 * The secret parts of an upload URL: the userinfo's password and every query value long
 * enough to be a signature, credential or session token (S3's `X-Amz-Signature`,
 * `X-Amz-Credential`, `X-Amz-Security-Token`). Pure.
 */
export function urlSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    const secrets = [decodeURIComponent(parsed.password), parsed.password, ...[...parsed.searchParams.values()].filter((v) => v.length >= 20)];
    return [...new Set(secrets.filter((s) => s.length >= 4))];
  } catch {
    return [];
  }
}

/** Registers the URL's secrets with shared/redact.ts: any log line or message that echoes one is scrubbed. */
export function registerUrlSecrets(url: string): void {
  for (const secret of urlSecrets(url)) registerSecret(secret);
}

/** `text` without any secret of `url` (for bodies the far end echoes, e.g. S3's SignatureDoesNotMatch). Pure. */
function scrub(text: string, url: string): string {
  let out = text;
  for (const secret of urlSecrets(url)) out = out.split(secret).join('[REDACTED]');
  return redact(out);
}

/** The tarball is larger than the cap: not sent (permanent: it will not shrink). */
export class EvidenceTooLargeError extends BmError {
  override readonly name = 'EvidenceTooLargeError';
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(
      `the evidence bundle is ${formatBytes(bytes)}, over the cap of ${formatBytes(maxBytes)} (bm.report.evidence_max_mb): not uploaded; it is on this machine only`,
    );
  }

  override get failureClass(): FailureClass {
    return 'permanent';
  }

  override details(): Record<string, unknown> {
    return { bytes: this.bytes, maxBytes: this.maxBytes };
  }
}

/**
 * The evidence server answered non-2xx. 401 and 403 are permanent here, unlike NetBox's:
 * the URL itself is the credential (a presigned URL expired or mis-signed, a wrong
 * password in it), and no retry within this run can change it. Other statuses by the one
 * HTTP table (503 retried, 404/405/409 not).
 */
export class EvidenceHttpError extends BmError {
  override readonly name = 'EvidenceHttpError';
  constructor(
    readonly url: string,
    readonly status: number,
    body: string,
  ) {
    const text = scrub(body.replace(/\s+/g, ' ').trim().slice(0, 200), url);
    super(`evidence server answered ${status} to PUT ${publicUrl(url)}${text ? `: ${text}` : ''}`);
  }

  override get failureClass(): FailureClass {
    return this.status === 401 || this.status === 403 ? 'permanent' : classifyHttpStatus(this.status);
  }

  override details(): Record<string, unknown> {
    return { url: publicUrl(this.url), status: this.status };
  }
}

/**
 * No answer from the evidence server (refused, reset, DNS, TLS, a timeout): classified
 * like the underlying error, but carrying only a scrubbed message — fetch's own error
 * holds the whole URL, query secrets included.
 */
export class EvidenceNetworkError extends BmError {
  override readonly name = 'EvidenceNetworkError';
  readonly #failureClass: FailureClass;
  readonly code: string | undefined;
  constructor(url: string, error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    super(`PUT ${publicUrl(url)} failed: ${scrub(message, url)}`);
    this.#failureClass = classifyFailure(error);
    const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
    this.code = typeof code === 'string' ? code : undefined;
  }

  override get failureClass(): FailureClass {
    return this.#failureClass;
  }

  override details(): Record<string, unknown> {
    return this.code ? { code: this.code } : {};
  }
}

/** One attempt's time limit: 60 s plus the time the tarball takes at 1 MiB/s, never past the delivery deadline. Pure. */
export function attemptTimeoutMs(bytes: number, msToDeadline: number): number {
  return Math.max(1, Math.min(msToDeadline, 60_000 + Math.ceil((bytes / MiB) * 1000)));
}

/** One PUT of the file; throws EvidenceHttpError or EvidenceNetworkError. */
async function putOnce(url: string, path: string, bytes: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'PUT',
      body: Bun.file(path),
      headers: { 'Content-Type': 'application/gzip', 'Content-Length': String(bytes) },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      redirect: 'error',
    });
  } catch (error) {
    throw new EvidenceNetworkError(url, error);
  }
  if (!response.ok) throw new EvidenceHttpError(url, response.status, await response.text().catch(() => ''));
  await response.body?.cancel().catch(() => {});
}

/**
 * PUTs the tarball at `path` to the target, retried until the delivery deadline; returns
 * its size. Over the cap: EvidenceTooLargeError before anything is sent. Gives up with a
 * DeliveryError (deliver.ts) naming the last failure, scrubbed.
 */
export async function uploadEvidence(target: EvidenceUploadTarget, path: string, options: RetryOptions): Promise<{ bytes: number }> {
  const bytes = statSync(path).size;
  if (bytes > target.maxBytes) throw new EvidenceTooLargeError(bytes, target.maxBytes);
  const now = options.clock?.now ?? Date.now;
  await retryDelivery(() => putOnce(target.url, path, bytes, attemptTimeoutMs(bytes, options.deadline - now()), options.signal), options);
  return { bytes };
}
