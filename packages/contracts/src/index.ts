// Public surface of @orderflow/contracts: schemas, types, the topic registry and header names.
export * from "./common.js";
export * from "./envelope.js";
export * from "./events.js";
export * from "./headers.js";
export * from "./registry.js";
export * from "./money.js";
export * from "./text.js";
export * from "./topics.js";
