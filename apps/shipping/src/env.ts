// The shipping service's configuration, parsed once at start-up; a bad value stops the process
// with a message naming the variable and what is wrong with it.
import { checkApiServiceEnv, consumingServiceEnv, httpPort, positiveInt, serviceConfig } from "@orderflow/config";
import { z } from "zod";

const config = serviceConfig("shipping", checkApiServiceEnv, {
  PORT: httpPort(3003),
  ...consumingServiceEnv("orderflow_shipping"),
  SHIPPING_DISPATCH_DELAY_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(2000)
    .describe(
      "simulated warehouse handling time: a paid order's shipment waits this long for pickup, and a cancel in that window cancels the shipment",
    ),
  SHIPPING_DISPATCH_POLL_MS: positiveInt(250).describe("how often shipments due for dispatch are looked for"),
});

export const loadEnv = (source: Record<string, string | undefined> = process.env) => config.parse(source);

export const { ENV_KEYS, ENV_SHAPE } = config; // for the deploy-config test and docs/configuration.md
