/**
 * Take a token handed over in the address's fragment (`#token=cvy_…`, as
 * `pnpm dev` prints it) and remove it from the address bar at once, so it
 * stays out of the history, bookmarks and screenshots. Fragments are never
 * sent to servers, so it never reaches a log either.
 *
 * @example
 * // at http://localhost:5173/#token=cvy_abc…
 * takeTokenFromFragment(); // "cvy_abc…", and the address is now http://localhost:5173/
 */
export function takeTokenFromFragment(): string | null {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (token === null) return null;
  params.delete("token");
  const rest = params.toString();
  history.replaceState(history.state, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
  return token.trim() || null;
}
