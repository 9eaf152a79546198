/** What an operator section shows while its data loads, or when loading failed. */

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted ops-placeholder" role="status">
      Loading {what}…
    </p>
  );
}

export function LoadFailed({ what, message, onRetry }: { what: string; message: string; onRetry: () => void }) {
  return (
    <div className="form-error ops-load-failed" role="alert">
      <p>
        Could not load {what}: {message}
      </p>
      <button type="button" className="secondary-button" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}
