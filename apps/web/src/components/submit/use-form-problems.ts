import { useCallback, useEffect, useRef, useState } from "react";
import { placeIssues, type FieldIssue } from "../../lib/forms/issues";

export interface Problems {
  /** Messages per request path ("input.text"), shown by their fields. */
  byPath: ReadonlyMap<string, readonly string[]>;
  /** Issues no field matches, shown above the form. */
  unplaced: readonly FieldIssue[];
  /** A refusal that is not about a field (rate limit, network, server). */
  message: string | null;
}

const noProblems: Problems = { byPath: new Map(), unplaced: [], message: null };

/**
 * What a refused submit left to fix, and where focus goes: each refusal
 * moves focus once to the first control with a message (in the form's
 * order), or to the list above the form. Editing a field clears its
 * messages without moving focus.
 */
export function useFormProblems(fieldPaths: readonly string[]) {
  const [problems, setProblems] = useState<Problems>(noProblems);
  const [refusals, setRefusals] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  const summaryRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (refusals === 0) return;
    const invalid = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"], fieldset[data-invalid] :is(input, select, textarea)');
    (invalid ?? summaryRef.current)?.focus();
  }, [refusals]);

  const refuse = useCallback(
    (issues: readonly FieldIssue[], message: string | null) => {
      const placed = placeIssues(issues, fieldPaths);
      setProblems({ byPath: placed.byPath, unplaced: placed.unplaced, message });
      setRefusals((count) => count + 1);
    },
    [fieldPaths],
  );

  const clear = useCallback((path?: string) => {
    setProblems((current) => {
      if (path === undefined) return noProblems;
      if (!current.byPath.has(path)) return current;
      const byPath = new Map(current.byPath);
      byPath.delete(path);
      return { ...current, byPath };
    });
  }, []);

  return { problems, refuse, clear, formRef, summaryRef };
}
