import { Link } from "wouter";

/** A page that does not exist, or that this token may not see. */
export function NotFoundPage({ what }: { what: string }) {
  return (
    <section className="card" data-testid="not-found">
      <h1>Not here</h1>
      <p>{what}</p>
      <Link href="/">Back to the runs</Link>
    </section>
  );
}
