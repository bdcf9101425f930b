// Text every consumer can store: PostgreSQL's text and jsonb cannot hold U+0000, and a lone UTF-16
// surrogate is not Unicode at all (JSON.stringify escapes it; jsonb and UTF-8 encoders refuse it).

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `s` cannot be stored as text, or undefined when it can. */
export function unstorableReason(s: string): string | undefined {
  if (s.includes("\u0000")) return "must not contain the NUL character (U+0000)";
  if (LONE_SURROGATE.test(s)) return "must not contain a lone UTF-16 surrogate (not Unicode text)";
  return undefined;
}

/** The first string (or object key) under `value` that text storage refuses: its path and why. */
export function findUnstorableText(
  value: unknown,
  path: (string | number)[] = [],
  depth = 0,
): { path: (string | number)[]; message: string } | undefined {
  if (typeof value === "string") {
    const message = unstorableReason(value);
    return message ? { path, message } : undefined;
  }
  if (depth > 64 || value === null || typeof value !== "object") return undefined;
  for (const [k, v] of Object.entries(value)) {
    const key: string | number = Array.isArray(value) ? Number(k) : k;
    const keyProblem = typeof key === "string" ? unstorableReason(key) : undefined;
    if (keyProblem) return { path: [...path, JSON.stringify(key).slice(1, -1)], message: `field name ${keyProblem}` };
    const hit = findUnstorableText(v, [...path, key], depth + 1);
    if (hit) return hit;
  }
  return undefined;
}
