// Flow health: GET /api/health every 2 s while this view is shown; a failed poll keeps the last
// snapshot on screen under an error banner.
import { useEffect, useState } from "react";
import { FlowHealth, type GroupLag } from "@orderflow/http-api/ops-console";
import { type ApiError, toApiError, useApi } from "./api";
import { orderHref } from "./route";
import { formatNumber, Id, Time } from "./ui";

const POLL_MS = 2000;

function clock(d: Date): string {
  return d.toLocaleTimeString("en-GB", { hour12: false });
}

export function HealthView() {
  const api = useApi();
  const [health, setHealth] = useState<FlowHealth | null>(null);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let ctrl: AbortController | undefined;
    const poll = async () => {
      ctrl = new AbortController();
      try {
        const h = await api.get("/api/health", FlowHealth, ctrl.signal);
        if (stopped) return;
        setHealth(h);
        setUpdatedAt(new Date());
        setError(null);
      } catch (err) {
        if (stopped) return;
        setError(toApiError(err));
      }
      // the next poll 2 s after this one answered: never two at once
      timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
      ctrl?.abort();
    };
  }, [api]);

  return (
    <div data-testid="flow-health" className="health">
      <div className="page-title">
        <h1 tabIndex={-1}>Flow health</h1>
        <p className="updated muted">
          {updatedAt ? (
            <>
              updated{" "}
              <time dateTime={updatedAt.toISOString()} title={health ? `snapshot at ${health.at}` : undefined}>
                {clock(updatedAt)}
              </time>
              {" · refreshes every 2 s"}
            </>
          ) : (
            !error && "loading…"
          )}
        </p>
      </div>
      {error && (
        <p role="alert" className="banner error">
          Could not refresh flow health: {error.detail}.{" "}
          {updatedAt ? `Showing the data from ${clock(updatedAt)}; retrying every 2 s.` : "Retrying every 2 s."}
        </p>
      )}
      {health && (
        <>
          <ConsumerLag groups={health.groups} />
          <Outbox health={health} />
          <section aria-labelledby="relay-heading">
            <h2 id="relay-heading">Relay throughput</h2>
            <p>
              <strong data-testid="relay-throughput">{formatNumber(health.relayPublishedPerSecond)}</strong> rows
              published per second by the outbox relay (all databases, over its last minute).
            </p>
          </section>
          <DeadLetterTopics health={health} />
        </>
      )}
    </div>
  );
}

function ConsumerLag({ groups }: { groups: GroupLag[] }) {
  return (
    <section aria-labelledby="lag-heading">
      <h2 id="lag-heading">Consumer lag</h2>
      {groups.length === 0 ? (
        <p>No consumer groups reported.</p>
      ) : (
        <div className="table-wrap">
          <table className="lag">
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col" className="num">
                  Total lag
                </th>
                <th scope="col">Partitions (committed / end, lag)</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => {
                const behind = g.lag === null || g.lag > 0;
                return (
                  <tr
                    key={g.group}
                    data-testid="lag-row"
                    data-group={g.group}
                    data-lag={g.lag ?? ""}
                    className={behind ? "behind" : undefined}
                  >
                    <th scope="row">{g.group}</th>
                    <td className="num">
                      {g.lag === null ? (
                        <span title="a partition with records has no committed offset yet">unknown</span>
                      ) : (
                        g.lag
                      )}
                      {g.lag !== null && g.lag > 0 && <span className="badge warn">behind</span>}
                    </td>
                    <td>
                      {g.partitions.length === 0 ? (
                        <span className="muted">none</span>
                      ) : (
                        <ul className="partitions">
                          {g.partitions.map((p) => (
                            <li
                              key={`${p.topic}/${p.partition}`}
                              className={p.lag === null || p.lag > 0 ? "behind" : undefined}
                            >
                              <code>
                                {p.topic}/{p.partition}
                              </code>{" "}
                              {p.committed ?? "none"} / {p.end}, lag {p.lag ?? "unknown"}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Outbox({ health }: { health: FlowHealth }) {
  return (
    <section aria-labelledby="outbox-heading">
      <h2 id="outbox-heading">Outbox</h2>
      {health.relayError && (
        <p className="banner warn" data-testid="relay-error">
          Relay error: {health.relayError}
        </p>
      )}
      {health.outbox.length === 0 ? (
        !health.relayError && <p>No outbox figures reported.</p>
      ) : (
        <div className="table-wrap">
          <table className="outbox">
            <thead>
              <tr>
                <th scope="col">Database</th>
                <th scope="col">Reachable</th>
                <th scope="col" className="num">
                  Backlog
                </th>
                <th scope="col" className="num">
                  Oldest pending (s)
                </th>
                <th scope="col" className="num">
                  Published/s
                </th>
                <th scope="col" className="num">
                  Slot lag (bytes / s)
                </th>
              </tr>
            </thead>
            <tbody>
              {health.outbox.map((o) => (
                <tr
                  key={o.database}
                  data-testid="outbox-row"
                  data-database={o.database}
                  className={!o.reachable || o.backlog > 0 ? "behind" : undefined}
                >
                  <th scope="row">{o.database}</th>
                  <td>{o.reachable ? "yes" : <span className="badge error">unreachable</span>}</td>
                  <td className="num">{o.backlog}</td>
                  <td className="num">{formatNumber(o.oldestPendingSeconds)}</td>
                  <td className="num">{formatNumber(o.publishedPerSecond)}</td>
                  <td className="num" title={o.slot?.name}>
                    {o.slot ? `${formatNumber(o.slot.lagBytes)} / ${formatNumber(o.slot.lagSeconds)}` : "–"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function DeadLetterTopics({ health }: { health: FlowHealth }) {
  return (
    <section aria-labelledby="dlt-heading">
      <h2 id="dlt-heading">Dead-letter topics</h2>
      {health.deadLetters.length === 0 ? (
        <p>No dead-letter figures reported.</p>
      ) : (
        <div className="table-wrap">
          <table className="dlt">
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col" className="num">
                  Pending
                </th>
                <th scope="col">Newest pending</th>
              </tr>
            </thead>
            <tbody>
              {health.deadLetters.map((d) => (
                <tr
                  key={d.group}
                  data-testid="dlt-row"
                  data-group={d.group}
                  data-pending={d.pending}
                  className={d.pending > 0 ? "behind" : undefined}
                >
                  <th scope="row">{d.group}</th>
                  <td className="num">{d.pending}</td>
                  <td>
                    {d.newest.length === 0 ? (
                      <span className="muted">none</span>
                    ) : (
                      <ul className="reasons">
                        {d.newest.map((n) => (
                          <li key={n.id}>
                            <code>{n.errorClass}</code>: {n.errorMessage}
                            <div className="sub">
                              <Time iso={n.failedAt} />
                              {n.key && (
                                <>
                                  {" · key "}
                                  <a href={orderHref(n.key)} className="id" title={`open order ${n.key}`}>
                                    {n.key}
                                  </a>
                                </>
                              )}
                              {!n.key && (
                                <>
                                  {" · "}
                                  <Id value={n.id} />
                                </>
                              )}
                            </div>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
