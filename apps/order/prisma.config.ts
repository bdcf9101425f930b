// Prisma CLI configuration. The URL is only needed by CLI commands that talk to the database;
// `generate` does not. Migrations run through `orderflow-migrate` (wasm engine, docs/architecture.md "Offline Prisma").
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
