// infra/docker-compose.yml cannot drift from the code: its topic job creates exactly the
// registry's topics with their partitions and retention, it runs every app, every image is pinned,
// and Prometheus and Grafana get the repository's scrape config, rules and dashboard.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { plannedTopics } from "@orderflow/kafka";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const file = path.join(root, "infra", "docker-compose.yml");

/** The file as Compose itself resolves it (`docker compose config`, or Debian's docker-compose),
 *  or, on a machine with neither, as YAML. */
function composeConfig(): { text: string; by: string } {
  for (const [cmd, args] of [
    ["docker", ["compose", "-f", file, "config"]],
    ["docker-compose", ["-f", file, "config"]],
  ] as const) {
    const r = spawnSync(cmd, [...args], { encoding: "utf8" });
    if (r.status === 0) return { text: r.stdout, by: `${cmd} ${args[0]}` };
    if (r.error === undefined && r.stderr && !/unknown (command|shorthand flag)|is not a docker command/.test(r.stderr))
      throw new Error(`${cmd} ${args.join(" ")} rejects the file:\n${r.stderr}`);
  }
  return { text: fs.readFileSync(file, "utf8"), by: "yaml" };
}

const resolved = composeConfig();
const compose = parse(resolved.text, { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      command?: string[] | string;
      volumes?: (string | { source: string; target: string })[];
      build?: { dockerfile: string; context?: string; args?: Record<string, string> };
      environment?: Record<string, string>;
      ports?: (string | { published: number | string; target: number })[];
    }
  >;
};

describe("docker-compose.yml", () => {
  it("creates exactly the registry's topics, partitions and retention", () => {
    const c = compose.services.topics!.command!;
    const script = Array.isArray(c) ? c.join("\n") : c;
    const created = [...script.matchAll(/^\s*t (\S+) (\d+) (-?\d+)$/gm)].map((m) => ({
      name: m[1],
      partitions: Number(m[2]),
      retentionMs: Number(m[3]),
    }));
    expect(created.sort((a, b) => a.name!.localeCompare(b.name!))).toEqual(
      plannedTopics().sort((a, b) => a.name.localeCompare(b.name)),
    );
  });

  it("runs every app from the one Dockerfile with its name and the port it publishes, with Kafka and its database (the console has none: it asks the services; the provider simulator neither)", () => {
    const apps = fs.readdirSync(path.join(root, "apps"));
    expect(fs.existsSync(path.join(root, "infra", "Dockerfile"))).toBe(true);
    for (const app of apps) {
      const svc = compose.services[app];
      expect(svc, app).toBeDefined();
      // Compose resolves the context; the Dockerfile is relative to it
      expect(svc!.build!.dockerfile).toBe("infra/Dockerfile");
      expect(svc!.build!.args?.APP).toBe(app);
      expect(fs.existsSync(path.join(root, "apps", app, "package.json"))).toBe(true);
      // the image listens where the service is published (Compose writes "3001:3001" out in full)
      const port = Number(svc!.build!.args?.PORT);
      expect(svc!.ports!.map((p) => (typeof p === "string" ? p : `${p.published}:${p.target}`))).toEqual([
        `${port}:${port}`,
      ]);
      if (app === "payment-provider") {
        expect([svc!.environment!.KAFKA_BROKERS, svc!.environment!.DATABASE_URL]).toEqual([undefined, undefined]);
        continue;
      }
      expect(svc!.environment!.KAFKA_BROKERS).toBe("kafka:9092");
      if (app === "ops-console") expect(svc!.environment!.DATABASE_URL).toBeUndefined();
      else if (app !== "outbox-relay") expect(svc!.environment!.DATABASE_URL).toMatch(new RegExp(`/orderflow_${app}$`));
    }
    expect(compose.services["ops-console"]!.environment!.ORDER_URL).toBe("http://order:3001");
    // payment calls the simulator, and starts once it answers
    expect(compose.services.payment!.environment!.PAYMENT_PROVIDER_URL).toBe("http://payment-provider:3006");
    expect((compose.services.payment as { depends_on?: Record<string, unknown> }).depends_on).toHaveProperty(
      "payment-provider",
    );
    expect(
      compose.services["outbox-relay"]!.environment!.RELAY_DATABASES!.split(",").map((d) => d.split("=")[0]),
    ).toEqual(["order", "payment", "shipping"]);
  });

  it("pins every image to a release, never a moving tag", () => {
    const images = Object.entries(compose.services).flatMap(([name, s]) => (s.image ? [[name, s.image] as const] : []));
    expect(images.map(([name]) => name)).toEqual(
      expect.arrayContaining(["kafka", "kafka-ui", "prometheus", "grafana"]),
    );
    for (const [name, image] of images) expect(image, name).toMatch(/:v?\d+\.\d+(\.\d+)?(-[\w.]+)?$/);
  });

  it("runs Prometheus with infra/prometheus (scrape config and rules) and Grafana with its datasource and the dashboard", () => {
    /** a volume as "source:target", the source relative to infra/ as written (Compose resolves it absolute) */
    const mounts = (svc: string) =>
      (compose.services[svc]!.volumes ?? []).map((v) => {
        const [source, target] = typeof v === "string" ? v.split(":") : [v.source, v.target];
        return `${path.relative(path.join(root, "infra"), path.resolve(path.join(root, "infra"), source!))}:${target}`;
      });
    expect(mounts("prometheus")).toContain("prometheus:/etc/prometheus");
    expect(compose.services.prometheus!.command).toContain("--config.file=/etc/prometheus/prometheus.yml");
    expect(mounts("grafana")).toEqual(
      expect.arrayContaining([
        "grafana/provisioning:/etc/grafana/provisioning",
        "grafana/dashboards:/var/lib/grafana/dashboards",
      ]),
    );
    // the scrape config names each app's Compose service on the port that service listens on
    const scrape = parse(fs.readFileSync(path.join(root, "infra/prometheus/prometheus.yml"), "utf8")) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    for (const app of fs.readdirSync(path.join(root, "apps"))) {
      const job = scrape.scrape_configs.find((j) => j.job_name === app);
      expect(job?.static_configs[0]?.targets, app).toEqual([`${app}:${compose.services[app]!.build!.args!.PORT}`]);
    }
    const ds = parse(
      fs.readFileSync(path.join(root, "infra/grafana/provisioning/datasources/prometheus.yml"), "utf8"),
    ) as {
      datasources: { type: string; url: string }[];
    };
    expect(ds.datasources).toEqual([expect.objectContaining({ type: "prometheus", url: "http://prometheus:9090" })]);
  });
});
