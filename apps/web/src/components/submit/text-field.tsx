import type { TextField } from "../../lib/forms/field-model";
import { formatCharacters } from "../../lib/forms/format-size";
import { describedBy, FieldFrame } from "./field-frame";
import { DocumentFilePicker } from "./document-file-picker";
import { textOf, type LeafProps } from "./leaf-props";

interface TextFieldProps extends LeafProps<TextField> {
  /** A document-sized field read from a file: the form may also name the run after the file. */
  onFileRead: (field: TextField, fileName: string, text: string) => void;
}

/** A string: one line, or a textarea for prose and long text (with a file picker when document-sized). */
export function TextFieldControl({ field, value, path, errors, ids, onChange, onFileRead }: TextFieldProps) {
  const text = textOf(value);
  const common = {
    id: ids.control,
    name: field.key,
    value: text,
    required: field.required,
    maxLength: field.maxLength ?? undefined,
    "aria-invalid": errors.length > 0 ? true : undefined,
    "aria-describedby": describedBy(ids, field.hint, errors),
    "data-testid": `field-${field.key}`,
  };
  const fileRow = field.acceptsFile && (
    <div className="submit-file-row">
      <DocumentFilePicker label={`Or read ${field.label.toLowerCase()} from a file`} onRead={(fileName, content) => onFileRead(field, fileName, content)} />
      <span className="muted" data-testid="text-size">
        {formatCharacters(text.length)}
      </span>
    </div>
  );
  return (
    <FieldFrame ids={ids} path={path} label={field.label} required={field.required} hint={field.hint} errors={errors} extra={fileRow}>
      {field.multiline ? (
        // A multi-MB paste stays editable: the textarea holds it, nothing else renders it.
        <textarea {...common} rows={field.acceptsFile ? 10 : 5} onChange={(event) => onChange(field.key, event.target.value)} />
      ) : (
        <input {...common} type={field.inputType} spellCheck={field.inputType === "text"} onChange={(event) => onChange(field.key, event.target.value)} />
      )}
    </FieldFrame>
  );
}
