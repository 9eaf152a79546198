import { useLocation } from "wouter";
import { SubmitForm } from "../components/submit-form";

/** Placeholder until the generated forms land: submit a document. */
export function SubmitPage() {
  const [, navigate] = useLocation();
  return <SubmitForm onSubmitted={(id) => navigate(`/runs/${id}`)} />;
}
