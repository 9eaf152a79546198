import { RunsFilters } from "../components/runs/runs-filters";
import { RunsPageBody } from "../components/runs/runs-page-body";
import { RunsPager } from "../components/runs/runs-pager";
import { isFilterEmpty } from "../lib/runs/runs-filter";
import { useRunsFilter } from "../lib/runs/use-runs-filter";
import { useRunsPage } from "../lib/runs/use-runs-page";

/**
 * Every run the user may see, newest first, 50 to a page, filtered by what
 * the address says. Rows stay live through the app's one subscription.
 */
export function RunsPage() {
  const [filter, filterControls] = useRunsFilter();
  const page = useRunsPage(filter);
  const { query } = page;
  return (
    <section className="card runs-page" aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <RunsFilters filter={filter} onChange={filterControls.update} onClear={filterControls.clear} />
      <RunsPageBody
        data={query.data}
        error={query.error}
        busy={query.isPlaceholderData}
        filtered={!isFilterEmpty(filter)}
        onRetry={() => void query.refetch()}
        onClearFilters={filterControls.clear}
      />
      <RunsPager
        pageNumber={page.pageNumber}
        hasPrevious={page.hasPrevious}
        hasNext={page.hasNext}
        onPrevious={page.previous}
        onNext={page.next}
      />
    </section>
  );
}
