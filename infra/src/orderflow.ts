// `pnpm orderflow <command> [--json]`: operator commands. Tables for people, --json for scripts.
import { deadLetterTopics, SUBSCRIPTIONS, TOPICS } from "@orderflow/contracts";
import { consumerGroupLag, createKafkaClient, ensureTopics } from "@orderflow/kafka";
import { pino } from "pino";
import { loadCliEnv } from "./env.js";

const USAGE = `usage: pnpm orderflow <command> [--json]
  topics           the registry's topics (partitions, key, retention) and dead-letter topics
  topics:create    create missing registry topics (as \`pnpm stack up\` does)
  lag [group]      committed offset, log end and lag per partition, for one or every group`;

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "(none)";
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i]!)).join("  ").trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join("\n");
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const [cmd, arg] = args.filter((a) => a !== "--json");
  const print = (rows: Record<string, unknown>[]) => console.log(json ? JSON.stringify(rows, null, 2) : table(rows));
  const client = () => createKafkaClient({ brokers: loadCliEnv().brokers, clientId: "orderflow-cli", logger: pino({ level: "error" }) });

  switch (cmd) {
    case "topics":
      print([
        ...Object.values(TOPICS).map((t) => ({ topic: t.name, partitions: t.partitions, key: t.key, retention: t.retentionMs < 0 ? "forever" : `${t.retentionMs / 86_400_000}d` })),
        ...deadLetterTopics().map((d) => ({ topic: d.name, partitions: 1, key: "orderId", retention: "14d" })),
      ]);
      return 0;
    case "topics:create": {
      const r = await ensureTopics(client());
      print([{ created: r.created.join(",") || "-", existing: r.existing.length, grown: r.grown.join(",") || "-" }]);
      return 0;
    }
    case "lag": {
      const groups = arg ? [arg] : SUBSCRIPTIONS.map((s) => s.group);
      const c = client();
      const rows = [];
      for (const g of groups) for (const p of await consumerGroupLag(c, g)) rows.push({ group: g, ...p });
      print(rows);
      return 0;
    }
    default:
      console.error(USAGE);
      return cmd ? 2 : 0;
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`orderflow: ${e.message}`);
    process.exit(1);
  },
);
