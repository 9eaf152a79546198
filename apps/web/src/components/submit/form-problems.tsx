import type { Ref } from "react";
import { issueText, type FieldIssue } from "../../lib/forms/issues";

interface FormProblemsProps {
  /** Issues no field on the form matches. */
  issues: readonly FieldIssue[];
  /** A refusal that is not about the input (rate limit, network, server). */
  message: string | null;
  ref?: Ref<HTMLDivElement>;
}

/** What went wrong that no single field shows, above the form; focusable so the form can move focus to it. */
export function FormProblems({ issues, message, ref }: FormProblemsProps) {
  if (issues.length === 0 && !message) return null;
  return (
    <div ref={ref} tabIndex={-1} className="form-error submit-problems" role="alert" data-testid="form-error">
      {message && <p>{message}</p>}
      {issues.length === 1 && issues[0] && <p>{issueText(issues[0])}</p>}
      {issues.length > 1 && (
        <ul>
          {issues.map((issue) => (
            <li key={issueText(issue)}>{issueText(issue)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
