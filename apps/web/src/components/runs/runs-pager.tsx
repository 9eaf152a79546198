interface RunsPagerProps {
  pageNumber: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}

/** Previous / Next through keyset pages (there is no page count: the runs go on arriving). */
export function RunsPager({ pageNumber, hasPrevious, hasNext, onPrevious, onNext }: RunsPagerProps) {
  return (
    <nav className="runs-pager" aria-label="Pages of runs">
      <button type="button" className="secondary-button" onClick={onPrevious} disabled={!hasPrevious} data-testid="runs-previous">
        ← Previous
      </button>
      <span className="muted" aria-live="polite" data-testid="runs-page-number">
        Page {pageNumber}
      </span>
      <button type="button" className="secondary-button" onClick={onNext} disabled={!hasNext} data-testid="runs-next">
        Next →
      </button>
    </nav>
  );
}
