import type { ReactNode } from "react";
import { useLocation, useSearchParams } from "wouter";
import { trpc } from "../lib/trpc";
import { isMaintenanceType } from "../lib/forms/job-types";
import { SubmitForm } from "../components/submit-form";
import { JobTypePicker } from "../components/submit/job-type-picker";

/**
 * Submit a run of any job type, through a form generated from its input
 * schema. The chosen type is in the address (`?type=`), so a form can be
 * linked to and survives a reload.
 */
export function SubmitPage() {
  const [, navigate] = useLocation();
  const [params, setParams] = useSearchParams();
  const types = trpc.jobs.types.useQuery();
  const identity = trpc.tokens.whoami.useQuery();

  if (types.isPending || identity.isPending) {
    return (
      <SubmitCard>
        <p className="muted" role="status">
          Loading job types…
        </p>
      </SubmitCard>
    );
  }
  if (types.error) {
    return (
      <SubmitCard>
        <p className="form-error" role="alert">
          Could not load the job types: {types.error.message}
        </p>
        <button type="button" className="secondary-button" onClick={() => void types.refetch()}>
          Try again
        </button>
      </SubmitCard>
    );
  }

  const admin = identity.data?.role === "admin";
  const offered = types.data
    .map((type) => ({ ...type, maintenance: isMaintenanceType(type.name) }))
    .filter((type) => admin || !type.maintenance);
  const selected = offered.find((type) => type.name === params.get("type")) ?? offered[0];
  if (!selected) {
    return (
      <SubmitCard>
        <p className="muted">There is no job type to submit.</p>
      </SubmitCard>
    );
  }
  return (
    <SubmitCard>
      <JobTypePicker types={offered} value={selected.name} onChange={(name) => setParams({ type: name }, { replace: true })} />
      <SubmitForm key={selected.name} jobType={selected} onSubmitted={(id) => navigate(`/runs/${id}`)} />
    </SubmitCard>
  );
}

function SubmitCard({ children }: { children: ReactNode }) {
  return (
    <section className="card submit-page" aria-labelledby="submit-title">
      <h1 id="submit-title">Submit a run</h1>
      {children}
    </section>
  );
}
