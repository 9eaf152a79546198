import { Link } from "wouter";
import type { RouterOutputs } from "@conveyor/api";
import { formatAgo } from "../../lib/operators/relative-time";
import { useNow } from "../../lib/operators/use-now";

type Entry = RouterOutputs["audit"]["list"]["entries"][number];

/** How each action reads in the table. */
export const auditActionLabels: Record<Entry["action"], string> = {
  "token.created": "created a token",
  "token.revoked": "revoked a token",
  "run.cancelled": "cancelled a run",
  "run.retried": "retried a run",
  "runs.retried_failed": "retried failed runs",
};

/**
 * Audit entries newest first: when (ticking), who (owner, role, the token
 * used), what, and on what. Runs link to their page. The table scrolls in
 * its own box on narrow screens.
 */
export function AuditTable({ entries }: { entries: readonly Entry[] }) {
  const now = useNow(1000);
  return (
    <div className="ops-table-scroll" role="region" aria-label="Audit log table" tabIndex={0}>
      <table className="ops-table" data-testid="audit-table">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Did</th>
            <th scope="col">On</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id} data-testid="audit-row" data-action={entry.action}>
              <td>
                <time dateTime={entry.at} title={new Date(entry.at).toLocaleString()}>
                  {formatAgo(now - Date.parse(entry.at))}
                </time>
              </td>
              <th scope="row" data-testid="audit-actor">
                {entry.ownerId} <span className="muted">({entry.role}{entry.tokenId ? `, token ${entry.tokenId.slice(0, 8)}` : ""})</span>
              </th>
              <td data-testid="audit-action">{auditActionLabels[entry.action]}</td>
              <td data-testid="audit-target">
                <Target entry={entry} />
              </td>
              <td className="audit-details" data-testid="audit-details">
                {describeDetails(entry.details)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Target({ entry }: { entry: Entry }) {
  if (entry.targetId === null) return <span className="muted">by filter</span>;
  if (entry.action.startsWith("run")) {
    return (
      <Link href={`/runs/${entry.targetId}`} aria-label={`run ${entry.targetId}`}>
        <code>{entry.targetId.slice(0, 8)}</code>
      </Link>
    );
  }
  return <code title={entry.targetId}>token {entry.targetId.slice(0, 8)}</code>;
}

/** Details as "key: value" pairs, nested objects as compact JSON. */
function describeDetails(details: Entry["details"]): string {
  if (!details) return "";
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== "")
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`)
    .join(" · ");
}
