// Hash-based views: #/orders[?customerId=&status=], #/orders/<id>, #/health, #/history, #/audit.
import { useEffect, useState } from "react";

export type Route =
  | { view: "orders"; customerId: string; status: string }
  | { view: "order"; orderId: string }
  | { view: "health" }
  | { view: "history" }
  | { view: "audit" }
  | { view: "unknown"; hash: string };

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const [pathPart = "", queryPart = ""] = raw.split("?", 2);
  const segments = pathPart.split("/").filter(Boolean);
  const query = new URLSearchParams(queryPart);
  const [first, second, ...rest] = segments;
  if (first === undefined || (first === "orders" && second === undefined)) {
    return { view: "orders", customerId: query.get("customerId") ?? "", status: query.get("status") ?? "" };
  }
  if (first === "orders" && second !== undefined && rest.length === 0)
    return { view: "order", orderId: decode(second) };
  if (first === "health" && second === undefined) return { view: "health" };
  if (first === "history" && second === undefined) return { view: "history" };
  if (first === "audit" && second === undefined) return { view: "audit" };
  return { view: "unknown", hash };
}

export const orderHref = (orderId: string): string => `#/orders/${encodeURIComponent(orderId)}`;

export function ordersHref(filters: { customerId?: string; status?: string } = {}): string {
  const q = new URLSearchParams();
  if (filters.customerId) q.set("customerId", filters.customerId);
  if (filters.status) q.set("status", filters.status);
  const s = q.toString();
  return s ? `#/orders?${s}` : "#/orders";
}

export function useHashRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return parseHash(hash);
}
