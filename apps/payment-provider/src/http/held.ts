// Answers the simulator withholds ("lost answers"): the request was applied, the client never
// hears back. Each connection is held, then dropped; shutdown drops them all at once.
import type { Response } from "express";

export class HeldAnswers {
  private readonly held = new Set<Response>();

  /** keep the connection open for `ms` without answering, then drop it (0: drop it now) */
  hold(res: Response, ms: number): void {
    if (ms <= 0) return void res.socket?.destroy();
    this.held.add(res);
    const timer = setTimeout(() => this.drop(res), ms);
    timer.unref();
    res.once("close", () => {
      clearTimeout(timer);
      this.held.delete(res);
    });
  }

  get size(): number {
    return this.held.size;
  }

  dropAll(): void {
    for (const res of [...this.held]) this.drop(res);
  }

  private drop(res: Response): void {
    this.held.delete(res);
    res.socket?.destroy();
  }
}
