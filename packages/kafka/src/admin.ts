// Topics from the registry in @orderflow/contracts, and consumer-group lag.
import { deadLetterTopics, DLT_PARTITIONS, DLT_RETENTION_MS, OPS_AUDIT_TOPIC, TOPICS } from "@orderflow/contracts";
import type { KafkaClient } from "./client.js";

export interface TopicPlan {
  name: string;
  partitions: number;
  retentionMs: number;
}

export function plannedTopics(opts: { partitionsOverride?: number } = {}): TopicPlan[] {
  return [
    ...Object.values(TOPICS).map((t) => ({
      name: t.name,
      partitions: opts.partitionsOverride ?? t.partitions,
      retentionMs: t.retentionMs,
    })),
    ...deadLetterTopics().map((d) => ({ name: d.name, partitions: DLT_PARTITIONS, retentionMs: DLT_RETENTION_MS })),
    { name: OPS_AUDIT_TOPIC.name, partitions: OPS_AUDIT_TOPIC.partitions, retentionMs: OPS_AUDIT_TOPIC.retentionMs },
  ];
}

type Admin = ReturnType<KafkaClient["kafka"]["admin"]>;

/** Create topics and wait until every partition has a leader. kafkajs's own waitForLeaders gives
 *  up with "This server does not host this topic-partition" when the metadata of a busy broker
 *  lags the creation; this waits through that instead. */
async function createTopicsSettled(
  admin: Admin,
  topics: Parameters<Admin["createTopics"]>[0]["topics"],
  timeoutMs = 60_000,
): Promise<boolean> {
  const created = await admin.createTopics({ waitForLeaders: false, topics });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics: names });
      const expected = new Map(topics.map((t) => [t.topic, t.numPartitions ?? 1]));
      if (
        meta.topics.every(
          (m) => m.partitions.length >= (expected.get(m.name) ?? 1) && m.partitions.every((p) => p.leader >= 0),
        )
      )
        return created;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`topics ${names.join(", ")} have no leader after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Create one topic unless it exists (tests, tooling); registry topics go through ensureTopics. */
export async function ensureTopic(client: KafkaClient, t: TopicPlan, replicationFactor = -1): Promise<boolean> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    return await createTopicsSettled(admin, [
      {
        topic: client.physical(t.name),
        numPartitions: t.partitions,
        replicationFactor,
        configEntries: [{ name: "retention.ms", value: String(t.retentionMs) }],
      },
    ]);
  } finally {
    await admin.disconnect();
  }
}

/** Create missing registry topics (and their dead-letter topics); grow partitions the registry
 *  asks for. Existing topics are otherwise left alone. */
export async function ensureTopics(
  client: KafkaClient,
  opts: { replicationFactor?: number; partitionsOverride?: number } = {},
): Promise<{ created: string[]; existing: string[]; grown: string[] }> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    const plan = plannedTopics(opts).map((t) => ({ ...t, name: client.physical(t.name) }));
    const have = new Set(await admin.listTopics());
    const missing = plan.filter((t) => !have.has(t.name));
    if (missing.length) {
      await createTopicsSettled(
        admin,
        missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: opts.replicationFactor ?? -1,
          configEntries: [{ name: "retention.ms", value: String(t.retentionMs) }],
        })),
      );
    }
    const present = plan.filter((t) => have.has(t.name));
    const grown: string[] = [];
    if (present.length) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
      const grow = present.filter(
        (t) => (meta.topics.find((m) => m.name === t.name)?.partitions.length ?? t.partitions) < t.partitions,
      );
      if (grow.length) {
        await admin.createPartitions({ topicPartitions: grow.map((t) => ({ topic: t.name, count: t.partitions })) });
        grown.push(...grow.map((t) => t.name));
      }
    }
    const names = (ts: TopicPlan[]) => ts.map((t) => client.logical(t.name));
    return { created: names(missing), existing: names(present), grown: grown.map((t) => client.logical(t)) };
  } finally {
    await admin.disconnect();
  }
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** -1 when the group has committed nothing on this partition */
  committedOffset: string;
  logEndOffset: string;
  /** log end − committed; null without a commit (the Kafka tool shows "-") */
  lag: number | null;
}

/** Lag per partition as `kafka-consumer-groups --describe` reports it. */
/** Every partition's committed offset is at its log end (an empty partition needs no commit). */
export function caughtUp(lag: PartitionLag[]): boolean {
  return lag.every((p) => (p.lag === null ? p.logEndOffset === "0" : p.lag === 0));
}

export async function consumerGroupLag(
  client: KafkaClient,
  groupId: string,
  topics?: string[],
): Promise<PartitionLag[]> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    const group = client.physical(groupId);
    const committed = (
      await admin.fetchOffsets(
        topics ? { groupId: group, topics: topics.map((t) => client.physical(t)) } : { groupId: group },
      )
    ).filter((t) => t.topic.startsWith(client.topicPrefix));
    const out: PartitionLag[] = [];
    for (const t of committed) {
      const ends = await admin.fetchTopicOffsets(t.topic);
      for (const p of t.partitions) {
        const end = ends.find((e) => e.partition === p.partition);
        if (!end) continue;
        const lag = p.offset === "-1" ? null : Number(BigInt(end.high) - BigInt(p.offset));
        out.push({
          topic: client.logical(t.topic),
          partition: p.partition,
          committedOffset: p.offset,
          logEndOffset: end.high,
          lag,
        });
      }
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** Delete every topic of this client's prefix (test runs clean up after themselves). */
export async function deletePrefixedTopics(client: KafkaClient): Promise<string[]> {
  if (!client.topicPrefix) throw new Error("refusing to delete topics without a topic prefix");
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(client.topicPrefix));
    if (mine.length) await admin.deleteTopics({ topics: mine });
    return mine;
  } finally {
    await admin.disconnect();
  }
}

/** Remove a finished temporary consumer group (a replay's, say) from the broker. */
export async function deleteConsumerGroup(client: KafkaClient, groupId: string): Promise<void> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    await admin.deleteGroups([client.physical(groupId)]);
  } finally {
    await admin.disconnect();
  }
}

/** Polls the lag of `groups` every `intervalMs` and hands it to `onLag` (a metrics gauge, say). */
export function monitorLag(
  client: KafkaClient,
  groups: string[],
  intervalMs: number,
  onLag: (group: string, lag: PartitionLag[]) => void,
): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async () => {
    for (const g of groups) {
      try {
        onLag(g, await consumerGroupLag(client, g));
      } catch {
        // the broker may be away; readiness reports that, and the next tick tries again
      }
    }
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
  };
  timer = setTimeout(() => void tick(), 0);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export interface TopicDescription {
  topic: string;
  partitions: { partition: number; leader: number; replicas: number[]; isr: number[] }[];
  config: Record<string, string>;
}

/** What the broker holds for `topics`: partitions with leaders and replicas, and the configs
 *  Orderflow sets (retention). */
export async function describeTopics(client: KafkaClient, topics: string[]): Promise<TopicDescription[]> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    const physical = topics.map((t) => client.physical(t));
    const meta = await admin.fetchTopicMetadata({ topics: physical });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: physical.map((name) => ({
        type: 2 /* TOPIC */,
        name,
        configNames: ["retention.ms", "cleanup.policy", "min.insync.replicas"],
      })),
    });
    return meta.topics.map((t) => ({
      topic: client.logical(t.name),
      partitions: t.partitions
        .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
        .sort((a, b) => a.partition - b.partition),
      config: Object.fromEntries(
        (configs.resources.find((r) => r.resourceName === t.name)?.configEntries ?? []).map((e) => [
          e.configName,
          e.configValue,
        ]),
      ),
    }));
  } finally {
    await admin.disconnect();
  }
}
