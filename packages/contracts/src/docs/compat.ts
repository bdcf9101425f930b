// The compatibility gate: compares the contracts with the last released snapshot and names
// every backward-incompatible change (event, field, rule), as `buf breaking` does for protobuf.
import { EVENT_DEFINITIONS } from "../registry.js";
import { TOPICS } from "../topics.js";
import { eventJsonSchemas, type JsonSchema } from "./json-schema.js";

export interface ContractSnapshot {
  version: string;
  events: Record<string, JsonSchema>;
  topics: Record<string, { key: string; events: string[] }>;
}

export function currentSnapshot(version: string): ContractSnapshot {
  const topics: ContractSnapshot["topics"] = {};
  for (const t of Object.values(TOPICS)) topics[t.name] = { key: t.key, events: EVENT_DEFINITIONS.filter((d) => d.topic === t.name).map((d) => `${d.type}.v${d.version}`) };
  return { version, events: eventJsonSchemas(), topics };
}

export interface Breaking {
  event?: string;
  topic?: string;
  field?: string;
  rule: "removed-event" | "removed-field" | "retyped-field" | "new-required-field" | "narrowed-enum" | "changed-constant" | "removed-topic" | "changed-key-rule" | "moved-event";
  message: string;
}

type S = JsonSchema & { type?: unknown; properties?: Record<string, S>; required?: string[]; items?: S; enum?: unknown[]; const?: unknown; anyOf?: S[]; additionalProperties?: unknown };

const typeOf = (s: S): string => (s.const !== undefined ? `const ${JSON.stringify(s.const)}` : Array.isArray(s.type) ? s.type.join("|") : String(s.type ?? (s.anyOf ? "anyOf" : "any")));

function compareSchema(event: string, path: string, before: S, after: S, out: Breaking[]): void {
  const field = path || "(root)";
  if (before.const !== undefined || after.const !== undefined) {
    if (JSON.stringify(before.const) !== JSON.stringify(after.const)) out.push({ event, field, rule: "changed-constant", message: `${event}: ${field}: constant changed from ${JSON.stringify(before.const)} to ${JSON.stringify(after.const)}` });
    return;
  }
  if (typeOf(before) !== typeOf(after)) {
    out.push({ event, field, rule: "retyped-field", message: `${event}: ${field}: type changed from ${typeOf(before)} to ${typeOf(after)} (retyped field)` });
    return;
  }
  if (before.enum) {
    const lost = before.enum.filter((v) => !(after.enum ?? []).includes(v));
    if (lost.length) out.push({ event, field, rule: "narrowed-enum", message: `${event}: ${field}: enum narrowed, ${lost.map((v) => JSON.stringify(v)).join(", ")} no longer allowed` });
  }
  if (before.properties || after.properties) {
    const bp = before.properties ?? {};
    const ap = after.properties ?? {};
    for (const [name, sub] of Object.entries(bp)) {
      const p = path ? `${path}.${name}` : name;
      if (!ap[name]) out.push({ event, field: p, rule: "removed-field", message: `${event}: ${p}: field removed` });
      else compareSchema(event, p, sub, ap[name]!, out);
    }
    const wasRequired = new Set(before.required ?? []);
    for (const name of after.required ?? []) {
      if (!wasRequired.has(name)) {
        const p = path ? `${path}.${name}` : name;
        out.push({ event, field: p, rule: "new-required-field", message: `${event}: ${p}: ${bp[name] ? "optional field became required" : "new required field"} (a producer of the released version does not send it)` });
      }
    }
  }
  if (before.items && after.items) compareSchema(event, `${path}[]`, before.items, after.items, out);
  if (before.anyOf && after.anyOf && before.anyOf.length === after.anyOf.length) before.anyOf.forEach((b, i) => compareSchema(event, path, b, after.anyOf![i]!, out));
}

/** Every change from `released` to `current` that would break a consumer or producer of the released contracts. */
export function breakingChanges(released: ContractSnapshot, current: ContractSnapshot): Breaking[] {
  const out: Breaking[] = [];
  for (const [id, schema] of Object.entries(released.events)) {
    const now = current.events[id];
    if (!now) out.push({ event: id, rule: "removed-event", message: `${id}: event type version removed (records of it are still on the topics)` });
    else compareSchema(id, "", schema as S, now as S, out);
  }
  for (const [name, t] of Object.entries(released.topics)) {
    const now = current.topics[name];
    if (!now) {
      out.push({ topic: name, rule: "removed-topic", message: `topic ${name}: removed` });
      continue;
    }
    if (now.key !== t.key) out.push({ topic: name, rule: "changed-key-rule", message: `topic ${name}: key rule changed from ${t.key} to ${now.key} (per-key ordering breaks)` });
    for (const e of t.events) if (!now.events.includes(e) && current.events[e]) out.push({ topic: name, event: e, rule: "moved-event", message: `topic ${name}: ${e} no longer travels on it` });
  }
  return out;
}
