// Saying in one line why an answer does not have the shape its schema describes, for the
// operator who reports it: the field and what is wrong with it.
import type { z } from "zod";

type Issue = z.core.$ZodIssue;

/** the first issue, looking into the union branch the answer came closest to (fewest issues),
 *  so an order answer with one bad field names that field rather than "Invalid input" */
function deepest(
  issues: readonly Issue[],
  base: PropertyKey[] = [],
): { path: PropertyKey[]; message: string } | undefined {
  const first = issues[0];
  if (!first) return undefined;
  const path = [...base, ...first.path];
  if (first.code === "invalid_union" && first.errors.length > 0) {
    const closest = [...first.errors].sort((a, b) => a.length - b.length)[0]!;
    return deepest(closest, path) ?? { path, message: first.message };
  }
  return { path, message: first.message };
}

/** `field.path: message` of what a schema found wrong (`body` when it is the whole answer) */
export function mismatch(error: z.ZodError): string {
  const issue = deepest(error.issues);
  if (!issue) return "body: does not match";
  return `${issue.path.map(String).join(".") || "body"}: ${issue.message}`;
}
