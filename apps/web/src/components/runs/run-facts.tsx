import type { ReactNode } from "react";
import { Link } from "wouter";
import { formatDateTime, formatDuration, runDurationMs } from "../../lib/runs/format-time";
import type { RunWithData } from "../../lib/runs/run-types";
import { useNow } from "../../lib/runs/use-now";

function Fact({ name, children, testId }: { name: string; children: ReactNode; testId?: string }) {
  return (
    <div>
      <dt>{name}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

function Moment({ iso }: { iso: string | null }) {
  return iso ? <time dateTime={iso}>{formatDateTime(iso)}</time> : <>—</>;
}

/** The run's particulars; the duration counts up while the run runs. */
export function RunFacts({ run }: { run: RunWithData }) {
  const now = useNow(1_000, run.status === "running" || run.status === "scheduled");
  const duration = runDurationMs(run, now);
  // A waiting run that may not start yet (submitted for later, or waiting for its next attempt) says when it may.
  const waiting = (run.status === "scheduled" || run.status === "queued") && new Date(run.runAt).getTime() > now;
  return (
    <dl className="run-facts">
      <Fact name="Type">{run.type}</Fact>
      <Fact name="Queue">{run.queue}</Fact>
      <Fact name="Priority">{run.priority}</Fact>
      <Fact name="Owner">{run.ownerId}</Fact>
      <Fact name="Attempts" testId="run-attempts">
        {run.attempts} of {run.maxAttempts}
      </Fact>
      {run.lostAttempts > 0 && (
        // Attempts whose worker died: retried at once, not counted against maxAttempts.
        <Fact name="Lost to worker crashes" testId="run-lost-attempts">
          {run.lostAttempts} of at most {run.maxLostAttempts}
        </Fact>
      )}
      <Fact name="Timeout">{formatDuration(run.timeoutMs)}</Fact>
      <Fact name="Created">
        <Moment iso={run.createdAt} />
      </Fact>
      {waiting && (
        <Fact name="Starts no earlier than">
          <Moment iso={run.runAt} />
        </Fact>
      )}
      <Fact name="Started">
        <Moment iso={run.startedAt} />
      </Fact>
      <Fact name="Finished">
        <Moment iso={run.finishedAt} />
      </Fact>
      <Fact name="Duration" testId="run-duration">
        {duration === null ? "—" : formatDuration(duration)}
      </Fact>
      {run.parentId && (
        <Fact name="Parent run">
          <Link href={`/runs/${run.parentId}`}>
            <code>{run.parentId.slice(0, 8)}</code>
          </Link>
        </Fact>
      )}
    </dl>
  );
}
