import { ConveyorProvider, useRun, useRuns, useSubmit } from "@conveyor/client/react";

export const App = ({ url, token }: { url: string; token: string }) => (
  <ConveyorProvider url={url} token={token}>
    <Analyze />
  </ConveyorProvider>
);

function Analyze() {
  const submit = useSubmit("document.analyze");
  const { data: run } = useRun(submit.data?.id);
  const { data: page } = useRuns({ type: "document.analyze", limit: 10 });
  return (
    <>
      <button onClick={() => submit.mutate({ input: { text: "Hello, world." } })}>Analyse</button>
      {run && <progress max={100} value={run.progress.percent} />}
      {run?.type === "document.analyze" && run.output && <p>Reading ease {run.output.readingEase}</p>}
      <ul>{page?.items.map((item) => <li key={item.id}>{item.label}: {item.status}</li>)}</ul>
    </>
  );
}
