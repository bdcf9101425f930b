import type { Admin } from "kafkajs";
import type { KafkaClient } from "./client.js";

/** A readiness probe for the broker: one admin connection, reused, asked for the cluster. */
export function kafkaReachability(client: KafkaClient): { check(): Promise<void>; close(): Promise<void> } {
  let admin: Admin | undefined;
  return {
    async check() {
      admin ??= client.kafka.admin({ retry: { retries: 0 } });
      try {
        await admin.connect();
        const c = await admin.describeCluster();
        if (c.brokers.length === 0) throw new Error("no brokers in the cluster metadata");
      } catch (e) {
        // start from a fresh connection next time
        const a = admin;
        admin = undefined;
        await a.disconnect().catch(() => {});
        throw new Error(`Kafka unreachable: ${(e as Error).message}`);
      }
    },
    async close() {
      await admin?.disconnect();
    },
  };
}
