/**
 * The verdict in NetBox custom fields, so a datacenter can filter "failed this week" in
 * NetBox's device list: written when the operator has created the fields (docs/netbox.md
 * says how), together with the status change in one device PATCH (one request, one change
 * record). Which fields exist is read from the device itself: NetBox returns every custom
 * field defined for devices in `custom_fields` (null when unset), so a field missing there
 * is not written, and no permission beyond the status change's `change dcim.device` is
 * needed. NetBox refusing the fields (400: a wrong type, a selection without our values)
 * is reported, never fatal: the status change is then made on its own.
 */
import { NetboxHttpError } from '../shared/netbox/errors.ts';
import { type NetboxClient, updateDevice } from '../shared/netbox/index.ts';
import type { Device } from '../shared/netbox/types.ts';
import { DeliveryError, deliverStatus, retryDelivery, type RetryOptions, whyNotDelivered } from './deliver.ts';
import type { DeliveryRecord, Verdict } from './report.ts';

/**
 * The documented custom fields (object type dcim.device) and what each gets:
 * - `bm_last_validated` (Date & time): when the run finished;
 * - `bm_validation_result` (Selection with choices pass, fail, error — or Text): the verdict;
 * - `bm_report_url` (URL): where the evidence bundle was uploaded (bm.evidence_url, without
 *   credentials or query), null when this run uploaded none.
 */
export const VERDICT_FIELDS = {
  lastValidated: 'bm_last_validated',
  result: 'bm_validation_result',
  reportUrl: 'bm_report_url',
} as const;

export interface RunVerdict {
  finishedAt: string;
  verdict: Verdict;
  /** The uploaded evidence bundle's public URL, or null. */
  reportUrl: string | null;
}

/** The values to write: only for the verdict fields the device has (keys of its `custom_fields`). Pure. */
export function verdictCustomFields(device: Pick<Device, 'custom_fields'> | undefined, run: RunVerdict): Record<string, unknown> {
  const present = new Set(Object.keys(device?.custom_fields ?? {}));
  const values: Record<string, unknown> = {
    [VERDICT_FIELDS.lastValidated]: run.finishedAt,
    [VERDICT_FIELDS.result]: run.verdict,
    [VERDICT_FIELDS.reportUrl]: run.reportUrl,
  };
  return Object.fromEntries(Object.entries(values).filter(([name]) => present.has(name)));
}

/** NetBox refused the request as invalid (400): the PATCH's content, not NetBox being away. */
function isRefusedAsInvalid(error: unknown): boolean {
  const cause = error instanceof DeliveryError ? error.cause : error;
  return cause instanceof NetboxHttpError && cause.status === 400;
}

/**
 * What writeDeviceResult did: the status change's record (when one was asked), the custom
 * fields' (when any exist), and the errors of failed deliveries (for the step's cause).
 */
export interface DeviceResultOutcome {
  status?: DeliveryRecord;
  customFields?: DeliveryRecord;
  failures: unknown[];
}

const FIELDS_WHAT = 'verdict custom fields';

/**
 * Sets the status (null: leave it) and the verdict custom fields in one PATCH, retried like
 * every delivery. A 400 on the combined PATCH: the status is set alone and the fields are
 * `skipped` with NetBox's reason. Without a status change, the fields' PATCH failing is
 * `skipped` too: the fields never fail a run.
 */
export async function writeDeviceResult(
  client: NetboxClient,
  deviceId: number,
  change: { status: string | null; customFields: Record<string, unknown> },
  options: Omit<RetryOptions, 'what'>,
): Promise<DeviceResultOutcome> {
  const names = Object.keys(change.customFields);
  const fieldsWritten: Pick<DeviceResultOutcome, 'customFields'> = names.length
    ? { customFields: { what: FIELDS_WHAT, outcome: 'delivered', detail: names.join(', ') } }
    : {};
  const fieldsSkipped = (detail: string) => ({ customFields: { what: FIELDS_WHAT, outcome: 'skipped', detail } as const });
  const { status } = change;
  if (!status) {
    if (!names.length) return { failures: [] };
    try {
      await retryDelivery(() => updateDevice(client, deviceId, { custom_fields: change.customFields }), { ...options, what: FIELDS_WHAT });
      return { ...fieldsWritten, failures: [] };
    } catch (error) {
      return { ...fieldsSkipped(whyNotDelivered(error)), failures: [] };
    }
  }
  const statusWhat = `status → ${status}`;
  const statusAlone = async (): Promise<DeviceResultOutcome> => {
    try {
      await deliverStatus(client, deviceId, status, { ...options, what: statusWhat });
      return { status: { what: statusWhat, outcome: 'delivered', detail: 'set' }, failures: [] };
    } catch (error) {
      return { status: { what: statusWhat, outcome: 'failed', detail: whyNotDelivered(error) }, failures: [error] };
    }
  };
  if (!names.length) return statusAlone();
  try {
    await retryDelivery(() => updateDevice(client, deviceId, { status, custom_fields: change.customFields }), { ...options, what: statusWhat });
    return { status: { what: statusWhat, outcome: 'delivered', detail: 'set' }, ...fieldsWritten, failures: [] };
  } catch (error) {
    if (!isRefusedAsInvalid(error)) {
      return {
        status: { what: statusWhat, outcome: 'failed', detail: whyNotDelivered(error) },
        ...fieldsSkipped('the device PATCH did not land'),
        failures: [error],
      };
    }
    // Which part NetBox refused is only known by trying the status alone.
    return { ...(await statusAlone()), ...fieldsSkipped(`NetBox refused them: ${error instanceof DeliveryError ? error.lastError : whyNotDelivered(error)}`) };
  }
}
