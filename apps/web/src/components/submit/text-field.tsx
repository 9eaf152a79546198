import type { TextField } from "../../lib/forms/field-model";
import { formatCharacters } from "../../lib/forms/format-size";
import { FieldFrame } from "./field-frame";
import { DocumentFilePicker } from "./document-file-picker";
import { textControlProps, textOf, type LeafProps } from "./leaf-props";

interface TextFieldProps extends LeafProps<TextField> {
  /** A document-sized field read from a file: the form may also name the run after the file. */
  onFileRead: (field: TextField, fileName: string, text: string) => void;
}

/** A string: one line, or a textarea for prose and long text (with a file picker when document-sized). */
export function TextFieldControl(props: TextFieldProps) {
  const { field, value, path, errors, ids, onFileRead } = props;
  const text = textOf(value);
  const common = { ...textControlProps(props), maxLength: field.maxLength ?? undefined };
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
        <textarea {...common} rows={field.acceptsFile ? 10 : 5} />
      ) : (
        <input {...common} type={field.inputType} spellCheck={field.inputType === "text"} />
      )}
    </FieldFrame>
  );
}
