// The stack tool's building blocks, for test suites that run a private stack of their own (the
// reliability suite starts a 3-broker cluster and a PostgreSQL it may stop and restart), and the
// wait helper for code that runs outside vitest (the bench, the services harness).
export { loadStackEnv, type StackEnv } from "../env.js";
export { bootstrapServers, kafkaDown, kafkaLayout, kafkaUp, runningLayout } from "./kafka.js";
export { adminUrl, pgDown, pgUp } from "./postgres.js";
export { waitFor } from "./proc.js";
