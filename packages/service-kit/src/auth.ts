// Bearer-token authentication for the HTTP APIs: signed JWTs verified with one pinned algorithm,
// issuer and audience (jose), OAuth2-style scopes per route. Health and metrics stay open.
import type { RequestHandler } from "express";
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { HttpProblem } from "./http.js";

export type AuthAlgorithm = "HS256" | "RS256" | "ES256";

export interface AuthSettings {
  /** `off` accepts every request (a deployment behind its own gateway); the default is `jwt` */
  mode: "jwt" | "off";
  algorithm: AuthAlgorithm;
  /** HS256 key */
  secret?: string | undefined;
  /** where RS256/ES256 public keys come from (an identity provider's JWKS endpoint) */
  jwksUrl?: string | undefined;
  issuer: string;
  audience: string;
}

export interface Principal {
  subject: string;
  scopes: string[];
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** who the bearer token names (set by `authenticate`) */
      principal?: Principal;
    }
  }
}

export type Verifier = (token: string) => Promise<Principal>;

/** verified tokens remembered (a client sends the same token with every request) */
const VERIFIED_CACHE_SIZE = 10_000;

export function createVerifier(s: AuthSettings, now: () => number = Date.now): Verifier {
  if (s.mode === "off") return async () => ({ subject: "anonymous", scopes: ["*"] });
  const key = s.algorithm === "HS256" ? new TextEncoder().encode(s.secret ?? "") : undefined;
  const jwks = s.algorithm !== "HS256" && s.jwksUrl ? createRemoteJWKSet(new URL(s.jwksUrl)) : undefined;
  if (!key && !jwks)
    throw new Error(`auth: ${s.algorithm} needs ${s.algorithm === "HS256" ? "a secret" : "a JWKS URL"}`);
  // A token verified once is the same token until it expires: its signature, issuer and audience
  // cannot change. Remembering the verdict until `exp` saves the HMAC/signature check and the
  // JSON work on every request (~7% of POST /orders' CPU); refusals are never remembered.
  const verified = new Map<string, { principal: Principal; expMs: number }>();
  return async (token) => {
    const hit = verified.get(token);
    if (hit && hit.expMs > now()) return hit.principal;
    if (hit) verified.delete(token);
    const opts = {
      algorithms: [s.algorithm],
      issuer: s.issuer,
      audience: s.audience,
      requiredClaims: ["exp", "sub"],
      currentDate: new Date(now()),
    };
    const { payload } = key ? await jwtVerify(token, key, opts) : await jwtVerify(token, jwks!, opts);
    const principal = { subject: payload.sub!, scopes: scopesOf(payload) };
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, { principal, expMs: payload.exp! * 1000 });
    return principal;
  };
}

function scopesOf(p: JWTPayload): string[] {
  if (typeof p.scope === "string") return p.scope.split(" ").filter(Boolean);
  if (Array.isArray(p.scp)) return p.scp.filter((x): x is string => typeof x === "string");
  return [];
}

/** Why a token was refused, in words that help its holder and reveal nothing about the key. */
function reason(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "the token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `the token's "${err.claim}" claim is not accepted`;
  if (err instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not accepted";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  return "the token is malformed";
}

function challenge(error?: string, scope?: string): string {
  return `Bearer realm="orderflow"${error ? `, error="${error}"` : ""}${scope ? `, scope="${scope}"` : ""}`;
}

/** Requires a valid bearer token carrying `scope`: 401 without a (valid) token, 403 without the scope. */
export function requireScope(verify: Verifier, scope: string): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header) : null;
    if (!m) {
      res.setHeader("www-authenticate", challenge(undefined, scope));
      return next(
        new HttpProblem(
          401,
          "Unauthorized",
          header ? "the Authorization header is not a bearer token" : "a bearer token is required",
        ),
      );
    }
    verify(m[1]!).then(
      (principal) => {
        req.principal = principal;
        req.log = req.log.child({ principal: principal.subject });
        if (!principal.scopes.includes(scope) && !principal.scopes.includes("*")) {
          res.setHeader("www-authenticate", challenge("insufficient_scope", scope));
          return next(new HttpProblem(403, "Forbidden", `the token lacks the "${scope}" scope`));
        }
        next();
      },
      (err: unknown) => {
        const why = reason(err);
        req.log.warn({ reason: why }, "bearer token refused");
        res.setHeader("www-authenticate", challenge("invalid_token"));
        next(new HttpProblem(401, "Unauthorized", why));
      },
    );
  };
}

/** An HS256 token for local use and tests (`pnpm orderflow token`); real tokens come from an identity provider. */
export async function signToken(
  s: { secret: string; issuer: string; audience: string },
  claims: { subject: string; scopes: string[]; ttlSeconds?: number },
): Promise<string> {
  return new SignJWT({ scope: claims.scopes.join(" ") })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.subject)
    .setIssuer(s.issuer)
    .setAudience(s.audience)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`)
    .sign(new TextEncoder().encode(s.secret));
}

/** The scopes Orderflow's routes ask for. */
export const SCOPES = { read: "orders:read", write: "orders:write", ops: "ops" } as const;
