/**
 * The browser test's page: the documented React example, and a run watched
 * with `useRun` whose every rendered state is recorded for the test to read.
 * `#url=…&token=…&watch=<run id>` says where the API is and what to watch.
 */
import { createRoot } from "react-dom/client";
import { ConveyorProvider, useRun } from "@conveyor/client/react";
import { App } from "../../examples/react-app";

const params = new URLSearchParams(location.hash.slice(1));
const url = params.get("url") ?? "";
const token = params.get("token") ?? "";
const watch = params.get("watch");
const seen: string[] = [];
(globalThis as { watchedStates?: string[] }).watchedStates = seen;

function Watched({ id }: { id: string }) {
  const { data: run, error } = useRun(id);
  const state = error ? `error ${error.message}` : run ? `${run.status} ${run.progress.percent}` : "loading";
  if (seen.at(-1) !== state) seen.push(state);
  return <output data-testid="watched">{state}</output>;
}

createRoot(document.getElementById("root") as HTMLElement).render(
  <>
    <App url={url} token={token} />
    {watch && (
      <ConveyorProvider url={url} token={token} subscriptions="websocket">
        <Watched id={watch} />
      </ConveyorProvider>
    )}
  </>,
);
