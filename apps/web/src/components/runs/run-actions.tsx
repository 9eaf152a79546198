import { useState } from "react";
import { TRPCClientError } from "@trpc/client";
import { trpc } from "../../lib/trpc";
import { canCancel, canRetry, type RunWithData } from "../../lib/runs/run-types";
import { ConfirmDialog } from "./confirm-dialog";

type Action = "cancel" | "retry";

const wording: Record<Action, { button: string; title: string; body: string; confirm: string; dismiss: string; failed: string }> = {
  cancel: {
    button: "Cancel run",
    title: "Cancel this run?",
    body: "A waiting run will never start; a running one is stopped at once and anything it still returns is discarded.",
    confirm: "Cancel run",
    dismiss: "Keep it",
    failed: "Could not cancel the run",
  },
  retry: {
    button: "Retry run",
    title: "Run it again?",
    body: "The run is queued again with a fresh budget of attempts. Its history and earlier errors are kept.",
    confirm: "Retry run",
    dismiss: "Not now",
    failed: "Could not retry the run",
  },
};

/** The API's answer to a refused action, with its code (CONFLICT, NOT_FOUND…) so people can tell why. */
function refusal(error: unknown): string {
  if (error instanceof TRPCClientError && typeof error.data?.code === "string") return `${error.data.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Cancel (queued, scheduled, running) and Retry (failed, cancelled), each
 * confirmed in a dialog first. The dialog stays open if the run changes
 * meanwhile, so an action someone else made first comes back as the API's
 * refusal, shown here.
 */
export function RunActions({ run }: { run: RunWithData }) {
  const [asking, setAsking] = useState<Action | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const utils = trpc.useUtils();
  function mutationOptions(which: Action) {
    return {
      onSuccess: ({ id, status }: { id: string; status: RunWithData["status"] }) => {
        // Shown at once; the event stream brings the rest (attempts, times) right after.
        utils.jobs.get.setData({ id }, (cached) => (cached ? { ...cached, status } : cached));
      },
      onError: (error: unknown) => setRefused(`${wording[which].failed}: ${refusal(error)}`),
    };
  }
  const cancel = trpc.jobs.cancel.useMutation(mutationOptions("cancel"));
  const retry = trpc.jobs.retry.useMutation(mutationOptions("retry"));

  function confirm(which: Action) {
    setAsking(null);
    setRefused(null);
    (which === "cancel" ? cancel : retry).mutate({ id: run.id });
  }

  const pending = cancel.isPending || retry.isPending;
  return (
    <div className="run-actions">
      {canCancel(run.status) && (
        <button type="button" className="run-button run-button-danger" onClick={() => setAsking("cancel")} disabled={pending} data-testid="cancel-run">
          {wording.cancel.button}
        </button>
      )}
      {canRetry(run.status) && (
        <button type="button" className="run-button" onClick={() => setAsking("retry")} disabled={pending} data-testid="retry-run">
          {wording.retry.button}
        </button>
      )}
      {asking && (
        <ConfirmDialog
          title={wording[asking].title}
          confirmLabel={wording[asking].confirm}
          dismissLabel={wording[asking].dismiss}
          onConfirm={() => confirm(asking)}
          onDismiss={() => setAsking(null)}
          testId="confirm-dialog"
        >
          <p>{wording[asking].body}</p>
        </ConfirmDialog>
      )}
      {refused && (
        <p className="form-error run-action-error" role="alert" data-testid="run-action-error">
          {refused}
        </p>
      )}
    </div>
  );
}
