import { useEffect, useId, useRef, type ReactNode } from "react";

interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  dismissLabel: string;
  onConfirm: () => void;
  /** Escape, the dismiss button, or the dialog closing any other way. */
  onDismiss: () => void;
  testId?: string;
}

/**
 * A modal question, shown while mounted. The native <dialog> opened with
 * showModal() makes the rest of the page inert (focus stays inside), closes
 * on Escape and gives focus back to the button that opened it. The confirm
 * button takes focus first, so Enter confirms and Escape backs out.
 */
export function ConfirmDialog({ title, children, confirmLabel, dismissLabel, onConfirm, onDismiss, testId }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    // No close() on cleanup: React's development double-run of effects would close it at once (and
    // its close event would dismiss it). Unmounting removes an open dialog from the page anyway.
    if (!element.open) element.showModal();
    confirm.current?.focus();
  }, []);

  return (
    <dialog ref={dialog} className="run-dialog" aria-labelledby={titleId} aria-describedby={bodyId} onClose={onDismiss} data-testid={testId}>
      <h2 id={titleId}>{title}</h2>
      <div id={bodyId}>{children}</div>
      <div className="run-dialog-buttons">
        <button type="button" className="secondary-button" onClick={() => dialog.current?.close()}>
          {dismissLabel}
        </button>
        <button ref={confirm} type="button" className="run-button run-button-danger" onClick={onConfirm} data-testid="confirm-button">
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
