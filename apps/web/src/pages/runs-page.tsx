import { useLocation } from "wouter";
import { RunsList } from "../components/runs-list";

/** Placeholder until the runs table lands: the newest runs, live. */
export function RunsPage() {
  const [, navigate] = useLocation();
  return (
    <section className="card">
      <h1>Runs</h1>
      <RunsList selected={null} onSelect={(id) => navigate(`/runs/${id}`)} />
    </section>
  );
}
