/**
 * Journal entries on devices: what operators read to learn what the pipeline did.
 * Entries are posted at most once (createJournalEntryOnce): a duplicate misleads.
 */
import type { NetboxClient } from './client.ts';
import { listAll } from './pagination.ts';
import type { JournalEntry, JournalKind } from './types.ts';

export interface NewJournalEntry {
  deviceId: number;
  kind: JournalKind;
  /** Markdown. */
  comments: string;
}

/** Not retried: a POST that timed out may have landed, and a duplicate entry misleads. */
export async function createJournalEntry(client: NetboxClient, entry: NewJournalEntry): Promise<JournalEntry> {
  return client.post<JournalEntry>('/api/extras/journal-entries/', {
    assigned_object_type: 'dcim.device',
    assigned_object_id: entry.deviceId,
    kind: entry.kind,
    comments: entry.comments,
  });
}

/** The device's journal, oldest first (NetBox lists newest first; the simulator by id). */
export async function listDeviceJournal(client: NetboxClient, deviceId: number): Promise<JournalEntry[]> {
  const entries = await listAll<JournalEntry>(client, '/api/extras/journal-entries/', {
    assigned_object_type: 'dcim.device',
    assigned_object_id: deviceId,
  });
  return entries.sort((a, b) => a.id - b.id);
}

export interface JournalOnceOptions {
  /** An earlier attempt may have posted the entry (its POST timed out, the process died): look for the marker first. */
  retried: boolean;
  /**
   * One more reason not to post, judged on the device's journal (oldest first), which
   * is then read even on a first attempt; e.g. the hook's "this anomaly is already the
   * newest thing bm-hook said".
   */
  skipIf?: (journal: readonly JournalEntry[]) => boolean;
}

/** What createJournalEntryOnce did: posted, found the marker (an earlier attempt landed), or skipped by `skipIf`. */
export type JournalOnceOutcome = 'posted' | 'present' | 'skipped';

/**
 * Posts a journal entry at most once. The POST itself is never repeated (a timed-out
 * POST may have landed), so whoever repeats the work passes `retried: true`, and the
 * device's journal is first searched for `marker`, a string unique to this entry (an
 * event or run id) that the entry's comments must contain.
 */
export async function createJournalEntryOnce(
  client: NetboxClient,
  entry: NewJournalEntry,
  marker: string,
  options: JournalOnceOptions,
): Promise<JournalOnceOutcome> {
  if (!entry.comments.includes(marker)) throw new Error(`journal entry for device #${entry.deviceId} lacks its marker ${JSON.stringify(marker)} (a bug)`);
  if (options.retried || options.skipIf) {
    const journal = await listDeviceJournal(client, entry.deviceId);
    if (journal.some((j) => j.comments.includes(marker))) return 'present';
    if (options.skipIf?.(journal)) return 'skipped';
  }
  await createJournalEntry(client, entry);
  return 'posted';
}
