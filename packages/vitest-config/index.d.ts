import type { UserConfig } from "vitest/config";

export function orderflowVitest(opts?: { slowTimeoutMs?: number }): UserConfig;
