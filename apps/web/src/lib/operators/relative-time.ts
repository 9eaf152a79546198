/** Readings of a time from now, for clocks that tick in the page. */

/** How long ago something happened, from the elapsed ms: "just now", "3 s ago", "4 min ago", "2 h ago". */
export function formatAgo(elapsedMs: number): string {
  const seconds = Math.floor(elapsedMs / 1000);
  if (seconds < 1) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** How long until something happens, from the remaining ms: "in 40 s", "in 12 min", "in 2 h 5 min"; "due now" once passed. */
export function formatIn(remainingMs: number): string {
  const seconds = Math.floor(remainingMs / 1000);
  if (seconds <= 0) return "due now";
  if (seconds < 60) return `in ${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `in ${hours} h` : `in ${hours} h ${minutes % 60} min`;
  return `in ${Math.floor(hours / 24)} d`;
}
