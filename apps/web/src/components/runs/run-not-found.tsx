import { Link } from "wouter";

/** The API answers NOT_FOUND alike for a run that does not exist and for another owner's. */
export function RunNotFound({ runId, reason }: { runId: string; reason: string }) {
  return (
    <section className="card" data-testid="run-not-found">
      <h1>No such run (or not yours)</h1>
      <p>
        There is no run <code>{runId}</code> that this token may see.
      </p>
      <p className="muted">{reason}</p>
      <Link href="/">Back to the runs</Link>
    </section>
  );
}
