import { useId, useState } from "react";
import { auditActions, type AuditAction } from "@conveyor/jobs";
import { trpc } from "../lib/trpc";
import { Loading, LoadFailed } from "../components/operators/load-state";
import { AuditTable, auditActionLabels } from "../components/operators/audit-table";


/**
 * The audit log (admins): who created and revoked tokens, cancelled and
 * retried runs, newest first, filtered by action, fifty at a time.
 */
export function AuditPage() {
  const [action, setAction] = useState<AuditAction | "">("");
  const filterId = useId();
  const log = trpc.audit.list.useInfiniteQuery(
    { limit: 50, ...(action ? { action } : {}) },
    { getNextPageParam: (page) => page.nextCursor ?? undefined },
  );
  const entries = log.data?.pages.flatMap((page) => page.entries) ?? [];

  return (
    <section className="card ops-section" aria-labelledby="audit-title">
      <header className="ops-header">
        <h1 id="audit-title">Audit log</h1>
        <button type="button" className="secondary-button" onClick={() => void log.refetch()} disabled={log.isFetching}>
          {log.isFetching ? "Refreshing…" : "Refresh"}
        </button>
      </header>
      <p className="muted">Every token created or revoked and every cancel and retry, with the token that did it.</p>
      <div className="ops-toolbar">
        <label htmlFor={filterId} className="submit-label">
          Action
        </label>
        <select
          id={filterId}
          value={action}
          onChange={(event) => setAction(auditActions.find((known) => known === event.target.value) ?? "")}
          data-testid="audit-action-filter"
        >
          <option value="">All actions</option>
          {auditActions.map((known) => (
            <option key={known} value={known}>
              {auditActionLabels[known]}
            </option>
          ))}
        </select>
      </div>
      {log.isPending ? (
        <Loading what="the audit log" />
      ) : log.error ? (
        <LoadFailed what="the audit log" message={log.error.message} onRetry={() => void log.refetch()} />
      ) : entries.length === 0 ? (
        <p className="muted">Nothing recorded{action ? " for this action" : ""} yet.</p>
      ) : (
        <AuditTable entries={entries} />
      )}
      {log.hasNextPage && (
        <button type="button" className="secondary-button" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage}>
          {log.isFetchingNextPage ? "Loading…" : "Show older entries"}
        </button>
      )}
    </section>
  );
}
