import { useMemo } from "react";
import { optionPaths, priorities, isPriority, type OptionValues } from "../../lib/forms/submit-options";
import { toLocalDateTimeValue } from "../../lib/forms/local-date-time";
import { describedBy, FieldFrame, fieldIds } from "./field-frame";

/** The job type's defaults, shown where the user would override them. */
export interface TypeDefaults {
  priority: string;
  maxAttempts: number;
  timeoutMs: number;
}

interface SubmitOptionsFieldsProps {
  values: OptionValues;
  defaults: TypeDefaults;
  errors: ReadonlyMap<string, readonly string[]>;
  idPrefix: string;
  onChange: (values: OptionValues) => void;
}

const noErrors: readonly string[] = [];

/** Per-run overrides of the job type's defaults: priority, a start time, an idempotency key, attempts and timeout. */
export function SubmitOptionsFields({ values, defaults, errors, idPrefix, onChange }: SubmitOptionsFieldsProps) {
  const set = <K extends keyof OptionValues>(key: K, value: OptionValues[K]) => onChange({ ...values, [key]: value });
  const field = (key: keyof OptionValues, hint: string | null) => {
    const ids = fieldIds(`${idPrefix}-options`, key);
    const fieldErrors = errors.get(optionPaths[key]) ?? noErrors;
    return {
      frame: { ids, path: optionPaths[key], required: false, hint, errors: fieldErrors },
      control: {
        id: ids.control,
        name: `options.${key}`,
        "aria-invalid": fieldErrors.length > 0 ? true : undefined,
        "aria-describedby": describedBy(ids, hint, fieldErrors),
        "data-testid": `option-${key}`,
      },
    };
  };
  const zone = useMemo(() => timeZoneHint(), []);
  const priority = field("priority", null);
  const runAt = field("runAt", `Your time zone: ${zone}. Leave empty to start as soon as possible.`);
  const key = field("idempotencyKey", "Submitting again with the same key returns the first run instead of starting another.");
  const attempts = field("maxAttempts", null);
  const timeout = field("timeoutMs", null);
  return (
    <fieldset className="submit-group submit-options">
      <legend>Options</legend>
      <div className="submit-options-grid">
        <FieldFrame {...priority.frame} label="Priority">
          <select
            {...priority.control}
            value={values.priority}
            onChange={(event) => set("priority", isPriority(event.target.value) ? event.target.value : "")}
          >
            <option value="">Default ({defaults.priority})</option>
            {priorities.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </FieldFrame>
        <FieldFrame {...runAt.frame} label="Run at">
          <input
            {...runAt.control}
            type="datetime-local"
            min={toLocalDateTimeValue(new Date())}
            value={values.runAt}
            onChange={(event) => set("runAt", event.target.value)}
          />
        </FieldFrame>
        <FieldFrame {...key.frame} label="Idempotency key">
          <input
            {...key.control}
            type="text"
            maxLength={200}
            autoComplete="off"
            spellCheck={false}
            value={values.idempotencyKey}
            onChange={(event) => set("idempotencyKey", event.target.value)}
          />
        </FieldFrame>
        <FieldFrame {...attempts.frame} label="Max attempts">
          <input
            {...attempts.control}
            type="number"
            inputMode="numeric"
            min={1}
            max={100}
            step={1}
            placeholder={String(defaults.maxAttempts)}
            value={values.maxAttempts}
            onChange={(event) => set("maxAttempts", event.target.value)}
          />
        </FieldFrame>
        <FieldFrame {...timeout.frame} label="Timeout (ms)">
          <input
            {...timeout.control}
            type="number"
            inputMode="numeric"
            min={100}
            step={1}
            placeholder={String(defaults.timeoutMs)}
            value={values.timeoutMs}
            onChange={(event) => set("timeoutMs", event.target.value)}
          />
        </FieldFrame>
      </div>
    </fieldset>
  );
}

/** "Europe/Paris (UTC+01:00)": the zone a run-at is read in. */
function timeZoneHint(): string {
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const offset = -new Date().getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const minutes = String(Math.abs(offset) % 60).padStart(2, "0");
  return `${name} (UTC${sign}${hours}:${minutes})`;
}
