import { useEffect, useId, useRef } from "react";

interface RetryAllDialogProps {
  open: boolean;
  /** "in queue default" or "in every queue". */
  scope: string;
  /** Failed runs the retry will queue again, as far as the page knows. */
  count: number;
  pending: boolean;
  error: string | null;
  onConfirm: () => void;
  onClose: () => void;
}

/**
 * Asks before queueing every failed run again. A native modal <dialog>:
 * focus stays inside while it is open, Escape closes it, and focus returns
 * to the button that opened it.
 */
export function RetryAllDialog({ open, scope, count, pending, error, onConfirm, onClose }: RetryAllDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} className="ops-dialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`} onClose={onClose} data-testid="retry-all-dialog">
      <h2 id={`${id}-title`}>Retry all failed runs?</h2>
      <p id={`${id}-text`}>
        Every failed run {scope} ({count.toLocaleString()} now) is queued again with a fresh budget of attempts. Their history is kept.
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="ops-dialog-actions">
        {/* First in the dialog, so it has the focus: Enter on an unread dialog does nothing drastic. */}
        <button type="button" className="secondary-button" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button type="button" className="ops-danger-button" onClick={onConfirm} disabled={pending} data-testid="retry-all-confirm">
          {pending ? "Retrying…" : "Retry them"}
        </button>
      </div>
    </dialog>
  );
}
