import type { RunWithData } from "../../lib/runs/run-types";
import { AnalysisResult } from "../analysis-result";
import { JsonView } from "./json-view";

/** The run's result: a document's analysis as people read it, anything else as JSON. */
export function RunOutput({ run }: { run: RunWithData }) {
  if (run.type === "document.analyze" && run.output) return <AnalysisResult analysis={run.output} />;
  if (run.output !== null) return <JsonView value={run.output} label="result" testId="run-output-json" />;
  return (
    <p className="muted" data-testid="run-output-none">
      {run.status === "completed" ? "The run returned no result." : "The result shows here once the run completes."}
    </p>
  );
}
