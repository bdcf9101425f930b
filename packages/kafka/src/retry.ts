export interface RetryPolicy {
  /** handler attempts in all, the first included */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** no new attempt starts once this much time has passed since the first failure */
  maxTotalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  maxTotalMs: 30_000,
};

/** Exponential backoff with full jitter: a random delay in [0, min(max, initial · 2^(n-1))]. */
export function backoffDelay(failedAttempts: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.floor(random() * ceiling);
}

/** Wait `ms`, heartbeating so the group does not consider this member dead; stops early when
 *  `keepGoing` turns false (the consumer is stopping or the batch went stale). */
export async function waitWithHeartbeat(
  ms: number,
  heartbeat: () => Promise<void>,
  keepGoing: () => boolean,
  heartbeatEveryMs = 1000,
): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!keepGoing()) return false;
    await new Promise((r) => setTimeout(r, Math.min(heartbeatEveryMs, until - Date.now())));
    await heartbeat();
  }
  return keepGoing();
}

/** true if `p` settled (either way) within `ms`; its outcome is not looked at */
export async function settledWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}
