/** Placeholder until the queues page lands. */
export function QueuesPage() {
  return (
    <section className="card">
      <h1>Queues</h1>
    </section>
  );
}
