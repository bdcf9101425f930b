// The Kubernetes manifests parse, and say what the design needs: probes on /readyz and
// /healthz, a preStop sleep and a grace period that fit the drain on shutdown, resource requests, configuration from a ConfigMap and a Secret, a migration Job per
// service database, and a local overlay on top of the base that adds the payment provider
// simulator (a production install calls its real provider). No cluster needed.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const k8s = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../k8s");
const apps = fs.readdirSync(path.resolve(k8s, "../../apps"));
const docs = (file: string) =>
  // biome-ignore lint/suspicious/noExplicitAny: parsed manifests of several kinds, read field by field; a missing field fails its expectation
  parseAllDocuments(fs.readFileSync(path.join(k8s, file), "utf8")).map((d) => d.toJS() as any);
const base = docs("base/kustomization.yaml")[0];
const all = (base.resources as string[]).flatMap((f) => docs(path.join("base", f)));
const local = docs("overlays/local/kustomization.yaml")[0];
const localOnly = (local.resources as string[])
  .filter((r) => !r.startsWith("../"))
  .flatMap((f) => docs(path.join("overlays/local", f)));
/** apps whose Deployment only the local overlay has */
const SIMULATORS = ["payment-provider"];

describe("kubernetes manifests", () => {
  it("list only files that exist, and the local overlay builds on the base", () => {
    for (const r of base.resources) expect(fs.existsSync(path.join(k8s, "base", r)), r).toBe(true);
    expect(local.resources).toEqual(["../../base", ...SIMULATORS.map((a) => `${a}.yaml`)]);
    expect(local.images.map((i: { name: string }) => i.name).sort()).toEqual(apps.map((a) => `orderflow/${a}`).sort());
  });

  it.each(apps)("deploy %s with probes, resources and its configuration", (app) => {
    const manifests = SIMULATORS.includes(app) ? localOnly : all;
    const d = manifests.find((x) => x.kind === "Deployment" && x.metadata.name === app);
    expect(d).toBeDefined();
    const c = d.spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe("/readyz");
    expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    expect(c.resources.requests.cpu).toBeTruthy();
    expect(c.resources.requests.memory).toBeTruthy();
    // the simulator reads none of the shared settings (Kafka, tracing): it has its own few
    if (!SIMULATORS.includes(app)) expect(c.envFrom[0].configMapRef.name).toBe("orderflow-config");
    expect(d.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    const svc = manifests.find((x) => x.kind === "Service" && x.metadata.name === app);
    expect(svc.spec.ports[0].port).toBe(c.ports[0].containerPort);
    // every secret it reads exists
    const secret = all.find((x) => x.kind === "Secret");
    // biome-ignore lint/suspicious/noExplicitAny: parsed manifests of several kinds, read field by field; a missing field fails its expectation
    for (const e of c.env.filter((v: any) => v.valueFrom))
      expect(Object.keys(secret.stringData)).toContain(e.valueFrom.secretKeyRef.key);
  });

  it.each(apps)(
    "give %s a preStop sleep matching its drain, and a termination grace period past both and the shutdown's",
    (app) => {
      const manifests = SIMULATORS.includes(app) ? localOnly : all;
      const d = manifests.find((x) => x.kind === "Deployment" && x.metadata.name === app);
      const c = d.spec.template.spec.containers[0];
      // what the service reads: the shared ConfigMap, then its own env over it
      const configMap = all.find((x) => x.kind === "ConfigMap" && x.metadata.name === "orderflow-config");
      const env: Record<string, string> = {
        ...(c.envFrom?.some((f: { configMapRef?: { name: string } }) => f.configMapRef?.name === "orderflow-config")
          ? configMap.data
          : {}),
        ...Object.fromEntries((c.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value])),
      };
      const drainMs = Number(env.SHUTDOWN_DRAIN_MS);
      const graceMs = Number(env.SHUTDOWN_GRACE_MS);
      expect(drainMs, "SHUTDOWN_DRAIN_MS is set").toBeGreaterThan(0);
      expect(graceMs, "SHUTDOWN_GRACE_MS is set").toBeGreaterThan(0);
      // the kubelet's own sleep (k8s 1.30+): no shell or sleep binary needed in the image
      const preStopSeconds = c.lifecycle.preStop.sleep.seconds;
      expect(preStopSeconds * 1000).toBe(drainMs);
      expect(c.readinessProbe.httpGet.path).toBe("/readyz");
      // the grace period counts from the preStop hook; past it the kubelet kills the process
      expect(d.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
        preStopSeconds * 1000 + drainMs + graceMs,
      );
    },
  );

  it("points payment at the simulator in the local overlay, and at a provider of your own in the base", () => {
    // biome-ignore lint/suspicious/noExplicitAny: parsed manifests of several kinds, read field by field; a missing field fails its expectation
    const env = (d: any) => d.spec.template.spec.containers[0].env as { name: string; value?: string }[];
    const payment = all.find((x) => x.kind === "Deployment" && x.metadata.name === "payment");
    expect(env(payment).find((e) => e.name === "PAYMENT_PROVIDER_URL")?.value).toMatch(/^https:\/\//);
    const patch = (local.patches as { target: { name?: string }; patch: string }[]).find(
      (p) => p.target.name === "payment",
    );
    expect(patch?.patch).toMatch(/name: PAYMENT_PROVIDER_URL, value: "http:\/\/payment-provider:3006"/);
  });

  it("runs each service's migrations as a Job with the migration role", () => {
    const jobs = all.filter((x) => x.kind === "Job");
    expect(jobs.map((j) => j.metadata.name).sort()).toEqual(["order-migrate", "payment-migrate", "shipping-migrate"]);
    for (const j of jobs) {
      const c = j.spec.template.spec.containers[0];
      expect(c.command).toEqual(["node", "dist/migrate.js", "deploy"]);
      expect(c.env[0].valueFrom.secretKeyRef.key).toMatch(/_MIGRATE_URL$/);
    }
  });
});
