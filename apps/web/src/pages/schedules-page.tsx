/** Placeholder until the schedules page lands. */
export function SchedulesPage() {
  return (
    <section className="card">
      <h1>Schedules</h1>
    </section>
  );
}
