// Audit: every redrive and discard, newest first.
import { useState } from "react";
import { AuditList } from "@orderflow/http-api/ops-console";
import { useApiGet } from "./api";
import { orderHref } from "./route";
import { Id, Time } from "./ui";

export function AuditView() {
  const [reload, setReload] = useState(0);
  const { data, error, loading } = useApiGet("/api/audit", AuditList, reload);
  // the server sends newest first; keep it so even if it did not (stable for equal times)
  const entries = data ? [...data.entries].sort((a, b) => (Date.parse(b.at) || 0) - (Date.parse(a.at) || 0)) : [];

  return (
    <>
      <div className="page-title">
        <h1 tabIndex={-1}>Audit</h1>
        <button type="button" className="secondary" onClick={() => setReload((n) => n + 1)} disabled={loading}>
          Refresh
        </button>
      </div>
      <p className="muted">Every redrive and discard of a dead letter, newest first.</p>
      {error && (
        <p role="alert" className="banner error">
          Could not load the audit log: {error.detail}
        </p>
      )}
      {loading && !data && <p className="muted">Loading audit log…</p>}
      {data && entries.length === 0 && <p>No redrives or discards yet.</p>}
      {entries.length > 0 && (
        <div className="table-wrap">
          <table className="audit">
            <thead>
              <tr>
                <th scope="col">At</th>
                <th scope="col">Action</th>
                <th scope="col">Operator</th>
                <th scope="col">Group</th>
                <th scope="col">Dead letter</th>
                <th scope="col">Key</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e, i) => (
                <tr
                  // biome-ignore lint/suspicious/noArrayIndexKey: entries have no id and two can be alike; rows hold no state, the index only tells alike ones apart
                  key={`${e.at}|${e.action}|${e.group}|${e.deadLetter}|${i}`}
                  data-testid="audit-entry"
                  data-action={e.action}
                >
                  <td>
                    <Time iso={e.at} />
                  </td>
                  <td>
                    <span className={`badge action-${e.action}`}>{e.action}</span>
                  </td>
                  <td>{e.operator}</td>
                  <td>{e.group}</td>
                  <td>
                    <Id value={e.deadLetter} />
                  </td>
                  <td>
                    {e.key ? (
                      <a href={orderHref(e.key)} className="id" title={`open order ${e.key}`}>
                        {e.key}
                      </a>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="message">{e.reason ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
