import { createConveyorClient, RunCancelledError } from "@conveyor/client";

export async function quickStart({ url, token }: { url: string; token: string }) {
  const conveyor = createConveyorClient({ url, token });

  // Submit: the input is checked against document.analyze's contract, at compile time and by the API.
  const run = await conveyor.submit("document.analyze", {
    title: "Quick start",
    text: "Conveyor runs typed background jobs on PostgreSQL. ".repeat(5_000),
  });

  // Watch: the run's history, then live events, until it finishes (dropped connections resume by themselves).
  for await (const event of run.events()) {
    if (event.kind === "progress") console.log(`${event.progress.percent}% ${event.progress.data?.stage ?? ""}`);
    else console.log(event.kind);
  }

  // Await the result: typed by the contract's output (a failed run rejects with RunFailedError).
  const analysis = await run.result();
  console.log(`${analysis.words} words, reading ease ${analysis.readingEase}`);

  // Cancel: a run scheduled for tomorrow never starts.
  const later = await conveyor.submit("document.analyze", { text: "Tomorrow." }, { runAt: new Date(Date.now() + 86_400_000) });
  await later.cancel();
  const cancelled = await later.result().catch((error: unknown) => error instanceof RunCancelledError);

  return { words: analysis.words, cancelled };
}
