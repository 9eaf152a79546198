/** A run's status as a coloured badge (the colour repeats the word; it never replaces it). */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge-${status}`} data-testid="run-status">
      {status}
    </span>
  );
}
