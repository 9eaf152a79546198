import { Link, Route, Switch, useRoute } from "wouter";
import { useLiveRuns } from "./lib/use-live-runs";
import { SessionHeader } from "./components/session-header";
import type { Identity } from "./lib/whoami";
import { RunsPage } from "./pages/runs-page";
import { RunDetailPage } from "./pages/run-detail-page";
import { SubmitPage } from "./pages/submit-page";
import { QueuesPage } from "./pages/queues-page";
import { SchedulesPage } from "./pages/schedules-page";
import { AuditPage } from "./pages/audit-page";
import { NotFoundPage } from "./pages/not-found-page";

/** A link in the top navigation; the current page is marked for screen readers and styles. */
function NavLink({ href, children }: { href: string; children: string }) {
  const [here] = useRoute(href === "/" ? "/" : `${href}/*?`);
  // A run's page belongs to the runs section.
  const [onRun] = useRoute("/runs/*?");
  const active = here || (href === "/" && onRun);
  return (
    <Link href={href} className={`nav-link${active ? " active" : ""}`} aria-current={active ? "page" : undefined}>
      {children}
    </Link>
  );
}

/**
 * The signed-in app: runs (everyone), submit (everyone), and the operator
 * pages, queues, schedules and the audit log (admins). One subscription keeps every run on
 * screen live.
 */
export function App({ identity, onSignOut }: { identity: Identity; onSignOut: () => void }) {
  useLiveRuns();
  const admin = identity.role === "admin";
  return (
    <div className="layout">
      <header className="top">
        <Link href="/" className="brand">
          Conveyor
        </Link>
        <nav aria-label="Main" className="nav">
          <NavLink href="/">Runs</NavLink>
          <NavLink href="/submit">Submit</NavLink>
          {admin && <NavLink href="/queues">Queues</NavLink>}
          {admin && <NavLink href="/schedules">Schedules</NavLink>}
          {admin && <NavLink href="/audit">Audit</NavLink>}
        </nav>
        <SessionHeader identity={identity} onSignOut={onSignOut} />
      </header>
      <main id="content">
        <Switch>
          <Route path="/">
            <RunsPage />
          </Route>
          <Route path="/runs/:id">{(params) => <RunDetailPage runId={params.id} />}</Route>
          <Route path="/submit">
            <SubmitPage />
          </Route>
          <Route path="/queues">{admin ? <QueuesPage /> : <NotFoundPage what="The queues page is for admins." />}</Route>
          <Route path="/schedules">{admin ? <SchedulesPage /> : <NotFoundPage what="The schedules page is for admins." />}</Route>
          <Route path="/audit">{admin ? <AuditPage /> : <NotFoundPage what="The audit log is for admins." />}</Route>
          <Route>
            <NotFoundPage what="There is no page here." />
          </Route>
        </Switch>
      </main>
    </div>
  );
}
