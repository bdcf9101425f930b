// The benchmark's settings, read once: which profile, and which brokers (the local stack's by default).
// slowProviderRecords: the backlog of each payment run in the slow-provider part (a few seconds' worth)
export const PROFILES = {
  short: {
    repeats: 3,
    records: 5_000,
    windowMs: 5_000,
    sagaWindowMs: 20_000,
    concurrency: 16,
    slowProviderRecords: 2_000,
  },
  full: {
    repeats: 5,
    records: 20_000,
    windowMs: 15_000,
    sagaWindowMs: 10 * 60_000,
    concurrency: 16,
    slowProviderRecords: 5_000,
  },
} as const;

export type ProfileName = keyof typeof PROFILES;

/** what one run measures (BENCH_PARTS, comma-separated; all by default); `slow-provider` is
 *  payment, and the saga, with the card provider answering in 50 ms */
export const BENCH_PARTS = ["relay", "consumer", "orders", "saga", "slow-provider"] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

export function loadBenchEnv(source: NodeJS.ProcessEnv = process.env): {
  profileName: ProfileName;
  brokers: string[];
  parts: Set<BenchPart>;
} {
  const profileName = (source.BENCH_PROFILE ?? "short") as ProfileName;
  if (!(profileName in PROFILES)) throw new Error(`BENCH_PROFILE must be one of ${Object.keys(PROFILES).join(", ")}`);
  const parts = (source.BENCH_PARTS ?? BENCH_PARTS.join(","))
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = parts.filter((p) => !(BENCH_PARTS as readonly string[]).includes(p));
  if (unknown.length || parts.length === 0)
    throw new Error(
      `BENCH_PARTS must be a comma-separated list of ${BENCH_PARTS.join(", ")} (got "${source.BENCH_PARTS}")`,
    );
  return {
    profileName,
    brokers: (source.KAFKA_BROKERS ?? "127.0.0.1:19092").split(","),
    parts: new Set(parts as BenchPart[]),
  };
}

/** A probe's knobs (`src/probe/`, run by hand): `PROBE_*`, with that probe's defaults. */
export function loadProbeEnv(
  defaults: { rate: number; rounds: number; windowMs: number; variants: string },
  source: NodeJS.ProcessEnv = process.env,
): {
  rate: number;
  rounds: number;
  windowMs: number;
  preloadS: number;
  variants: string;
  serviceEnv: string;
  serviceEnvB: string | undefined;
} {
  return {
    rate: Number(source.PROBE_RATE ?? defaults.rate),
    rounds: Number(source.PROBE_ROUNDS ?? defaults.rounds),
    windowMs: Number(source.PROBE_WINDOW_MS ?? defaults.windowMs),
    preloadS: Number(source.PROBE_PRELOAD_S ?? 0),
    variants: source.PROBE_VARIANTS ?? defaults.variants,
    serviceEnv: source.PROBE_SERVICE_ENV ?? "",
    serviceEnvB: source.PROBE_SERVICE_ENV_B,
  };
}
