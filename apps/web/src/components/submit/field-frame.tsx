import type { ReactNode } from "react";

/** The ids that tie a control to its label, hint and errors. */
export interface FieldIds {
  control: string;
  hint: string;
  error: string;
}

/** Ids for a field key; keys are free text, so every character outside [A-Za-z0-9-] is escaped (keeping them unique). */
export function fieldIds(prefix: string, key: string): FieldIds {
  const safe = key.replace(/[^A-Za-z0-9-]/g, (char) => `_${char.charCodeAt(0).toString(16)}_`) || "input";
  const control = `${prefix}-${safe}`;
  return { control, hint: `${control}-hint`, error: `${control}-error` };
}

/** What a control's aria-describedby lists: its hint and, once there are some, its errors. */
export function describedBy(ids: FieldIds, hint: string | null, errors: readonly string[]): string | undefined {
  return [hint ? ids.hint : null, errors.length > 0 ? ids.error : null].filter(Boolean).join(" ") || undefined;
}

/** The star by a required field's label; the control's own `required` is what assistive technology announces. */
export function RequiredMark() {
  return (
    <span className="submit-required" aria-hidden="true">
      {" *"}
    </span>
  );
}

export function FieldHint({ id, hint }: { id: string; hint: string | null }) {
  return hint ? (
    <p id={id} className="submit-hint">
      {hint}
    </p>
  ) : null;
}

/** The server's messages for one field, right under it. */
export function FieldErrors({ id, path, errors }: { id: string; path: string; errors: readonly string[] }) {
  if (errors.length === 0) return null;
  return (
    <p id={id} className="submit-field-error" data-testid={`error-${path}`}>
      {errors.join("; ")}
    </p>
  );
}

interface FieldFrameProps {
  ids: FieldIds;
  /** The request path its issues carry ("input.text"), for the error's test id. */
  path: string;
  label: string;
  required: boolean;
  hint: string | null;
  errors: readonly string[];
  children: ReactNode;
  /** Shown after the hint (a file picker under a document's text). */
  extra?: ReactNode;
}

/** Label above, the control, its errors right under it, then the hint: the layout of every field but checkboxes. */
export function FieldFrame({ ids, path, label, required, hint, errors, children, extra }: FieldFrameProps) {
  return (
    <div className={`submit-field${errors.length > 0 ? " submit-field-invalid" : ""}`}>
      <label htmlFor={ids.control} className="submit-label">
        {label}
        {required && <RequiredMark />}
      </label>
      {children}
      <FieldErrors id={ids.error} path={path} errors={errors} />
      <FieldHint id={ids.hint} hint={hint} />
      {extra}
    </div>
  );
}
