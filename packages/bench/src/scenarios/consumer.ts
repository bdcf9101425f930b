// The payment consumer with its inbox on a backlog, beside a bare kafkajs consumer and pgbench of
// the statements it sends per event.
import { DATABASES } from "@orderflow/system-tests/harness";
import { bareConsumer, bareProducer } from "../bare.js";
import type { Bench } from "../context.js";
import { paymentFromBacklog, startProvider } from "../flow.js";
import { paymentScript, pgbench } from "../pgbench.js";
import type { Row } from "../report.js";
import { sql } from "../samples.js";

export async function consumerScenario(bench: Bench): Promise<Row[]> {
  const { P, kafka } = bench;
  const topicTotal = P.records * P.repeats;
  // the bare producer runs of the relay part fill the topic the bare consumer reads; without them, fill it here
  if (!bench.parts.has("relay")) await bareProducer(kafka.main, "bench-bare", topicTotal);
  const bareCons = await bench.repeat("bare kafkajs eachBatch consumer (records/s)", (i) =>
    bareConsumer(kafka.main, "bench-bare", topicTotal, i),
  );
  const paymentTx = await bench.repeat("pgbench payment transaction, 1 client (tps)", async () =>
    pgbench(DATABASES.payment, paymentScript(), 1, P.windowMs / 1000),
  );
  await sql("payment", "TRUNCATE payments, inbox, outbox");
  // payment authorizes every order through the card provider: its simulator, answering at once
  const provider = await startProvider(3305, 0);
  bench.services.push(provider.service);
  const inboxRate = await bench.repeat("payment consumer with inbox (events/s)", (i) =>
    paymentFromBacklog(kafka.main, provider.paymentEnv, 3302 + i * 10, Math.min(P.records, 5_000)),
  );
  await provider.service.stop();
  return [
    { figure: "bare consumer (reference)", value: bareCons, unit: "records/s" },
    {
      figure: "consumer with inbox (payment, provider answering at once)",
      value: inboxRate,
      unit: "events/s",
      baseline: { name: "pgbench of its per-event transaction, 1 client", value: paymentTx },
      target: "≥ 1.5× baseline",
    },
  ];
}
