// Per-key parking: once a record of key K is dead-lettered in a group, the group's later records
// of K are dead-lettered as "parked" behind it instead of being processed out of order, until a
// redrive (or discard) of K releases the key. The store must be durable and shared by every
// member of the group (a rebalance moves partitions): services keep it in their database.

/** The record a key is parked behind. */
export interface ParkedAt {
  topic: string;
  partition: number;
  offset: string;
  /** set when the record failed while being redriven by this redrive */
  redriveId: string | null;
}

export interface KeyParking {
  /** the parked keys among `keys` (one lookup per batch) */
  blocked(keys: string[]): Promise<Map<string, ParkedAt>>;
  /** park `key` behind `at` (replacing an earlier entry) */
  block(key: string, at: ParkedAt): Promise<void>;
  /** unpark `key` for the end of redrive `redriveId`; false when that redrive's own head failed
   *  again, so the key stays parked */
  release(key: string, redriveId: string): Promise<boolean>;
  /** let go of what it holds (a listening connection, say); the consumer calls it on stop */
  close?(): Promise<void>;
}

/** For tests and single-process tools: forgets everything on restart. */
export function memoryKeyParking(): KeyParking & { entries: Map<string, ParkedAt> } {
  const entries = new Map<string, ParkedAt>();
  return {
    entries,
    async blocked(keys) {
      return new Map(keys.filter((k) => entries.has(k)).map((k) => [k, entries.get(k)!]));
    },
    async block(key, at) {
      entries.set(key, at);
    },
    async release(key, redriveId) {
      const at = entries.get(key);
      if (at && at.redriveId === redriveId) return false;
      entries.delete(key);
      return true;
    },
  };
}
