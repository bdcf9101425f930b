// The benchmark's settings, read once: which profile, and which brokers (the local stack's by default).
export const PROFILES = {
  short: { repeats: 3, records: 5_000, windowMs: 5_000, sagaWindowMs: 20_000, concurrency: 16 },
  full: { repeats: 5, records: 20_000, windowMs: 15_000, sagaWindowMs: 10 * 60_000, concurrency: 16 },
} as const;

export type ProfileName = keyof typeof PROFILES;

export function loadBenchEnv(source: NodeJS.ProcessEnv = process.env): { profileName: ProfileName; brokers: string[] } {
  const profileName = (source.BENCH_PROFILE ?? "short") as ProfileName;
  if (!(profileName in PROFILES)) throw new Error(`BENCH_PROFILE must be one of ${Object.keys(PROFILES).join(", ")}`);
  return { profileName, brokers: (source.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",") };
}
