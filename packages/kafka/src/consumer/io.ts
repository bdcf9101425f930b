// What the record path and the runs need of the partition batch in hand, and how they give up
// when it goes away.
import { waitWithHeartbeat } from "../retry.js";

export interface BatchIo {
  heartbeat(): Promise<void>;
  /** false once the consumer stops or the batch went stale */
  keepGoing(): boolean;
}

/** The batch was given up while a record waited (the consumer stops, or the partition moved):
 *  the record stays uncommitted for the partition's next owner. */
export class Aborted extends Error {}

/** Waits `ms`, heartbeating; throws Aborted when the batch is given up meanwhile. */
export async function pause(ms: number, io: BatchIo): Promise<void> {
  if (!(await waitWithHeartbeat(ms, io.heartbeat, io.keepGoing))) throw new Aborted();
}
