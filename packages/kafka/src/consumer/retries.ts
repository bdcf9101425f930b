// Handling one record: the handler on a run of one, tried again with backoff while its failure is
// retriable, and waiting out a dependency's outage without spending the record's attempts.
import type { TopicName } from "@orderflow/contracts";
import type { Logger } from "pino";
import type { Failure } from "../dead-letter.js";
import { errorClass, errorMessage, type ErrorClassifier } from "../errors.js";
import { backoffDelay, type RetryPolicy } from "../retry.js";
import { pause, type BatchIo } from "./io.js";
import type { ConsumerObserver, IncomingEvent, RunHandler } from "./types.js";

export interface RetryDeps {
  handler: RunHandler;
  errors: ErrorClassifier;
  policy: RetryPolicy;
  group: string;
  observer?: ConsumerObserver | undefined;
}

/** One wait of a dependency outage: the record (or run) stays uncommitted and the member keeps
 *  heartbeating, with capped exponential backoff, for as long as the outage lasts. */
export async function waitOutOutage(
  deps: RetryDeps,
  waits: number,
  err: unknown,
  log: Logger,
  topic: TopicName,
  io: BatchIo,
): Promise<void> {
  if (waits === 1)
    log.warn(
      { errorClass: errorClass(err), errorMessage: errorMessage(err) },
      "dependency unavailable; waiting for it without dead-lettering",
    );
  deps.observer?.retry?.({ group: deps.group, topic });
  const { initialDelayMs, maxDelayMs } = deps.policy;
  await pause(Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(waits - 1, 16)), io);
}

/** Handles `incoming` alone until it succeeds (undefined) or has failed for good (the failure to
 *  dead-letter it with). `firstFailure` is the error of a first attempt made already (the record
 *  as a run of one in a combined call): the record goes on from its second attempt. */
export async function handleWithRetries(
  deps: RetryDeps,
  incoming: IncomingEvent,
  log: Logger,
  io: BatchIo,
  firstFailure?: { err: unknown },
): Promise<Failure | undefined> {
  const { policy, errors } = deps;
  const ctx = { log, logFor: () => log, heartbeat: io.heartbeat };
  let firstFailureAt: Date | undefined;
  let outageWaits = 0;
  let madeAlready = firstFailure;
  for (let attempt = 1; ; attempt++) {
    try {
      if (madeAlready) {
        const { err } = madeAlready;
        madeAlready = undefined;
        throw err;
      }
      await deps.handler([incoming], ctx);
      if (outageWaits > 0) log.info({ outageWaits }, "dependency back; record handled");
      return undefined;
    } catch (err) {
      if (errors.isOutage(err)) {
        // the database (or another dependency) is away: the record is not at fault
        attempt--;
        await waitOutOutage(deps, ++outageWaits, err, log, incoming.topic, io);
        continue;
      }
      const now = new Date();
      firstFailureAt ??= now;
      const retriable = errors.isRetriable(err);
      const delay = backoffDelay(attempt, policy);
      const outOfTime = now.getTime() - firstFailureAt.getTime() + delay > policy.maxTotalMs;
      if (!retriable || attempt >= policy.maxAttempts || outOfTime) {
        log.error({ err, attempts: attempt, retriable }, "handler failed; dead-lettering");
        return {
          errorClass: errorClass(err),
          errorMessage: errorMessage(err),
          attempts: attempt,
          firstFailureAt,
          lastFailureAt: now,
        };
      }
      log.warn(
        { errorClass: errorClass(err), errorMessage: errorMessage(err), attempt, retryInMs: delay },
        "handler failed; retrying",
      );
      deps.observer?.retry?.({ group: deps.group, topic: incoming.topic });
      await pause(delay, io);
    }
  }
}
