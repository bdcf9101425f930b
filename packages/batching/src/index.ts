// Public surface of @orderflow/batching.
export { coalesce, groupCommit, type CoalesceOptions } from "./coalesce.js";
