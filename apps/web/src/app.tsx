import { useState } from "react";
import { useLiveRuns } from "./lib/use-live-runs";
import { RunDetail } from "./components/run-detail";
import { RunsList } from "./components/runs-list";
import { SessionHeader } from "./components/session-header";
import { SubmitForm } from "./components/submit-form";
import type { Identity } from "./lib/whoami";

export function App({ identity, onSignOut }: { identity: Identity; onSignOut: () => void }) {
  const [selected, setSelected] = useState<string | null>(null);
  useLiveRuns();
  return (
    <div className="layout">
      <header className="top">
        <h1>Conveyor</h1>
        <span className="muted">background jobs you can watch</span>
        <SessionHeader identity={identity} onSignOut={onSignOut} />
      </header>
      <main>
        <div className="column">
          <SubmitForm onSubmitted={setSelected} />
          <section className="card">
            <h2>Runs</h2>
            <RunsList selected={selected} onSelect={setSelected} />
          </section>
        </div>
        <div className="column">{selected ? <RunDetail runId={selected} /> : <p className="muted card">Select a run to see it.</p>}</div>
      </main>
    </div>
  );
}
