import { QueueCard, type QueueTypeStats } from "./queue-card";

/** Every queue and job type that has runs, side by side on wide screens, one a row on narrow ones. */
export function QueueCards({ queues }: { queues: readonly QueueTypeStats[] }) {
  if (queues.length === 0) {
    return <p className="muted">No runs yet: queues appear here once something is submitted.</p>;
  }
  return (
    <div className="ops-queue-grid">
      {queues.map((stats) => (
        <QueueCard key={`${stats.queue}\u0000${stats.type}`} stats={stats} />
      ))}
    </div>
  );
}
