#!/usr/bin/env node
// Committed shim so the bin link exists before the package is built.
await import("../dist/migrate/bin.js");
