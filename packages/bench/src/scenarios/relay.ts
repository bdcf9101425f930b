// The relay in both modes: its throughput beside a bare kafkajs producer and a bare relay, where
// the CPU goes, and commit→ack latency at half of each one's own throughput.
import { DATABASES, Service } from "@orderflow/system-tests/harness";
import { BARE_RELAY, bareProducer, startBareProcess } from "../bare.js";
import type { Bench } from "../context.js";
import { relayLatency, relayThroughput, type RelayUnderTest } from "../flow.js";
import { named, whereCpuGoes, type Named } from "../machine.js";
import type { Row } from "../report.js";
import { dropSlots, LOG, RELAY_BATCH_SIZE, RELAY_ROWS_PER_TX, slotPrefix } from "../samples.js";
import { figure, round, type Figure } from "../stats.js";

type Side = "poll" | "wal" | "bare";
const LABEL: Record<Side, string> = {
  poll: "relay, poll mode",
  wal: "relay, wal mode (the default)",
  bare: BARE_RELAY,
};

/** the poll relay, the wal relay and the bare relay, each on its own database or table */
async function startRelays(bench: Bench) {
  const common = { ...LOG, RELAY_BATCH_SIZE: String(RELAY_BATCH_SIZE) };
  // each mode on a database of its own: a wal relay's slot would otherwise also stream the poll runs' rows
  const [poll, wal] = await Promise.all([
    Service.start("outbox-relay", 3304, { ...common, RELAY_MODE: "poll", RELAY_DATABASES: `order=${DATABASES.order}` }),
    Service.start("outbox-relay", 3309, {
      ...common,
      RELAY_MODE: "wal",
      RELAY_SLOT_PREFIX: slotPrefix("relay"),
      RELAY_DATABASES: `payment=${DATABASES.payment}`,
    }),
  ]);
  bench.services.push(poll, wal);
  await Promise.all([poll.ready(), wal.ready()]);
  const bare = await startBareProcess("bare-relay.ts", [
    bench.brokers.join(","),
    bench.kafka.main.physical(""),
    DATABASES.order,
  ]);
  bench.stopAtEnd.push(bare.stop);
  const relays: Record<Side, RelayUnderTest> = {
    poll: { db: "order", table: "outbox", pid: poll.proc.pid! },
    wal: { db: "payment", table: "outbox", pid: wal.proc.pid! },
    bare: { db: "order", table: "bare_outbox", pid: bare.pid },
  };
  const procs: Record<Side, Named[]> = {
    poll: named([poll]),
    wal: named([wal]),
    bare: [{ pid: bare.pid, name: "bare relay" }],
  };
  const stop = async () => {
    await Promise.all([poll.stop(), wal.stop(), bare.stop()]);
    for (const s of [poll, wal]) bench.services.splice(bench.services.indexOf(s), 1);
    // its slot would hold the WAL of every later part
    await dropSlots(slotPrefix("relay"));
  };
  return { relays, procs, stop };
}

export async function relayScenario(bench: Bench): Promise<Row[]> {
  const { P, kafka } = bench;
  const { relays, procs, stop } = await startRelays(bench);
  const cpu = {} as Record<Side | "producer", { display: string; total: number }>; // the last run's, each
  const measured =
    (side: keyof typeof cpu, on: Named[]) =>
    <T>(fn: () => Promise<T>) =>
      whereCpuGoes(on, fn).then((r) => ((cpu[side] = r), r.result));
  const throughput = (side: Side) => ({
    what: `${LABEL[side]} (rows/s)`,
    fn: () => relayThroughput(relays[side], kafka.main, P.records, measured(side, procs[side])),
  });
  const [bareProd, pollRate, walRate, bareRelayRate] = (await bench.interleaved([
    {
      what: "bare kafkajs producer (records/s)",
      fn: () => measured("producer", [])(() => bareProducer(kafka.main, "bench-bare", P.records)),
    },
    throughput("poll"),
    throughput("wal"),
    throughput("bare"),
  ])) as [Figure, Figure, Figure, Figure];
  const rates: Record<Side, Figure> = { poll: pollRate, wal: walRate, bare: bareRelayRate };
  const producerBaseline = { name: `bare kafkajs producer, acks=all, ${RELAY_BATCH_SIZE}/batch`, value: bareProd };
  const rows: Row[] = [
    {
      figure: "relay throughput, wal mode (the default)",
      value: walRate,
      unit: "rows/s",
      baseline: producerBaseline,
      target: "≥ 0.9× baseline",
    },
    { figure: "relay throughput, poll mode", value: pollRate, unit: "rows/s", baseline: producerBaseline },
    {
      figure: `relay throughput alternative: ${BARE_RELAY}`,
      value: bareRelayRate,
      unit: "rows/s",
      baseline: producerBaseline,
    },
    {
      figure:
        "CPU busy during the bare producer runs / the wal relay runs / the poll relay runs / the bare relay runs (2 cores = 200%)",
      value: figure([cpu.wal.total]),
      display: [cpu.producer, cpu.wal, cpu.poll, cpu.bare].map((c) => c.display).join(" / "),
      unit: "",
    },
    ...(await latencyRows(bench, relays, rates)),
  ];
  await stop();
  return rows;
}

/** One run gives both percentiles; each relay at half its own throughput, in turns. */
async function latencyRows(
  bench: Bench,
  relays: Record<Side, RelayUnderTest>,
  rates: Record<Side, Figure>,
): Promise<Row[]> {
  const p99s: Record<Side, number[]> = { poll: [], wal: [], bare: [] };
  const committed: Record<Side, number[]> = { poll: [], wal: [], bare: [] };
  const latencyAt = (side: Side) => ({
    what: `${LABEL[side]} commit→ack p50 at half its own throughput (ms)`,
    fn: async () => {
      const l = await relayLatency(relays[side], bench.kafka.main, rates[side].median / 2, bench.P.windowMs);
      p99s[side].push(l.p99);
      committed[side].push(l.committedPerSecond);
      return l.p50;
    },
  });
  const [wal, poll, bare] = (await bench.interleaved([latencyAt("wal"), latencyAt("poll"), latencyAt("bare")])) as [
    Figure,
    Figure,
    Figure,
  ];
  const p50s: Record<Side, Figure> = { poll, wal, bare };
  const row = (side: Side, target?: string): Row => ({
    figure: `${side === "bare" ? "" : "relay "}commit→ack p50 / p99 at half its own throughput, ${LABEL[side]} (${round(figure(committed[side]).median, 0)} rows/s committed, ${RELAY_ROWS_PER_TX} per transaction (asked: ${round(rates[side].median / 2, 0)}), each row's commit to the broker's append of its record)`,
    value: p50s[side],
    also: figure(p99s[side]),
    unit: "ms",
    ...(target ? { target } : {}),
  });
  return [row("wal", "≤ 5 / ≤ 25 ms"), row("poll"), row("bare")];
}
