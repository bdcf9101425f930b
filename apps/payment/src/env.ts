// The payment service's configuration, parsed once at start-up; a bad value stops the process
// with a message naming the variable and what is wrong with it.
import { consumingServiceConfig, httpUrl, positiveInt } from "@orderflow/config";
import { z } from "zod";

const config = consumingServiceConfig("payment", 3002, "orderflow_payment", {
  PAYMENT_PROVIDER_URL: httpUrl("http://127.0.0.1:3006").describe(
    "the card payment provider's API (locally apps/payment-provider, the simulator)",
  ),
  PAYMENT_PROVIDER_TIMEOUT_MS: positiveInt(2000).describe(
    "the deadline of one provider call; past it the call counts as unanswered and is retried",
  ),
  PAYMENT_GATEWAY_FAILPOINT: z
    .enum(["unavailable"])
    .optional()
    .describe(
      "fault injection for tests and demos: `unavailable` makes every provider call fail without calling (retried, then dead-lettered: what a provider outage looks like to an operator)",
    ),
  PAYMENT_CONSUMER_FAILPOINT: z
    .string()
    .regex(/^crash-after-(handled|provider):[1-9]\d*$/, "must be crash-after-handled:<n> or crash-after-provider:<n>")
    .transform((v) => {
      const [kind, n] = v.replace(/^crash-after-/, "").split(":");
      return kind === "handled"
        ? ({ kind: "crash-after-handled", n: Number(n) } as const)
        : ({ kind: "crash-after-provider", n: Number(n) } as const);
    })
    .optional()
    .describe(
      "fault injection for tests (the reliability suite): `crash-after-handled:N` SIGKILLs the process once N records are applied in the database, before their offsets are committed; `crash-after-provider:N` once the provider has answered N calls, before the transaction that records the answers commits",
    ),
});

export const loadEnv = (source: Record<string, string | undefined> = process.env) => config.parse(source);

export const { ENV_KEYS, ENV_SHAPE } = config; // for the deploy-config test and docs/configuration.md
