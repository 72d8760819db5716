/** Journal entries on devices: what operators read to learn what the pipeline did. */
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
