/**
 * Where 03-disk's evidence goes in the bundle, named once for the step, the
 * planner (gather.ts) and anything that re-reads a bundle (`bm-agent evaluate`).
 */

/** `lsblk --json` of every block device. */
export const LSBLK_EVIDENCE = '03-disk/lsblk.json';
/** The guard's plan with the settings it was made with. */
export const PLAN_EVIDENCE = '03-disk/plan.json';
/** `wipefs --no-act --json` of one disk (kernel name, e.g. `nvme0n1`). */
export const wipefsEvidence = (disk: string) => `03-disk/wipefs-${disk}.json`;
/** fio's JSON report for one disk. */
export const fioEvidence = (disk: string) => `03-disk/fio-${disk}.json`;
