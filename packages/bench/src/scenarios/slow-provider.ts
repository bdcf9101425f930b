// Payment with its card provider answering in SLOW_PROVIDER_MS (it calls the provider outside its
// transaction, the calls of a run's orders together): the consumer on a backlog, in turns with a
// provider answering at once; then the whole flow at the saga part's load.
import type { Bench } from "../context.js";
import {
  hopLatencies,
  paymentFromBacklog,
  placedToShipped,
  sagasAtSaturation,
  shippedCount,
  startProvider,
  startSaga,
} from "../flow.js";
import { openLoop } from "../load.js";
import type { Row } from "../report.js";
import { now, post, SLOW_PROVIDER_MS, slotPrefix, sql } from "../samples.js";
import { figure, percentiles, round, type Figure } from "../stats.js";
import { ensureTopics } from "@orderflow/kafka";

export async function slowProviderScenario(bench: Bench): Promise<Row[]> {
  return [...(await consumerRows(bench)), ...(await flowRows(bench))];
}

async function consumerRows(bench: Bench): Promise<Row[]> {
  const fast = await startProvider(3355, 0);
  const slow = await startProvider(3357, SLOW_PROVIDER_MS);
  bench.services.push(fast.service, slow.service);
  await ensureTopics(bench.kafka.slowPayment);
  await sql("payment", "TRUNCATE payments, inbox, outbox");
  const n = bench.P.slowProviderRecords;
  const [slowRate, fastRate] = (await bench.interleaved([
    {
      what: `payment consumer with inbox, provider answering in ${SLOW_PROVIDER_MS} ms (events/s)`,
      fn: (i) => paymentFromBacklog(bench.kafka.slowPayment, slow.paymentEnv, 3360 + 2 * i, n),
    },
    {
      what: "payment consumer with inbox, provider answering at once (events/s)",
      fn: (i) => paymentFromBacklog(bench.kafka.slowPayment, fast.paymentEnv, 3361 + 2 * i, n),
    },
  ])) as [Figure, Figure];
  await Promise.all([fast.service.stop(), slow.service.stop()]);
  return [
    {
      figure: `consumer with inbox (payment, provider answering in ${SLOW_PROVIDER_MS} ms)`,
      value: slowRate,
      unit: "events/s",
      baseline: { name: "the same, provider answering at once (in turns)", value: fastRate },
    },
  ];
}

async function flowRows(bench: Bench): Promise<Row[]> {
  const rows: Row[] = [];
  const flow = await startSaga(
    bench.kafka.slowSaga,
    { order: 3351, payment: 3352, shipping: 3353, relay: 3354, projection: 3358, provider: 3356 },
    SLOW_PROVIDER_MS,
    slotPrefix("slow_saga"),
  );
  bench.services.push(...flow.all);
  let rate: number;
  let load: string;
  if (bench.shared.sagaHalfRate !== undefined) {
    rate = bench.shared.sagaHalfRate;
    load = "the saga part's half load, above";
    // warm-up (JIT, pools), as the saga part's saturation runs warmed its services
    const w = await now();
    await openLoop(post(flow.order), { ratePerSecond: rate, durationMs: 3000 });
    await placedToShipped(w);
  } else {
    const sat = await bench.repeat(
      `completed sagas/s at saturation, provider answering in ${SLOW_PROVIDER_MS} ms`,
      () => sagasAtSaturation(bench.P, post(flow.order), shippedCount),
    );
    rows.push({
      figure: `completed sagas/s, provider answering in ${SLOW_PROVIDER_MS} ms`,
      value: sat,
      unit: "sagas/s",
    });
    rate = sat.median / 2;
    load = "half its own max sustainable rate";
  }
  const window = Math.min(bench.P.sagaWindowMs, 60_000);
  const from = await now();
  bench.progress(`saga, provider answering in ${SLOW_PROVIDER_MS} ms: ${round(rate)} orders/s for ${window / 1000} s`);
  await openLoop(post(flow.order), { ratePerSecond: rate, durationMs: window });
  const lat = await placedToShipped(from);
  const e2e = percentiles(lat);
  const hops = await hopLatencies(from, lat.length);
  await flow.stop();
  const at = `provider answering in ${SLOW_PROVIDER_MS} ms, ${round(rate, 0)} orders/s (${load})`;
  rows.push({
    figure: `placed→shipped p50 / p99, ${at}`,
    value: figure([e2e.p50]),
    display: `${round(e2e.p50)} / ${round(e2e.p99)}`,
    unit: "ms",
  });
  rows.push({
    figure: `placed→shipped by hop, p50 / p99, ${at}`,
    value: figure([hops.sumOfP50s]),
    display: hops.display,
    unit: "ms",
  });
  return rows;
}
