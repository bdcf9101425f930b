// Orders: open one by id, or list the latest (filtered by customer and status).
import { type FormEvent, useState } from "react";
import { OrderList, type OrderSummary } from "@orderflow/http-api/ops-console";
import { useApiGet } from "./api";
import { orderHref, ordersHref } from "./route";
import { formatMoney, Id, StatusBadge, Time } from "./ui";

const LIMIT = 50;
const STATUSES = ["PLACED", "PAID", "SHIPPED", "CANCELLED"] as const;

export function OrdersView({ customerId, status }: { customerId: string; status: string }) {
  const [reload, setReload] = useState(0);

  const q = new URLSearchParams();
  if (customerId) q.set("customerId", customerId);
  if (status) q.set("status", status);
  q.set("limit", String(LIMIT));
  const { data, error, loading } = useApiGet(`/api/orders?${q.toString()}`, OrderList, reload);

  const filtered = Boolean(customerId || status);
  return (
    <>
      <h1 tabIndex={-1}>Orders</h1>
      <SearchForm customerId={customerId} status={status} onSearchAgain={() => setReload((n) => n + 1)} />

      <h2>{filtered ? "Matching orders" : "Latest orders"}</h2>
      {error && (
        <p role="alert" className="banner error">
          Could not load orders: {error.detail}
        </p>
      )}
      {loading && !data && <p className="muted">Loading orders…</p>}
      {data && data.orders.length === 0 && <p>No orders{filtered ? " match these filters" : " yet"}.</p>}
      {data && data.orders.length > 0 && <OrdersTable orders={data.orders} loading={loading} />}
    </>
  );
}

/** open an order by id, or list with new filters (the same filters load the list again) */
function SearchForm({
  customerId,
  status,
  onSearchAgain,
}: {
  customerId: string;
  status: string;
  onSearchAgain: () => void;
}) {
  const [orderId, setOrderId] = useState("");
  const [customer, setCustomer] = useState(customerId);
  const [statusFilter, setStatusFilter] = useState(status);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const id = orderId.trim();
    if (id) {
      window.location.hash = orderHref(id);
      return;
    }
    // new filters change the hash (and so this view); the same ones just load the list again
    onSearchAgain();
    window.location.hash = ordersHref({ customerId: customer.trim(), status: statusFilter });
  };

  return (
    <form className="search" onSubmit={submit} role="search" aria-label="Orders">
      <div className="field">
        <label htmlFor="order-id">Order id</label>
        <input
          id="order-id"
          name="orderId"
          value={orderId}
          onChange={(e) => setOrderId(e.target.value)}
          placeholder="full order id"
          autoComplete="off"
          spellCheck={false}
          aria-describedby="order-id-hint"
        />
        <span id="order-id-hint" className="hint">
          opens that order
        </span>
      </div>
      <div className="field">
        <label htmlFor="customer-id">Customer id</label>
        <input
          id="customer-id"
          name="customerId"
          value={customer}
          onChange={(e) => setCustomer(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
      </div>
      <div className="field">
        <label htmlFor="status">Status</label>
        <select id="status" name="status" value={statusFilter} onChange={(e) => setStatusFilter(e.target.value)}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="field submit">
        <button type="submit">Search</button>
      </div>
    </form>
  );
}

function OrdersTable({ orders, loading }: { orders: OrderSummary[]; loading: boolean }) {
  return (
    <>
      <div className="table-wrap">
        <table className="orders" aria-busy={loading || undefined}>
          <thead>
            <tr>
              <th scope="col">Order id</th>
              <th scope="col">Status</th>
              <th scope="col">Customer</th>
              <th scope="col" className="num">
                Total
              </th>
              <th scope="col">Last event at</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.orderId} data-testid="order-row" data-order-id={o.orderId}>
                <td>
                  <a href={orderHref(o.orderId)} className="id" title={o.orderId}>
                    {o.orderId}
                  </a>
                </td>
                <td>
                  <StatusBadge status={o.status} />
                </td>
                <td>
                  <Id value={o.customerId} />
                </td>
                <td className="num">{formatMoney(o.totalAmount, o.currency)}</td>
                <td>
                  <Time iso={o.lastEventAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {orders.length >= LIMIT && <p className="muted">Showing the first {LIMIT}; narrow the filters to see others.</p>}
    </>
  );
}
