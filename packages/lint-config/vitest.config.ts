import { orderflowVitest } from "@orderflow/vitest-config";

export default orderflowVitest();
