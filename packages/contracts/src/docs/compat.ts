// The compatibility gate: compares the contracts with the last released snapshot and names
// every backward-incompatible change (event, field, rule), as `buf breaking` does for protobuf.
// The snapshot belongs to a version: it must be the package's last released version, and a
// breaking change is allowed only into a new major version (a pending `major` changeset).
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
  for (const t of Object.values(TOPICS))
    topics[t.name] = {
      key: t.key,
      events: EVENT_DEFINITIONS.filter((d) => d.topic === t.name).map((d) => `${d.type}.v${d.version}`),
    };
  return { version, events: eventJsonSchemas(), topics };
}

export interface Breaking {
  event?: string;
  topic?: string;
  field?: string;
  rule:
    | "removed-event"
    | "removed-field"
    | "retyped-field"
    | "new-required-field"
    | "narrowed-enum"
    | "changed-constant"
    | "removed-topic"
    | "changed-key-rule"
    | "moved-event";
  message: string;
}

type S = JsonSchema & {
  type?: unknown;
  properties?: Record<string, S>;
  required?: string[];
  items?: S;
  enum?: unknown[];
  const?: unknown;
  anyOf?: S[];
  additionalProperties?: unknown;
};

const typeOf = (s: S): string =>
  s.const !== undefined
    ? `const ${JSON.stringify(s.const)}`
    : Array.isArray(s.type)
      ? s.type.join("|")
      : String(s.type ?? (s.anyOf ? "anyOf" : "any"));

function compareSchema(event: string, path: string, before: S, after: S, out: Breaking[]): void {
  const field = path || "(root)";
  if (before.const !== undefined || after.const !== undefined) {
    if (JSON.stringify(before.const) !== JSON.stringify(after.const))
      out.push({
        event,
        field,
        rule: "changed-constant",
        message: `${event}: ${field}: constant changed from ${JSON.stringify(before.const)} to ${JSON.stringify(after.const)}`,
      });
    return;
  }
  if (typeOf(before) !== typeOf(after)) {
    out.push({
      event,
      field,
      rule: "retyped-field",
      message: `${event}: ${field}: type changed from ${typeOf(before)} to ${typeOf(after)} (retyped field)`,
    });
    return;
  }
  if (before.enum) {
    const lost = before.enum.filter((v) => !(after.enum ?? []).includes(v));
    if (lost.length)
      out.push({
        event,
        field,
        rule: "narrowed-enum",
        message: `${event}: ${field}: enum narrowed, ${lost.map((v) => JSON.stringify(v)).join(", ")} no longer allowed`,
      });
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
        out.push({
          event,
          field: p,
          rule: "new-required-field",
          message: `${event}: ${p}: ${bp[name] ? "optional field became required" : "new required field"} (a producer of the released version does not send it)`,
        });
      }
    }
  }
  if (before.items && after.items) compareSchema(event, `${path}[]`, before.items, after.items, out);
  if (before.anyOf && after.anyOf && before.anyOf.length === after.anyOf.length)
    for (const [i, b] of before.anyOf.entries()) compareSchema(event, path, b, after.anyOf[i]!, out);
}

/** Every change from `released` to `current` that would break a consumer or producer of the released contracts. */
export function breakingChanges(released: ContractSnapshot, current: ContractSnapshot): Breaking[] {
  const out: Breaking[] = [];
  for (const [id, schema] of Object.entries(released.events)) {
    const now = current.events[id];
    if (!now)
      out.push({
        event: id,
        rule: "removed-event",
        message: `${id}: event type version removed (records of it are still on the topics)`,
      });
    else compareSchema(id, "", schema as S, now as S, out);
  }
  for (const [name, t] of Object.entries(released.topics)) {
    const now = current.topics[name];
    if (!now) {
      out.push({ topic: name, rule: "removed-topic", message: `topic ${name}: removed` });
      continue;
    }
    if (now.key !== t.key)
      out.push({
        topic: name,
        rule: "changed-key-rule",
        message: `topic ${name}: key rule changed from ${t.key} to ${now.key} (per-key ordering breaks)`,
      });
    for (const e of t.events)
      if (!now.events.includes(e) && current.events[e])
        out.push({
          topic: name,
          event: e,
          rule: "moved-event",
          message: `topic ${name}: ${e} no longer travels on it`,
        });
  }
  return out;
}

/** major.minor.patch(-pre) of a version; undefined when it is not one */
function parseVersion(v: string): { major: number; minor: number; patch: number; pre: string } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(v);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ?? "" } : undefined;
}

/** <0, 0 or >0 as a is older than, the same as or newer than b (prerelease tags compared as text) */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) throw new Error(`not a semantic version: ${x ? b : a}`);
  return (
    x.major - y.major ||
    x.minor - y.minor ||
    x.patch - y.patch ||
    (x.pre === y.pre ? 0 : x.pre === "" ? 1 : y.pre === "" ? -1 : x.pre < y.pre ? -1 : 1)
  );
}

const isMajorAfter = (next: string, released: string) => parseVersion(next)!.major > parseVersion(released)!.major;

/** The next version of the package that the pending changesets produce (`changeset version`). */
export interface PendingRelease {
  version: string;
  bump: "major" | "minor" | "patch" | "none";
}

export interface GateVerdict {
  ok: boolean;
  breaking: Breaking[];
  /** what to print, in order; on failure, what is wrong and what to do */
  lines: string[];
}

const RELEASE_HINT =
  "a release is `pnpm changeset version` followed by `pnpm --filter @orderflow/contracts compat:release` (see packages/contracts/README.md, Releasing)";

/** `compat`: the contracts in the source against the released snapshot. */
export function compatGate(input: {
  released: ContractSnapshot;
  current: ContractSnapshot;
  packageVersion: string;
  pending?: PendingRelease | undefined;
}): GateVerdict {
  const { released, current, packageVersion, pending } = input;
  if (released.version !== packageVersion) {
    return {
      ok: false,
      breaking: [],
      lines: [
        `compat/released.json records the contracts ${released.version}, but the package's last released version (package.json) is ${packageVersion}.`,
        `The snapshot and the version are released together: ${RELEASE_HINT}.`,
      ],
    };
  }
  const breaking = breakingChanges(released, current);
  const next = pending && pending.bump !== "none" ? ` (pending release: ${pending.version}, ${pending.bump})` : "";
  if (breaking.length === 0)
    return { ok: true, breaking, lines: [`compatible with the released contracts ${released.version}${next}`] };
  const list = breaking.map((b) => `  ${b.message}  [${b.rule}]`);
  if (pending && pending.bump !== "none" && isMajorAfter(pending.version, released.version)) {
    return {
      ok: true,
      breaking,
      lines: [
        `${breaking.length} breaking change(s) against the released contracts ${released.version}, allowed: the pending release ${pending.version} is a major version:`,
        ...list,
      ],
    };
  }
  return {
    ok: false,
    breaking,
    lines: [
      `${breaking.length} breaking change(s) against the released contracts ${released.version}:`,
      ...list,
      `A breaking change needs a major version, and the pending release is ${pending && pending.bump !== "none" ? `${pending.version} (${pending.bump})` : "none (no changeset for @orderflow/contracts)"}.`,
      "Better for every consumer: publish a new event version (with an upcaster) instead of changing a released one.",
      'If it must break: add a changeset with "@orderflow/contracts": major (`pnpm changeset`), and tell the consuming teams.',
    ],
  };
}

/** `compat:release`: may the current contracts be recorded as released at `packageVersion`? */
export function releaseVerdict(input: {
  previous: ContractSnapshot | undefined;
  current: ContractSnapshot;
  packageVersion: string;
}): GateVerdict {
  const { previous, current, packageVersion } = input;
  if (!parseVersion(packageVersion))
    return { ok: false, breaking: [], lines: [`package.json version ${packageVersion} is not a semantic version`] };
  if (!previous) return { ok: true, breaking: [], lines: [`recorded the contracts ${packageVersion} as released`] };
  const breaking = breakingChanges(previous, current);
  const order = compareVersions(packageVersion, previous.version);
  if (order === 0) {
    const same = JSON.stringify(previous) === JSON.stringify(current);
    return same
      ? { ok: true, breaking, lines: [`the contracts ${packageVersion} are already recorded as released`] }
      : {
          ok: false,
          breaking,
          lines: [
            `the contracts ${packageVersion} are already released and differ from the source: a released snapshot does not change; ${RELEASE_HINT}.`,
          ],
        };
  }
  if (order < 0)
    return {
      ok: false,
      breaking,
      lines: [`package.json version ${packageVersion} is older than the released contracts ${previous.version}`],
    };
  if (breaking.length > 0 && !isMajorAfter(packageVersion, previous.version)) {
    return {
      ok: false,
      breaking,
      lines: [
        `${previous.version} → ${packageVersion} is not a major version, but it has ${breaking.length} breaking change(s):`,
        ...breaking.map((b) => `  ${b.message}  [${b.rule}]`),
        'Add a changeset with "@orderflow/contracts": major, or undo the breaking change.',
      ],
    };
  }
  return {
    ok: true,
    breaking,
    lines: [
      `recorded the contracts ${packageVersion} as released (previously ${previous.version}${breaking.length ? `; ${breaking.length} breaking change(s), a major version` : ""})`,
    ],
  };
}
