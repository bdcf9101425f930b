import { describe, expect, it } from "vitest";
import { createVerifier, signToken } from "./auth.js";

const settings = {
  mode: "jwt" as const,
  algorithm: "HS256" as const,
  secret: "a-test-secret-of-at-least-32-characters!",
  issuer: "tests",
  audience: "orderflow-api",
};

describe("createVerifier", () => {
  it("remembers a verified token only until it expires", async () => {
    let clock = Date.now();
    const verify = createVerifier(settings, () => clock);
    const token = await signToken(settings, { subject: "ada", scopes: ["ops"], ttlSeconds: 60 });
    expect(await verify(token)).toEqual({ subject: "ada", scopes: ["ops"] });
    expect(await verify(token)).toEqual({ subject: "ada", scopes: ["ops"] });
    clock += 61_000;
    await expect(verify(token)).rejects.toThrow(/exp/);
  });

  it("never remembers a refusal: a token signed with another key stays refused", async () => {
    const verify = createVerifier(settings);
    const forged = await signToken(
      { ...settings, secret: "another-secret-of-at-least-32-characters" },
      { subject: "mallory", scopes: ["ops"] },
    );
    await expect(verify(forged)).rejects.toThrow(/signature/);
    await expect(verify(forged)).rejects.toThrow(/signature/);
  });
});
