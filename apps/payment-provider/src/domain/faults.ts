// The faults the simulator injects and the seeded dice that choose them, so a run with the same
// seed and the same requests meets the same faults.
import { z } from "zod";

export interface FaultSettings {
  /** delay before every answer */
  latencyMs: number;
  /** share of requests answered 503 with nothing applied */
  errorRate: number;
  /** share of requests applied and recorded whose answer is never sent */
  lostAnswerRate: number;
  /** how long a lost answer holds its connection before dropping it */
  lostAnswerHoldMs: number;
}

const rate = z
  .number({ error: "must be a number from 0 to 1" })
  .min(0, "must be a number from 0 to 1")
  .max(1, "must be a number from 0 to 1");
const millis = z
  .number({ error: "must be a whole number of milliseconds" })
  .int("must be a whole number of milliseconds")
  .nonnegative("must not be negative")
  .max(3_600_000, "must be at most an hour");

/** PUT /admin/faults: the fields given change, the others keep their value; `seed` restarts the dice */
export const FaultUpdate = z.strictObject({
  latencyMs: millis.optional(),
  errorRate: rate.optional(),
  lostAnswerRate: rate.optional(),
  lostAnswerHoldMs: millis.optional(),
  seed: z
    .number()
    .int("must be a whole number")
    .nonnegative("must not be negative")
    .max(0xffff_ffff, "must fit in 32 bits")
    .optional(),
});
export type FaultUpdate = z.infer<typeof FaultUpdate>;

/** mulberry32: a small, fast 32-bit PRNG; good enough for dice, and reproducible from its seed */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Dice {
  /** answer 503, apply nothing */
  error: boolean;
  /** apply, then never answer */
  lost: boolean;
}

export class Faults {
  private settings: FaultSettings;
  private seed: number;
  private random: () => number;

  constructor(initial: FaultSettings, seed: number) {
    this.settings = { ...initial };
    this.seed = seed;
    this.random = seededRandom(seed);
  }

  current(): FaultSettings & { seed: number } {
    return { ...this.settings, seed: this.seed };
  }

  update(change: FaultUpdate): FaultSettings & { seed: number } {
    const { seed, ...rest } = change;
    this.settings = {
      ...this.settings,
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    };
    if (seed !== undefined) {
      this.seed = seed;
      this.random = seededRandom(seed);
    }
    return this.current();
  }

  /** Two draws for every request, whatever the rates, so the sequence of faults depends only on
   *  the seed and the order of requests. */
  roll(): Dice {
    const e = this.random();
    const l = this.random();
    return { error: e < this.settings.errorRate, lost: l < this.settings.lostAnswerRate };
  }
}
