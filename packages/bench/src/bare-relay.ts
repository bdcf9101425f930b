// The outbox relay with no Orderflow code in the way, for the benchmark's side-by-side rows: what
// plain pg and kafkajs get on the same machine moving committed rows to the broker. The textbook
// loop on one connection: select up to 500 unpublished rows in id order, send them (acks=all,
// one request per batch, as the bare producer baseline), mark them published, again; when a
// select finds nothing, wait for a NOTIFY (or 100 ms).
//
// It does less than Orderflow's relay, so it is a floor, not a rival: one database, no leader
// lock (a second copy would publish the same rows), no pipelining, no tracing, status, metrics,
// retries or logs. It works on a table of its own (`bare_outbox`, shaped as `outbox`), so the
// two relays never see each other's rows.
//
// `node --import tsx src/bare-relay.ts <brokers> <topic prefix> <database url>` prints "ready"
// once it listens.
import { createKafkaClient } from "@orderflow/kafka";
import pg from "pg";
import { pino } from "pino";

const [brokers, prefix, url] = process.argv.slice(2) as [string, string, string];
const BATCH = 500;

const { kafka } = createKafkaClient({
  brokers: brokers.split(","),
  clientId: "bare-relay",
  logger: pino({ level: "silent" }),
});
const producer = kafka.producer({ allowAutoTopicCreation: false });
const db = new pg.Client({ connectionString: url });
let wake: (() => void) | undefined;
let running = true;

async function main(): Promise<void> {
  await db.connect();
  await db.query(`CREATE TABLE IF NOT EXISTS bare_outbox (LIKE outbox INCLUDING ALL)`);
  await db.query(
    `CREATE OR REPLACE FUNCTION bare_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('bare_outbox', ''); RETURN NULL; END $$`,
  );
  await db.query(
    `CREATE OR REPLACE TRIGGER bare_outbox_notify AFTER INSERT ON bare_outbox FOR EACH STATEMENT EXECUTE FUNCTION bare_outbox_notify()`,
  );
  db.on("notification", () => wake?.());
  await db.query("LISTEN bare_outbox");
  await producer.connect();
  process.on("SIGTERM", () => void ((running = false), wake?.()));
  process.stdout.write("ready\n");
  while (running) {
    const { rows } = await db.query<{
      id: string;
      topic: string;
      key: string;
      payload: string;
      headers: Record<string, string>;
    }>(
      `SELECT id, topic, key, payload::text AS payload, headers FROM bare_outbox WHERE published_at IS NULL ORDER BY id LIMIT $1`,
      [BATCH],
    );
    if (rows.length === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        wake = () => (clearTimeout(t), resolve());
      });
      wake = undefined;
      continue;
    }
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const r of rows) {
      const list = byTopic.get(r.topic) ?? byTopic.set(r.topic, []).get(r.topic)!;
      list.push({ key: r.key, value: r.payload, headers: r.headers });
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic: `${prefix}${topic}`, messages })),
    });
    // published_at: the broker's ack, by this process's clock (as Orderflow's relay)
    await db.query(`UPDATE bare_outbox SET published_at = $2 WHERE id = ANY($1::bigint[])`, [
      rows.map((r) => r.id),
      new Date(),
    ]);
  }
  await producer.disconnect();
  await db.end();
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`bare relay failed: ${e.stack}\n`);
    process.exit(1);
  },
);
