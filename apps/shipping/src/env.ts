// The shipping service's configuration, parsed once at start-up; a bad value stops the process
// with a message naming the variable and what is wrong with it.
import { consumingServiceConfig, nonNegativeInt, positiveInt } from "@orderflow/config";

const config = consumingServiceConfig("shipping", 3003, "orderflow_shipping", {
  SHIPPING_DISPATCH_DELAY_MS: nonNegativeInt(2000).describe(
    "simulated warehouse handling time: a paid order's shipment waits this long for pickup, and a cancel in that window cancels the shipment",
  ),
  SHIPPING_DISPATCH_POLL_MS: positiveInt(250).describe("how often shipments due for dispatch are looked for"),
});

export const loadEnv = (source: Record<string, string | undefined> = process.env) => config.parse(source);

export const { ENV_KEYS, ENV_SHAPE } = config; // for the deploy-config test and docs/configuration.md
