// The Kubernetes manifests parse, and say what the design needs: probes on /readyz and
// /healthz, resource requests, configuration from a ConfigMap and a Secret, a migration Job per
// service database, and a local overlay on top of the base. No cluster needed.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const k8s = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../k8s");
const apps = fs.readdirSync(path.resolve(k8s, "../../apps"));
const docs = (file: string) => parseAllDocuments(fs.readFileSync(path.join(k8s, file), "utf8")).map((d) => d.toJS() as any);
const base = docs("base/kustomization.yaml")[0];
const all = (base.resources as string[]).flatMap((f) => docs(path.join("base", f)));

describe("kubernetes manifests", () => {
  it("list only files that exist, and the local overlay builds on the base", () => {
    for (const r of base.resources) expect(fs.existsSync(path.join(k8s, "base", r)), r).toBe(true);
    const local = docs("overlays/local/kustomization.yaml")[0];
    expect(local.resources).toEqual(["../../base"]);
    expect(local.images.map((i: { name: string }) => i.name).sort()).toEqual(apps.map((a) => `orderflow/${a}`).sort());
  });

  it.each(apps)("deploy %s with probes, resources and its configuration", (app) => {
    const d = all.find((x) => x.kind === "Deployment" && x.metadata.name === app);
    expect(d).toBeDefined();
    const c = d.spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe("/readyz");
    expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    expect(c.resources.requests.cpu).toBeTruthy();
    expect(c.resources.requests.memory).toBeTruthy();
    expect(c.envFrom[0].configMapRef.name).toBe("orderflow-config");
    expect(d.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    const svc = all.find((x) => x.kind === "Service" && x.metadata.name === app);
    expect(svc.spec.ports[0].port).toBe(c.ports[0].containerPort);
    // every secret it reads exists
    const secret = all.find((x) => x.kind === "Secret");
    for (const e of c.env.filter((v: any) => v.valueFrom)) expect(Object.keys(secret.stringData)).toContain(e.valueFrom.secretKeyRef.key);
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
