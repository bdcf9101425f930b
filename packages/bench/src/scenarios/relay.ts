// The relay: its throughput beside a bare kafkajs producer and a bare relay, where the CPU goes,
// and commit→ack latency at half load.
import { DATABASES, Service } from "@orderflow/system-tests/harness";
import { BARE_RELAY, bareProducer, startBareProcess } from "../bare.js";
import type { Bench } from "../context.js";
import { relayLatency, relayThroughput, type OutboxTable } from "../flow.js";
import { named, whereCpuGoes, type Named } from "../machine.js";
import type { Row } from "../report.js";
import { LOG, RELAY_BATCH_SIZE, RELAY_ROWS_PER_TX } from "../samples.js";
import { figure, round, type Figure } from "../stats.js";

export async function relayScenario(bench: Bench): Promise<Row[]> {
  const { P, kafka, services, stopAtEnd } = bench;
  const relay = await Service.start("outbox-relay", 3304, {
    ...LOG,
    RELAY_DATABASES: `order=${DATABASES.order}`,
    RELAY_BATCH_SIZE: String(RELAY_BATCH_SIZE),
  });
  services.push(relay);
  await relay.ready();
  const bareRelay = await startBareProcess("bare-relay.ts", [
    bench.brokers.join(","),
    kafka.main.physical(""),
    DATABASES.order,
  ]);
  stopAtEnd.push(bareRelay.stop);
  const cpu: Record<"producer" | "relay" | "bare", { display: string; total: number }> = {} as never; // the last run's, each
  const measured =
    (side: keyof typeof cpu, procs: Named[]) =>
    <T>(fn: () => Promise<T>) =>
      whereCpuGoes(procs, fn).then((r) => ((cpu[side] = r), r.result));
  const [bareProd, relayRate, bareRelayRate] = (await bench.interleaved([
    {
      what: "bare kafkajs producer (records/s)",
      fn: () => measured("producer", [])(() => bareProducer(kafka.main, "bench-bare", P.records)),
    },
    {
      what: "relay (rows/s)",
      fn: () => relayThroughput("outbox", "bench-relay", P.records, measured("relay", named([relay]))),
    },
    {
      what: "bare relay (rows/s)",
      fn: () =>
        relayThroughput(
          "bare_outbox",
          "bench-relay",
          P.records,
          measured("bare", [{ pid: bareRelay.pid, name: "bare relay" }]),
        ),
    },
  ])) as [Figure, Figure, Figure];
  const producerBaseline = { name: `bare kafkajs producer, acks=all, ${RELAY_BATCH_SIZE}/batch`, value: bareProd };
  const rows: Row[] = [
    {
      figure: "relay throughput",
      value: relayRate,
      unit: "rows/s",
      baseline: producerBaseline,
      target: "≥ 0.8× baseline",
    },
    {
      figure: `relay throughput alternative: ${BARE_RELAY}`,
      value: bareRelayRate,
      unit: "rows/s",
      baseline: producerBaseline,
    },
    {
      figure: "CPU busy during the bare producer runs / the relay runs / the bare relay runs (2 cores = 200%)",
      value: figure([cpu.relay.total]),
      display: `${cpu.producer.display} / ${cpu.relay.display} / ${cpu.bare.display}`,
      unit: "",
    },
    ...(await latencyRows(bench, relayRate, bareRelayRate)),
  ];
  await Promise.all([relay.stop(), bareRelay.stop()]);
  services.splice(services.indexOf(relay), 1);
  return rows;
}

/** One run gives both percentiles; each relay at half its own throughput, in turns. */
async function latencyRows(bench: Bench, relayRate: Figure, bareRelayRate: Figure): Promise<Row[]> {
  const p99s: Record<OutboxTable, number[]> = { outbox: [], bare_outbox: [] };
  const committed: Record<OutboxTable, number[]> = { outbox: [], bare_outbox: [] };
  let from = "";
  const latencyAt = (table: OutboxTable, rate: Figure) => async () => {
    const l = await relayLatency(table, "bench-relay", rate.median / 2, bench.P.windowMs);
    p99s[table].push(l.p99);
    committed[table].push(l.committedPerSecond);
    from = l.from;
    return l.p50;
  };
  const committedRate = (t: OutboxTable) =>
    `${round(figure(committed[t]).median, 0)} rows/s committed, ${RELAY_ROWS_PER_TX} per transaction (asked: ${round((t === "outbox" ? relayRate : bareRelayRate).median / 2, 0)}), from each row's ${from}`;
  const [lat, bareLat] = (await bench.interleaved([
    { what: "relay commit→ack p50 at half load (ms)", fn: latencyAt("outbox", relayRate) },
    { what: "bare relay commit→ack p50 at half its own throughput (ms)", fn: latencyAt("bare_outbox", bareRelayRate) },
  ])) as [Figure, Figure];
  return [
    {
      figure: `relay commit→ack p50, half load (${committedRate("outbox")})`,
      value: lat,
      unit: "ms",
      target: "≤ 5 ms",
    },
    { figure: "relay commit→ack p99, half load", value: figure(p99s.outbox), unit: "ms", target: "≤ 25 ms" },
    {
      figure: `relay commit→ack p50 / p99 at half its own throughput (${committedRate("bare_outbox")}), ${BARE_RELAY}`,
      value: bareLat,
      display: `${round(bareLat.median)} / ${round(figure(p99s.bare_outbox).median)}`,
      unit: "ms",
    },
  ];
}
