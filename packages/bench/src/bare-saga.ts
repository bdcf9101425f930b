// The saga with no Orderflow code in the way, for the benchmark's side-by-side rows: what plain
// kafkajs and pg get on the same machine for the same four hops (OrderPlaced → PaymentAuthorized
// → OrderPaid → ShipmentDispatched → OrderShipped) over the same three topics, six partitions
// each, one process per service. Each consumer is a kafkajs eachBatch consumer (16 partitions in
// flight, as Orderflow's); per batch one pg transaction (its inbox rows and state rows, set-based),
// then the next events produced with acks=all, then the offsets committed. The order process
// answers POST /orders on node:http (one INSERT, then OrderPlaced produced, then 202).
//
// It does less than Orderflow, so it is a floor, not a rival: no outbox (an event is produced
// after its transaction commits, so a crash in between loses it), no relay, no read model, no
// validation, auth, logs, metrics, tracing, retries, dead letters or parking.
//
// `node --import tsx src/bare-saga.ts <order|payment|shipping> <brokers> <topic prefix> <database url> [port]`
// prints "ready" once its consumer joined its group.
import { randomUUID } from "node:crypto";
import http from "node:http";
import { createKafkaClient } from "@orderflow/kafka";
import pg from "pg";
import { pino } from "pino";

type Role = "order" | "payment" | "shipping";
const [role, brokers, prefix, url, port] = process.argv.slice(2) as [Role, string, string, string, string?];

const topic = (t: "order-events" | "payment-events" | "shipping-events") => `${prefix}${t}`;

interface Event {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  aggregateId: string;
  correlationId: string;
  causationId: string | null;
  source: string;
  data: Record<string, unknown> & { orderId: string };
}

const pool = new pg.Pool({ connectionString: url, max: 10 });
pool.on("error", () => {}); // an idle connection the server ended: the next query says so
// the kafkajs instance itself, with the client settings the services use; nothing of Orderflow's consumer or publisher
const { kafka } = createKafkaClient({
  brokers: brokers.split(","),
  clientId: `bare-saga-${role}`,
  logger: pino({ level: "silent" }),
});
type EachBatchPayload = Parameters<
  NonNullable<NonNullable<Parameters<ReturnType<typeof kafka.consumer>["run"]>[0]>["eachBatch"]>
>[0];
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });

function next(
  cause: Event,
  type: string,
  data: Record<string, unknown>,
): { topic: string; messages: { key: string; value: string; headers: Record<string, string> }[] } {
  const e: Event = {
    id: randomUUID(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    aggregateId: cause.aggregateId,
    correlationId: cause.correlationId,
    causationId: cause.id,
    source: role,
    data: { ...data, orderId: cause.data.orderId },
  };
  const t =
    type === "PaymentAuthorized"
      ? "payment-events"
      : type === "ShipmentDispatched"
        ? "shipping-events"
        : "order-events";
  return {
    topic: topic(t),
    messages: [
      {
        key: e.data.orderId,
        value: JSON.stringify(e),
        headers: {
          "event-id": e.id,
          "event-type": e.type,
          "event-version": "1",
          "correlation-id": e.correlationId,
          "causation-id": e.id,
          source: role,
          "content-type": "application/json",
        },
      },
    ],
  };
}

/** What each service does with the events it reacts to: state rows (one statement) and the next event. */
const reactions: Record<Role, Record<string, { state: string; next: (e: Event) => ReturnType<typeof next> }>> = {
  payment: {
    OrderPlaced: {
      state: `INSERT INTO bare_payments (order_id, status) SELECT unnest($1::uuid[]), 'AUTHORIZED' ON CONFLICT DO NOTHING`,
      next: (e) =>
        next(e, "PaymentAuthorized", {
          paymentId: randomUUID(),
          amount: e.data.totalAmount,
          currency: e.data.currency,
        }),
    },
  },
  shipping: {
    OrderPaid: {
      state: `INSERT INTO bare_shipments (order_id, status, carrier) SELECT unnest($1::uuid[]), 'DISPATCHED', 'DHL' ON CONFLICT DO NOTHING`,
      next: (e) =>
        next(e, "ShipmentDispatched", { shipmentId: randomUUID(), carrier: "DHL", trackingNumber: randomUUID() }),
    },
  },
  order: {
    PaymentAuthorized: {
      state: `UPDATE bare_orders SET status = 'PAID' WHERE order_id = ANY($1::uuid[])`,
      next: (e) => next(e, "OrderPaid", { paymentId: e.data.paymentId, amount: e.data.amount }),
    },
    ShipmentDispatched: {
      state: `UPDATE bare_orders SET status = 'SHIPPED', shipped_at = clock_timestamp() WHERE order_id = ANY($1::uuid[])`,
      next: (e) =>
        next(e, "OrderShipped", {
          shipmentId: e.data.shipmentId,
          carrier: e.data.carrier,
          trackingNumber: e.data.trackingNumber,
        }),
    },
  },
};

async function eachBatch({
  batch,
  resolveOffset,
  heartbeat,
  commitOffsetsIfNecessary,
}: EachBatchPayload): Promise<void> {
  if (batch.messages.length === 0) return;
  const events = batch.messages.map((m) => JSON.parse(m.value!.toString("utf8")) as Event);
  const c = await pool.connect();
  const out: ReturnType<typeof next>[] = [];
  try {
    await c.query("BEGIN");
    const fresh = new Set(
      (
        await c.query<{ event_id: string }>(
          `INSERT INTO bare_inbox (event_id) SELECT unnest($1::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id::text`,
          [events.map((e) => e.id)],
        )
      ).rows.map((r) => r.event_id),
    );
    const todo = events.filter((e) => fresh.has(e.id) && reactions[role][e.type]);
    for (const [type, r] of Object.entries(reactions[role])) {
      const of = todo.filter((e) => e.type === type);
      if (of.length === 0) continue;
      await c.query(r.state, [of.map((e) => e.data.orderId)]);
      out.push(...of.map(r.next));
    }
    await c.query("COMMIT");
  } catch (e) {
    await c.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    c.release();
  }
  if (out.length) await producer.sendBatch({ acks: -1, topicMessages: out });
  resolveOffset(batch.messages.at(-1)!.offset);
  await commitOffsetsIfNecessary();
  await heartbeat();
}

const SCHEMA: Record<Role, string> = {
  order: `CREATE TABLE IF NOT EXISTS bare_orders (order_id uuid PRIMARY KEY, customer_id text NOT NULL, total integer NOT NULL, data jsonb NOT NULL, status text NOT NULL, placed_at timestamptz NOT NULL DEFAULT clock_timestamp(), shipped_at timestamptz)`,
  payment: `CREATE TABLE IF NOT EXISTS bare_payments (order_id uuid PRIMARY KEY, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  shipping: `CREATE TABLE IF NOT EXISTS bare_shipments (order_id uuid PRIMARY KEY, status text NOT NULL, carrier text, created_at timestamptz NOT NULL DEFAULT now())`,
};

/** The order role's HTTP entry: POST a new order, stored and published as OrderPlaced. */
async function serveOrders(): Promise<void> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          customerId: string;
          currency: string;
          items: { quantity: number; unitPrice: number }[];
        };
        const orderId = randomUUID();
        const totalAmount = body.items.reduce((n, i) => n + i.quantity * i.unitPrice, 0);
        const placed: Event = {
          id: randomUUID(),
          type: "OrderPlaced",
          version: 2,
          occurredAt: new Date().toISOString(),
          aggregateId: orderId,
          correlationId: randomUUID(),
          causationId: null,
          source: "order",
          data: { ...body, orderId, totalAmount, shippingSpeed: "STANDARD" },
        };
        await pool.query(
          `INSERT INTO bare_orders (order_id, customer_id, total, data, status) VALUES ($1, $2, $3, $4::jsonb, 'PLACED')`,
          [orderId, body.customerId, totalAmount, JSON.stringify(placed.data)],
        );
        await producer.send({
          topic: topic("order-events"),
          acks: -1,
          messages: [
            {
              key: orderId,
              value: JSON.stringify(placed),
              headers: {
                "event-id": placed.id,
                "event-type": placed.type,
                "event-version": "2",
                "correlation-id": placed.correlationId,
                source: "order",
                "content-type": "application/json",
              },
            },
          ],
        });
        res
          .writeHead(202, { "content-type": "application/json", location: `/orders/${orderId}` })
          .end(JSON.stringify({ orderId, status: "PLACED" }));
      })().catch((e: Error) => res.writeHead(500).end(e.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(Number(port), resolve));
}

async function main(): Promise<void> {
  await pool.query(SCHEMA[role]);
  await pool.query(
    `CREATE TABLE IF NOT EXISTS bare_inbox (event_id uuid PRIMARY KEY, processed_at timestamptz NOT NULL DEFAULT now())`,
  );
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${prefix}${role}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({
    topics: role === "order" ? [topic("payment-events"), topic("shipping-events")] : [topic("order-events")],
    fromBeginning: true,
  });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  // offsets committed by commitOffsetsIfNecessary after each batch (autoCommitThreshold 1)
  await consumer.run({
    autoCommit: true,
    autoCommitThreshold: 1,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 16,
    eachBatch,
  });
  if (role === "order") await serveOrders();
  await joined;
  process.stdout.write("ready\n");
  process.on(
    "SIGTERM",
    () =>
      void consumer
        .disconnect()
        .then(() => producer.disconnect())
        .then(() => pool.end())
        .finally(() => process.exit(0)),
  );
}

main().catch((e: Error) => {
  process.stderr.write(`bare saga ${role} failed: ${e.stack}\n`);
  process.exit(1);
});
