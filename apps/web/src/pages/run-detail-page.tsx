import { RunDetail } from "../components/run-detail";

/** Placeholder until the run page lands: one run, live. */
export function RunDetailPage({ runId }: { runId: string }) {
  return <RunDetail runId={runId} />;
}
