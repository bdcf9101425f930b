// What both relay workers' loops share: a pause that stop() cuts short, and failures logged once
// per change of state rather than once per retry.
import type { Logger } from "pino";

export class WakeableDelay {
  private wake: (() => void) | undefined;

  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = undefined;
    });
  }

  /** ends the pause in progress, if any */
  cut(): void {
    this.wake?.();
  }
}

export class FailureLog {
  /** the last failure's message (or a worker's own state name); undefined while healthy */
  state: string | undefined;

  constructor(private readonly log: Logger) {}

  failed(err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    if (this.state !== msg) this.log.error({ err }, "outbox relay failing; retrying");
    this.state = msg;
  }

  recovered(): void {
    if (this.state) this.log.info("outbox relay recovered");
    this.state = undefined;
  }
}
