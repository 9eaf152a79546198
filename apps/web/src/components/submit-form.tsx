import { useEffect, useId, useMemo, useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import type { RouterOutputs } from "@conveyor/api";
import { trpc } from "../lib/trpc";
import { formModelOf, leafFields, topFields, type TextField } from "../lib/forms/field-model";
import { buildInput, fieldPathsOf, initialValues, issuePathOf, type FormValues } from "../lib/forms/form-values";
import { titleFromFileName } from "../lib/forms/job-types";
import { readSubmitFailure, type SubmitFailure } from "../lib/forms/submit-error";
import { buildOptions, emptyOptions, optionKeys, optionPaths, type OptionValues } from "../lib/forms/submit-options";
import { submitRun, type SubmitRequest } from "../lib/forms/submit-run";
import { FormProblems } from "./submit/form-problems";
import { SchemaFields } from "./submit/schema-fields";
import { SubmitOptionsFields } from "./submit/submit-options-fields";
import { useFormProblems } from "./submit/use-form-problems";

export type JobTypeInfo = RouterOutputs["jobs"]["types"][number];

/**
 * The form of one job type, generated from its input schema, with the
 * per-run options. Rules are the server's: a refused submit shows each of
 * its messages by the field it names and moves focus to the first.
 * Render it keyed by the job type: another type starts a fresh form.
 */
export function SubmitForm({ jobType, onSubmitted }: { jobType: JobTypeInfo; onSubmitted: (runId: string) => void }) {
  const model = useMemo(() => formModelOf(jobType.inputSchema), [jobType.inputSchema]);
  const fieldPaths = useMemo(() => [...fieldPathsOf(model), ...Object.values(optionPaths)], [model]);
  const [values, setValues] = useState<FormValues>(() => initialValues(model));
  const [options, setOptions] = useState<OptionValues>(emptyOptions);
  const { problems, refuse, clear, formRef, summaryRef } = useFormProblems(fieldPaths);
  /** After TOO_MANY_REQUESTS: when the API will take a submit again. */
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const idPrefix = useId();
  const utils = trpc.useUtils();

  const submit = useMutation({
    mutationFn: (request: SubmitRequest) => submitRun(utils.client, request),
    onSuccess: ({ id }) => {
      void utils.jobs.list.invalidate();
      onSubmitted(id);
    },
    onError: (error) => showFailure(readSubmitFailure(error)),
  });

  function showFailure(failure: SubmitFailure) {
    if (failure.kind === "invalid") return refuse(failure.issues, null);
    // The API's message already says how long to wait; the button waits that long too.
    if (failure.kind === "rate-limited" && failure.retryAfterSeconds !== null) setRetryAt(Date.now() + failure.retryAfterSeconds * 1000);
    refuse([], `Not submitted: ${failure.message}`);
  }

  useEffect(() => {
    if (retryAt === null) return;
    const timer = setTimeout(() => setRetryAt(null), Math.max(0, retryAt - Date.now()));
    return () => clearTimeout(timer);
  }, [retryAt]);

  function change(key: string, value: string | boolean) {
    setValues((current) => ({ ...current, [key]: value }));
    clear(issuePathOf({ key }));
  }

  function changeOptions(next: OptionValues) {
    for (const key of optionKeys) if (next[key] !== options[key]) clear(optionPaths[key]);
    setOptions(next);
  }

  /** A document read from a file also names the run after the file, when a sibling "title" is still empty. */
  function readFile(field: TextField, fileName: string, text: string) {
    change(field.key, text);
    const titleKey = [...field.path.slice(0, -1), "title"].join(".");
    const title = leafFields(topFields(model)).find((candidate) => candidate.key === titleKey && candidate.kind === "text");
    if (title && values[titleKey] === "") change(titleKey, titleFromFileName(fileName));
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    // Only what the server cannot judge is checked here: JSON boxes and the run-at time.
    const input = buildInput(model, values);
    const built = buildOptions(options);
    if (!input.ok || !built.ok) return refuse([...(input.ok ? [] : input.issues), ...(built.ok ? [] : built.issues)], null);
    clear();
    submit.mutate({ type: jobType.name, input: input.input, ...(built.options ? { options: built.options } : {}) });
  }

  const fields = topFields(model);
  return (
    <form ref={formRef} className="submit-form" onSubmit={onSubmit} noValidate aria-label={`Submit ${jobType.name}`} data-testid="submit-form">
      <FormProblems ref={summaryRef} issues={problems.unplaced} message={problems.message} />
      {fields.length === 0 && <p className="muted">This job type takes no input.</p>}
      <SchemaFields fields={fields} values={values} errors={problems.byPath} idPrefix={idPrefix} onChange={change} onFileRead={readFile} />
      <SubmitOptionsFields
        values={options}
        defaults={{ priority: jobType.defaults.priority, maxAttempts: jobType.defaults.maxAttempts, timeoutMs: jobType.defaults.timeoutMs }}
        errors={problems.byPath}
        idPrefix={idPrefix}
        onChange={changeOptions}
      />
      <div className="submit-actions">
        <p className="muted">
          <span aria-hidden="true">*</span> required
        </p>
        <button type="submit" disabled={submit.isPending || retryAt !== null} data-testid="submit-button">
          {submit.isPending ? "Submitting…" : retryAt !== null ? "Wait…" : "Submit run"}
        </button>
      </div>
    </form>
  );
}
