// `pnpm orderflow <command> [--json]`: operator commands. Tables for people, --json for scripts.
import { deadLetterTopics, SUBSCRIPTIONS, TOPICS } from "@orderflow/contracts";
import { OrderResponse, ProjectionStatus, Rebuilt, ReplayStarted } from "@orderflow/http-api/order";
import { RelayStatus } from "@orderflow/http-api/relay";
import { mismatch } from "@orderflow/http-api/mismatch";
import { Problem } from "@orderflow/http-api/problem";
import {
  applyAcls,
  consumerGroupLag,
  createKafkaClient,
  createPublisher,
  DEFAULT_MAX_REDRIVES,
  describeTopics,
  discard,
  ensureTopics,
  listDeadLetters,
  redrive,
  serviceAcls,
  type ActionResult,
  type DeadLetter,
  type KafkaClient,
} from "@orderflow/kafka";
import { pino } from "pino";
import { signToken } from "@orderflow/service-kit";
import type { z } from "zod";
import { loadCliEnv } from "./env.js";

const USAGE = `usage: pnpm orderflow <command> [--json]
  topics           the registry's topics (partitions, key, retention) and dead-letter topics
  topics:create    create missing registry topics (as \`pnpm stack up\` does)
  topics:describe [topic]  partitions, leaders, replicas, in-sync replicas and retention on the broker
  lag [group]      committed offset, log end and lag per partition, for one or every group
  relay            the outbox relay per database: mode, leader, backlog, and in wal mode the
                   replication slot's lag in bytes and seconds (RELAY_URL)
  timeline <orderId>  every event of the order across the three services (from the read model)
  rebuild <orderId> fold the order's events again and compare with the read model (ORDER_URL)
  replay           rebuild the read model from offset 0 beside the live one and switch to it
  acls [--apply]   the least-privilege ACLs of each service's principal (User:<service>);
                   --apply creates them (run as a super user: KAFKA_SASL_* below)
  token [--scope "orders:read orders:write ops"] [--ttl SECONDS] [--sub NAME]
                   a bearer token signed with AUTH_JWT_SECRET (local: the development key)
  dlt list [--group G] [--topic T] [--reason ERROR_CLASS] [--key K] [--all]
                   dead letters (pending ones unless --all)
  dlt redrive --group G (--id DLT_ID | --key K | --all) [--max-redrives N]
                   re-publish to the original topic for group G only, in order; releases the key
  dlt discard --group G (--id DLT_ID | --key K) [--reason TEXT]
                   give up on dead letters (audited); releases the key`;

/** ORDERFLOW_TOKEN, or one this CLI signs when it holds the key (AUTH_JWT_SECRET, or the local development key) */
async function bearer(scopes: string[], ttlSeconds = 300, subject = loadCliEnv().operator): Promise<string> {
  const { token } = loadCliEnv();
  return token.given ?? signToken(token, { subject, scopes, ttlSeconds });
}

/** The order service's HTTP API: the read model and its replay live there. Answers are parsed
 *  with the schemas the service types them with, so a changed answer fails here by name. */
async function orderService<S extends z.ZodType>(schema: S, path: string, method = "GET"): Promise<z.infer<S>> {
  const r = await fetch(`${loadCliEnv().orderUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${await bearer(["orders:read", "ops"])}` },
  });
  const body: unknown = await r.json();
  if (!r.ok) {
    const problem = Problem.partial().safeParse(body);
    throw new Error(
      `${method} ${path}: ${r.status} ${problem.success ? (problem.data.detail ?? problem.data.title ?? "") : ""}`,
    );
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new Error(
    `${method} ${path}: the order service's answer does not have the expected shape (${mismatch(parsed.error)})`,
  );
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const deadLetterRow = (d: DeadLetter) => ({
  id: d.id,
  state: d.state,
  key: d.key ?? "-",
  event: d.eventType ?? "-",
  error: d.errorClass,
  attempts: d.attempts,
  redrives: d.redriveCount,
  failedAt: d.failedAt,
  message: d.errorMessage.length > 80 ? `${d.errorMessage.slice(0, 77)}...` : d.errorMessage,
});

function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "(none)";
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(width[i]!))
      .join("  ")
      .trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join("\n");
}

/** What every command gets: its arguments, the output mode, and a Kafka client made on demand. */
interface Invocation {
  args: string[];
  /** the first argument after the command */
  arg: string | undefined;
  json: boolean;
  print(rows: Record<string, unknown>[]): void;
  client(): KafkaClient;
}

type Command = (cli: Invocation) => Promise<number>;

async function acls({ args, json, print, client }: Invocation): Promise<number> {
  const grants = serviceAcls();
  if (args.includes("--apply")) {
    const n = await applyAcls(client(), grants);
    console.log(json ? JSON.stringify({ applied: n }) : `${n} ACLs applied`);
  } else
    print(
      grants.map((g) => ({
        principal: g.principal,
        operation: g.operation,
        resource: g.resource,
        name: g.name,
        pattern: g.prefixed ? "prefixed" : "literal",
      })),
    );
  return 0;
}

async function token({ args }: Invocation): Promise<number> {
  const scopes = (flag(args, "scope") ?? "orders:read orders:write").split(/[\s,]+/).filter(Boolean);
  const ttl = Number(flag(args, "ttl") ?? 3600);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error("--ttl: a whole number of seconds");
  console.log(await bearer(scopes, ttl, flag(args, "sub") ?? loadCliEnv().operator));
  return 0;
}

async function topics({ print }: Invocation): Promise<number> {
  print([
    ...Object.values(TOPICS).map((t) => ({
      topic: t.name,
      partitions: t.partitions,
      key: t.key,
      retention: t.retentionMs < 0 ? "forever" : `${t.retentionMs / 86_400_000}d`,
    })),
    ...deadLetterTopics().map((d) => ({ topic: d.name, partitions: 1, key: "orderId", retention: "14d" })),
  ]);
  return 0;
}

async function topicsCreate({ print, client }: Invocation): Promise<number> {
  const r = await ensureTopics(client());
  print([{ created: r.created.join(",") || "-", existing: r.existing.length, grown: r.grown.join(",") || "-" }]);
  return 0;
}

async function lag({ arg, print, client }: Invocation): Promise<number> {
  const groups = arg ? [arg] : SUBSCRIPTIONS.map((s) => s.group);
  const c = client();
  const rows = [];
  for (const g of groups) for (const p of await consumerGroupLag(c, g)) rows.push({ group: g, ...p });
  print(rows);
  return 0;
}

/** what the relay reports per database (its GET /status), the slot's lag in wal mode */
async function relay({ print }: Invocation): Promise<number> {
  const url = `${loadCliEnv().relayUrl}/status`;
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status}`);
  const parsed = RelayStatus.safeParse(await r.json());
  if (!parsed.success) throw new Error(`GET ${url}: unexpected answer (${mismatch(parsed.error)})`);
  print(
    parsed.data.databases.map((d) => ({
      database: d.database,
      mode: d.mode,
      leader: d.leader,
      reachable: d.reachable,
      backlog: d.backlog,
      "oldest pending s": d.oldestPendingSeconds,
      "published/s": d.publishedPerSecond,
      slot: d.slot ? (d.slot.exists ? d.slot.name : `${d.slot.name} (missing)`) : "-",
      "slot lag bytes": d.slot?.lagBytes ?? "-",
      "slot lag s": d.slot?.lagSeconds ?? "-",
    })),
  );
  return 0;
}

async function topicsDescribe({ arg, json, print, client }: Invocation): Promise<number> {
  const names = arg ? [arg] : [...Object.keys(TOPICS), ...deadLetterTopics().map((d) => d.name)];
  const described = await describeTopics(client(), names);
  if (json) console.log(JSON.stringify(described, null, 2));
  else
    print(
      described.flatMap((t) =>
        t.partitions.map((p) => ({
          topic: t.topic,
          partition: p.partition,
          leader: p.leader,
          replicas: p.replicas.join(","),
          isr: p.isr.join(","),
          "retention.ms": t.config["retention.ms"] ?? "-",
        })),
      ),
    );
  return 0;
}

async function timeline({ arg, json, print }: Invocation): Promise<number> {
  if (!arg) throw new Error("timeline needs an order id");
  const o = await orderService(OrderResponse, `/orders/${encodeURIComponent(arg)}`);
  if (json) return (console.log(JSON.stringify(o, null, 2)), 0);
  console.log(`order ${o.orderId}: ${o.status ?? "unknown"} (read model: ${o.readModel.source})`);
  // an order answered from its own events (not projected yet) has no timeline of the other services
  const entries = "timeline" in o ? o.timeline : [];
  print(
    entries.map((t) => ({
      at: t.occurredAt,
      service: t.source,
      event: t.type,
      record: `${t.topic}/${t.partition}@${t.offset}`,
      eventId: t.eventId,
      causedBy: t.causationId ?? "-",
    })),
  );
  return 0;
}

async function rebuild({ arg, json }: Invocation): Promise<number> {
  if (!arg) throw new Error("rebuild needs an order id");
  const r = await orderService(Rebuilt, `/orders/${encodeURIComponent(arg)}/rebuild`);
  if (json) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(
      `order ${r.orderId}: ${r.events} events, folded status ${r.folded?.status ?? "-"}, read model status ${r.view?.status ?? "-"}`,
    );
    console.log(r.matches ? "matches the read model" : `differs from the read model:\n  ${r.differences.join("\n  ")}`);
  }
  return r.matches ? 0 : 3;
}

async function replay({ json }: Invocation): Promise<number> {
  const started = await orderService(ReplayStarted, "/admin/projection/replay", "POST");
  console.error(`building generation ${started.generation} from offset 0 ...`);
  for (;;) {
    const s = await orderService(ProjectionStatus, "/admin/projection");
    const g = s.generations.find((x) => x.generation === started.generation);
    if (g?.status === "live" || g?.status === "failed") {
      if (json) console.log(JSON.stringify(s, null, 2));
      else
        console.log(
          `generation ${started.generation} ${g.status === "live" ? `is live (${g.views} orders)` : "failed: see the order service's log"}`,
        );
      return g.status === "live" ? 0 : 1;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function dltList({ args, json, print, client }: Invocation): Promise<number> {
  const group = flag(args, "group");
  const state = args.includes("--all") ? "all" : "pending";
  const list = await listDeadLetters(client(), {
    ...(group ? { group } : {}),
    ...(flag(args, "topic") ? { topic: flag(args, "topic")! } : {}),
    ...(flag(args, "reason") ? { errorClass: flag(args, "reason")! } : {}),
    ...(flag(args, "key") ? { key: flag(args, "key")! } : {}),
    state,
  });
  print(json ? list.map(({ record: _r, ...d }) => d) : list.map(deadLetterRow));
  return 0;
}

async function dltAct(sub: "redrive" | "discard", { args, json, client }: Invocation): Promise<number> {
  const group = flag(args, "group");
  if (!group) throw new Error("--group is required: a redrive goes to one consumer group only");
  const id = flag(args, "id");
  const key = flag(args, "key");
  const operator = loadCliEnv().operator;
  const selection = {
    group,
    operator,
    ...(id ? { id } : {}),
    ...(key ? { key } : {}),
    ...(args.includes("--all") && sub === "redrive" ? { all: true } : {}),
  };
  const c = client();
  const p = createPublisher(c);
  await p.connect();
  let r: ActionResult;
  try {
    r =
      sub === "redrive"
        ? await redrive(c, p, { ...selection, maxRedrives: Number(flag(args, "max-redrives") ?? DEFAULT_MAX_REDRIVES) })
        : await discard(c, p, { ...selection, ...(flag(args, "reason") ? { reason: flag(args, "reason")! } : {}) });
  } finally {
    await p.disconnect();
  }
  if (json)
    console.log(
      JSON.stringify(
        {
          done: r.done.map((d) => d.id),
          refused: r.refused.map((x) => ({ id: x.deadLetter.id, why: x.why })),
          released: r.released,
          audit: r.audit,
        },
        null,
        2,
      ),
    );
  else {
    for (const a of r.audit)
      console.log(`audit: ${a.at} ${a.operator} ${a.action} ${a.deadLetter} (group ${a.group}, key ${a.key ?? "-"})`);
    for (const x of r.refused) console.log(`refused: ${x.deadLetter.id}: ${x.why}`);
    console.log(
      `${sub === "redrive" ? "redriven" : "discarded"} ${r.done.length}, refused ${r.refused.length}, keys released: ${r.released.join(", ") || "none"}`,
    );
  }
  return r.refused.length && !r.done.length ? 3 : 0;
}

async function dlt(cli: Invocation): Promise<number> {
  if (cli.arg === "list") return dltList(cli);
  if (cli.arg === "redrive" || cli.arg === "discard") return dltAct(cli.arg, cli);
  console.error(USAGE);
  return 2;
}

const COMMANDS = new Map<string, Command>([
  ["acls", acls],
  ["token", token],
  ["topics", topics],
  ["topics:create", topicsCreate],
  ["lag", lag],
  ["relay", relay],
  ["topics:describe", topicsDescribe],
  ["timeline", timeline],
  ["rebuild", rebuild],
  ["replay", replay],
  ["dlt", dlt],
]);

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const [cmd, arg] = args.filter((a) => a !== "--json");
  const command = cmd === undefined ? undefined : COMMANDS.get(cmd);
  if (!command) {
    console.error(USAGE);
    return cmd ? 2 : 0;
  }
  return command({
    args,
    arg,
    json,
    print: (rows) => console.log(json ? JSON.stringify(rows, null, 2) : table(rows)),
    client: () => {
      const env = loadCliEnv();
      return createKafkaClient({
        brokers: env.brokers,
        clientId: "orderflow-cli",
        logger: pino({ level: "error" }),
        topicPrefix: env.topicPrefix,
        security: env.security,
      });
    },
  });
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`orderflow: ${e.message}`);
    process.exit(1);
  },
);
