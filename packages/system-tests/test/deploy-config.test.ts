// The deploy files cannot drift from the code: every variable docker-compose and the Kubernetes
// manifests give a service is one it reads, and their values pass its own configuration schema.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import * as opsConsole from "../../../apps/ops-console/src/env.js";
import * as order from "../../../apps/order/src/env.js";
import * as relay from "../../../apps/outbox-relay/src/env.js";
import * as provider from "../../../apps/payment-provider/src/env.js";
import * as payment from "../../../apps/payment/src/env.js";
import * as shipping from "../../../apps/shipping/src/env.js";
import { repoRoot } from "./harness.js";

const services = {
  order,
  // the order image's second process reads the order service's configuration
  "order-projection": order,
  payment,
  shipping,
  "outbox-relay": relay,
  "ops-console": opsConsole,
  "payment-provider": provider,
} as const;
const compose = parse(fs.readFileSync(path.join(repoRoot, "infra", "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string> }>;
};
const k8sDocs = (f: string) =>
  // biome-ignore lint/suspicious/noExplicitAny: parsed manifests of several kinds, read field by field; a missing field fails its expectation
  parseAllDocuments(fs.readFileSync(path.join(repoRoot, "infra", "k8s", f), "utf8")).map((d) => d.toJS() as any);
const [configMap, secret] = k8sDocs("base/config.yaml");
// the provider simulator runs only in the local overlay: a production install has a real provider
const k8sFile = (name: string) =>
  name === "payment-provider" ? "overlays/local/payment-provider.yaml" : `base/${name}.yaml`;

describe.each(Object.entries(services))("%s", (name, svc) => {
  it("reads every variable docker-compose sets, and accepts their values", () => {
    const env = compose.services[name]!.environment!;
    expect(Object.keys(env).filter((k) => !svc.ENV_KEYS.includes(k))).toEqual([]);
    expect(() => svc.loadEnv(env)).not.toThrow();
  });

  it("reads every variable its Kubernetes Deployment sets, and accepts their values", () => {
    const [deployment] = k8sDocs(k8sFile(name));
    const c = deployment.spec.template.spec.containers[0];
    // biome-ignore lint/suspicious/noExplicitAny: parsed manifests of several kinds, read field by field; a missing field fails its expectation
    const fromConfigMap = (c.envFrom ?? []).some((f: any) => f.configMapRef?.name === configMap.metadata.name);
    const env: Record<string, string> = fromConfigMap ? { ...configMap.data } : {};
    for (const e of c.env ?? []) env[e.name] = e.value ?? secret.stringData[e.valueFrom.secretKeyRef.key];
    expect(Object.keys(env).filter((k) => !svc.ENV_KEYS.includes(k))).toEqual([]);
    expect(() => svc.loadEnv(env)).not.toThrow();
  });
});
