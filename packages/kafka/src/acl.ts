// Least-privilege ACLs for a broker with authentication, derived from the registry: each service
// may read the topics it subscribes to in its own groups and write only its dead-letter topics;
// the relay writes the event topics (it publishes every service's outbox). Topic creation,
// redrive and replay tooling run as the admin (super) user; the ops console, which redrives from a
// page, has grants of its own.
import { dltTopicName, OPS_AUDIT_TOPIC, SUBSCRIPTIONS, TOPICS } from "@orderflow/contracts";
import kafkajs from "kafkajs";
import type { KafkaClient } from "./client.js";

// kafkajs is CommonJS: Node's ESM loader sees these enums only on its default export
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** consumer groups of the ops console's dead-letter index (one per process start) */
export const DLT_INDEX_GROUP_PREFIX = "orderflow-dlt-index-";

export interface AclGrant {
  principal: string;
  resource: "topic" | "group";
  /** literal name, or a prefix when `prefixed` (consumer groups: a replay's generations share it) */
  name: string;
  prefixed?: boolean;
  operation: "READ" | "WRITE" | "DESCRIBE";
}

/** The grants for every service, principals named `User:<service>` unless `principals` maps them. */
export function serviceAcls(principals: Partial<Record<string, string>> = {}): AclGrant[] {
  const who = (service: string) => `User:${principals[service] ?? service}`;
  const out: AclGrant[] = [];
  for (const s of SUBSCRIPTIONS) {
    const p = who(s.service);
    out.push(
      { principal: p, resource: "group", name: s.group, prefixed: true, operation: "READ" },
      { principal: p, resource: "group", name: s.group, prefixed: true, operation: "DESCRIBE" },
    );
    for (const t of s.topics) {
      out.push(
        { principal: p, resource: "topic", name: t, operation: "READ" },
        { principal: p, resource: "topic", name: t, operation: "DESCRIBE" },
      );
      out.push(
        { principal: p, resource: "topic", name: dltTopicName(t, s.group), operation: "WRITE" },
        { principal: p, resource: "topic", name: dltTopicName(t, s.group), operation: "DESCRIBE" },
      );
    }
  }
  for (const t of Object.values(TOPICS))
    out.push(
      { principal: who("outbox-relay"), resource: "topic", name: t.name, operation: "WRITE" },
      { principal: who("outbox-relay"), resource: "topic", name: t.name, operation: "DESCRIBE" },
    );
  // the ops console reads every dead-letter topic and the audit trail (its index's own groups),
  // reads the groups' offsets for lag, and writes redrives to the event topics and the audit trail
  const ops = who("ops-console");
  out.push({ principal: ops, resource: "group", name: DLT_INDEX_GROUP_PREFIX, prefixed: true, operation: "READ" });
  for (const s of SUBSCRIPTIONS) {
    out.push({ principal: ops, resource: "group", name: s.group, prefixed: true, operation: "DESCRIBE" });
    for (const t of s.topics)
      out.push(
        { principal: ops, resource: "topic", name: dltTopicName(t, s.group), operation: "READ" },
        { principal: ops, resource: "topic", name: dltTopicName(t, s.group), operation: "DESCRIBE" },
      );
  }
  for (const t of Object.values(TOPICS))
    out.push(
      { principal: ops, resource: "topic", name: t.name, operation: "WRITE" },
      { principal: ops, resource: "topic", name: t.name, operation: "DESCRIBE" },
    );
  for (const operation of ["READ", "WRITE", "DESCRIBE"] as const)
    out.push({ principal: ops, resource: "topic", name: OPS_AUDIT_TOPIC.name, operation });
  // a grant listed twice (a service in two groups reading one topic) is one ACL
  return [...new Map(out.map((g) => [JSON.stringify(g), g])).values()];
}

/** Create the grants on the broker (idempotent); the client must be a super user. */
export async function applyAcls(client: KafkaClient, grants: AclGrant[]): Promise<number> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls({
      acl: grants.map((g) => ({
        resourceType: g.resource === "topic" ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
        resourceName: client.physical(g.name),
        resourcePatternType: g.prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
        principal: g.principal,
        host: "*",
        operation: AclOperationTypes[g.operation],
        permissionType: AclPermissionTypes.ALLOW,
      })),
    });
    return grants.length;
  } finally {
    await admin.disconnect();
  }
}
