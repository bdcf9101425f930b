// Configuration of the local stack, parsed once. Every value has a default that does not clash
// with a PostgreSQL already listening on 5432 or a Kafka on 9092.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkKafkaSecurityEnv, kafkaSecurity, kafkaSecurityEnv, LOCAL_DEV_AUTH, parseEnv } from "@orderflow/config";
import type { KafkaSecurity } from "@orderflow/kafka";
import { z } from "zod";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const port = z.coerce.number().int().min(1).max(65535);
const Env = z.object({
  ORDERFLOW_STACK_DIR: z.string().min(1).default(path.join(repoRoot, ".stack")),
  KAFKA_HOST: z.string().min(1).default("127.0.0.1"),
  KAFKA_PORT: port.default(19092),
  KAFKA_CONTROLLER_PORT: port.default(19093),
  KAFKA_HEAP_OPTS: z.string().default("-Xms256m -Xmx1g"),
  /** 1 (default) or 3: a KRaft cluster, brokers on KAFKA_PORT, +2, +4 (\`pnpm stack up --cluster\`) */
  KAFKA_NODES: z.coerce
    .number()
    .refine((n) => n === 1 || n === 3, "1 or 3")
    .default(1),
  KAFKA_START_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  /** plaintext (default) or sasl: clients authenticate with SCRAM-SHA-512 and ACLs decide what
   *  each principal may do (the "admin" user is the super user) */
  KAFKA_SECURITY: z.enum(["plaintext", "sasl"]).default("plaintext"),
  /** name=password pairs, comma-separated: the SCRAM users a sasl broker starts with */
  KAFKA_SASL_USERS: z
    .string()
    .default(
      "admin=admin-secret,order=order-secret,payment=payment-secret,shipping=shipping-secret,outbox-relay=relay-secret,ops-console=console-secret",
    )
    .transform((s) =>
      s
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean)
        .map((p) => {
          const i = p.indexOf("=");
          return { name: p.slice(0, i), password: p.slice(i + 1) };
        }),
    )
    .refine(
      (us) =>
        us.every((u) => /^[A-Za-z0-9_.-]+$/.test(u.name) && u.password.length >= 8 && !/[,\]\s]/.test(u.password)),
      "name=password pairs: names of letters, digits, '.', '_' or '-', passwords of 8+ characters without ',', ']' or spaces",
    )
    .refine((us) => us.some((u) => u.name === "admin"), "must include the admin user"),
  PG_HOST: z.string().min(1).default("127.0.0.1"),
  PG_PORT: port.default(54329),
  /** folder holding initdb/pg_ctl; found on PATH or under /usr/lib/postgresql when unset */
  PG_BIN: z.string().optional(),
  /** the most WAL a replication slot that is not read may hold before PostgreSQL invalidates it */
  PG_MAX_SLOT_WAL_KEEP_SIZE: z
    .string()
    .regex(/^\d+(kB|MB|GB|TB)$/, "a size such as 1GB or 512MB")
    .default("1GB"),
  /** OS user that runs PostgreSQL when the stack is started as root (postgres refuses root) */
  PG_OS_USER: z.string().default("postgres"),
  /** on (default) or off: whether `pnpm stack up` starts a Prometheus scraping the services */
  ORDERFLOW_PROMETHEUS: z.enum(["on", "off"]).default("on"),
  PROMETHEUS_HOST: z.string().min(1).default("127.0.0.1"),
  PROMETHEUS_PORT: port.default(9090),
  /** Debian's package `prometheus` installs it here */
  PROMETHEUS_BIN: z.string().min(1).default("/usr/bin/prometheus"),
  PATH: z.string().default(""),
});

export type StackEnv = z.infer<typeof Env> & { repoRoot: string };

export function loadStackEnv(source: NodeJS.ProcessEnv = process.env): StackEnv {
  const r = Env.safeParse(source);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid stack configuration:\n${lines.join("\n")}`);
  }
  return { ...r.data, ORDERFLOW_STACK_DIR: path.resolve(r.data.ORDERFLOW_STACK_DIR), repoRoot };
}

/** The databases of the services, one each (ARCHITECTURE.md). */
export const SERVICE_DATABASES = ["orderflow_order", "orderflow_payment", "orderflow_shipping"] as const;

/** The operator CLI talks to any cluster: KAFKA_BROKERS, or the local stack's broker. */
export interface CliEnv {
  brokers: string[];
  operator: string;
  topicPrefix: string;
  orderUrl: string;
  /** the outbox relay's HTTP API (RELAY_URL, as the ops console reads it) */
  relayUrl: string;
  security: KafkaSecurity;
  /** ORDERFLOW_TOKEN when given; otherwise the CLI signs its own with this key (AUTH_JWT_SECRET, else the local development key) */
  token: { given?: string; secret: string; issuer: string; audience: string };
}

export function loadCliEnv(source: NodeJS.ProcessEnv = process.env): CliEnv {
  const stack = loadStackEnv(source);
  const list = (source.KAFKA_BROKERS ?? `${stack.KAFKA_HOST}:${stack.KAFKA_PORT}`)
    .split(",")
    .map((b) => b.trim())
    .filter(Boolean);
  const bad = list.find((b) => !/^[^:\s]+:\d+$/.test(b));
  if (bad || list.length === 0) throw new Error(`KAFKA_BROKERS: "${bad ?? ""}" is not host:port`);
  // who is named in the audit trail
  const operator = source.ORDERFLOW_OPERATOR ?? source.USER ?? source.LOGNAME ?? "unknown";
  const orderUrl = source.ORDER_URL ?? "http://127.0.0.1:3001";
  if (!/^https?:\/\/\S+$/.test(orderUrl)) throw new Error(`ORDER_URL: "${orderUrl}" is not an http(s) URL`);
  const relayUrl = source.RELAY_URL ?? "http://127.0.0.1:3004";
  if (!/^https?:\/\/\S+$/.test(relayUrl)) throw new Error(`RELAY_URL: "${relayUrl}" is not an http(s) URL`);
  // the same KAFKA_SASL_* / KAFKA_TLS* settings the services read
  const sec = parseEnv("orderflow", kafkaSecurityEnv, source, checkKafkaSecurityEnv);
  const token = {
    ...(source.ORDERFLOW_TOKEN ? { given: source.ORDERFLOW_TOKEN } : {}),
    secret: source.AUTH_JWT_SECRET ?? LOCAL_DEV_AUTH.secret,
    issuer: source.AUTH_ISSUER ?? LOCAL_DEV_AUTH.issuer,
    audience: source.AUTH_AUDIENCE ?? LOCAL_DEV_AUTH.audience,
  };
  return {
    brokers: list,
    operator,
    topicPrefix: source.KAFKA_TOPIC_PREFIX ?? "",
    orderUrl: orderUrl.replace(/\/$/, ""),
    relayUrl: relayUrl.replace(/\/$/, ""),
    security: kafkaSecurity(sec),
    token,
  };
}
