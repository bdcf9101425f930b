import { orderflowVitest } from "@orderflow/vitest-config";

export default orderflowVitest({ slowTimeoutMs: 180_000 });
