import { useId } from "react";

export interface PickableType {
  name: string;
  description: string;
  /** Conveyor's own housekeeping, offered to admins only. */
  maintenance: boolean;
}

/** Choose the job type to submit; its description says what it does. */
export function JobTypePicker({ types, value, onChange }: { types: readonly PickableType[]; value: string; onChange: (name: string) => void }) {
  const id = useId();
  const selected = types.find((type) => type.name === value);
  return (
    <div className="submit-field submit-type-picker">
      <label htmlFor={id} className="submit-label">
        Job type
      </label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)} aria-describedby={`${id}-description`} data-testid="job-type-select">
        {types.map((type) => (
          <option key={type.name} value={type.name}>
            {type.maintenance ? `${type.name} (maintenance)` : type.name}
          </option>
        ))}
      </select>
      <p id={`${id}-description`} className="submit-hint" data-testid="job-type-description">
        {selected?.description ?? "\u00a0"}
      </p>
    </div>
  );
}
