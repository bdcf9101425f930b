// POST /orders beside pgbench of the statement it sends, with an Idempotency-Key on every request
// (what a client sends) and without one, and a bare node:http + pg server sending the same.
import { anOrder, AUTHORIZATION, DATABASES, Service } from "@orderflow/system-tests/harness";
import { startBareOrderServer } from "../bare.js";
import type { Bench } from "../context.js";
import { openLoopInChild, wrkClosedLoop } from "../load.js";
import { KEYED_PGBENCH_OPTIONS, pgbench, placeOrderKeyedScript, placeOrderScript } from "../pgbench.js";
import type { Row } from "../report.js";
import { LOG } from "../samples.js";
import { figure, round, type Figure } from "../stats.js";

/** pgbench of the statement a keyed POST /orders sends, as one repeat: the orders' baseline and the saga's */
export function keyedStatementRun(bench: Bench): { what: string; fn: () => Promise<number> } {
  const { P } = bench;
  return {
    what: `pgbench POST /orders keyed statement, ${P.concurrency} clients (tps)`,
    fn: () =>
      pgbench(DATABASES.order, placeOrderKeyedScript(), P.concurrency, P.windowMs / 1000, KEYED_PGBENCH_OPTIONS),
  };
}

/** POST /orders latency from an open loop in a process of its own, so the bench's own pauses are
 *  not counted as the service's */
async function halfLoadLatency(order: Service, ratePerSecond: number, durationMs: number) {
  const r = await openLoopInChild(order.url("/orders"), {
    body: anOrder(),
    headers: { authorization: AUTHORIZATION },
    ratePerSecond,
    durationMs,
  });
  return r.latencyMs;
}

export async function ordersScenario(bench: Bench): Promise<Row[]> {
  const { P } = bench;
  const order = await Service.start("order", 3301, { ...LOG, DATABASE_URL: DATABASES.order });
  bench.services.push(order);
  await order.ready();
  // side by side: what a bare Node.js server gets with the same statement, load and machine
  const bare = await startBareOrderServer(3399);
  bench.stopAtEnd.push(bare.stop);
  const auth = { authorization: AUTHORIZATION };
  const wrkPost =
    (url: string, headers: Record<string, string>, idempotencyKeys: boolean, durationMs: number = P.windowMs) =>
    () =>
      wrkClosedLoop(url, { body: anOrder(), headers, idempotencyKeys, concurrency: P.concurrency, durationMs });
  // a short warm-up first (JIT, connection pools), for the service and the bare alternative alike
  await wrkPost(order.url("/orders"), auth, true, 2000)();
  await wrkPost(order.url("/orders"), auth, false, 1000)();
  await wrkPost(`${bare.url}/orders`, {}, true, 2000)();
  const [orderTx, place, barePlace, unkeyedTx, unkeyedPlace] = (await bench.interleaved([
    keyedStatementRun(bench),
    {
      what: `POST /orders with an Idempotency-Key, wrk closed loop of ${P.concurrency} (req/s)`,
      fn: wrkPost(order.url("/orders"), auth, true),
    },
    {
      what: `bare node:http + pg, same keyed statement, wrk closed loop of ${P.concurrency} (req/s)`,
      fn: wrkPost(`${bare.url}/orders`, {}, true),
    },
    {
      what: `pgbench POST /orders statement without a key, ${P.concurrency} clients (tps)`,
      fn: () => pgbench(DATABASES.order, placeOrderScript(), P.concurrency, P.windowMs / 1000),
    },
    {
      what: `POST /orders without an Idempotency-Key, wrk closed loop of ${P.concurrency} (req/s)`,
      fn: wrkPost(order.url("/orders"), auth, false),
    },
  ])) as [Figure, Figure, Figure, Figure, Figure];
  bench.shared.orderTx = orderTx;
  await bare.stop();
  const keyedBaseline = {
    name: `pgbench of the same statement (key lock, key INSERT unless a live answer is stored, event + outbox INSERT if claimed), ${P.concurrency} clients`,
    value: orderTx,
  };
  const pl = await halfLoadLatency(order, place.median / 2, P.windowMs);
  await order.stop();
  bench.services.splice(bench.services.indexOf(order), 1);
  return [
    {
      figure: "POST /orders throughput, an Idempotency-Key on every request",
      value: place,
      unit: "req/s",
      baseline: keyedBaseline,
      target: "≥ 0.7× baseline",
    },
    {
      figure:
        "POST /orders alternative: bare node:http + pg, same keyed statement (no express, Prisma, zod, auth, logs)",
      value: barePlace,
      unit: "req/s",
      baseline: keyedBaseline,
    },
    {
      figure: "POST /orders throughput without an Idempotency-Key (one group-committed INSERT)",
      value: unkeyedPlace,
      unit: "req/s",
      baseline: { name: `pgbench of that statement, ${P.concurrency} clients`, value: unkeyedTx },
      target: "≥ 0.7× baseline",
    },
    {
      figure: "POST /orders latency at half load (with an Idempotency-Key), p50 / p99 / p99.9",
      value: figure([pl.p50]),
      display: `${round(pl.p50)} / ${round(pl.p99)} / ${round(pl.p999)}`,
      unit: "ms",
    },
  ];
}
