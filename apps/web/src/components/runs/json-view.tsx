import { memo, type ReactNode } from "react";

/** What the API sends in place of a sensitive input field. */
export const redacted = "[redacted]";
/** Longer strings are cut: a document's text can be megabytes, and nobody reads it here. */
const maxStringLength = 2_000;
/** Longer arrays and objects show their first entries. */
const maxEntries = 200;

/**
 * JSON, indented, with sensitive fields shown as a "redacted" mark rather
 * than as a string that might pass for a value. Everything is rendered as
 * text nodes, never as markup. Memoised: a run's input and output keep
 * their identity while live updates replace the run around them.
 */
export const JsonView = memo(function JsonView({ value, label, testId }: { value: unknown; label: string; testId?: string }) {
  const out: ReactNode[] = [];
  write(value, "", out);
  return (
    <pre className="run-json" aria-label={label} tabIndex={0} data-testid={testId}>
      {out}
    </pre>
  );
});

function write(value: unknown, indent: string, out: ReactNode[]): void {
  if (value === redacted) {
    out.push(
      <span key={out.length} className="run-json-redacted" title="A sensitive field: the API never shows its value">
        {redacted}
      </span>,
    );
  } else if (typeof value === "string") {
    const cut = value.length > maxStringLength;
    out.push(JSON.stringify(cut ? value.slice(0, maxStringLength) : value));
    if (cut) {
      out.push(
        <span key={out.length} className="run-json-note">
          {` … ${(value.length - maxStringLength).toLocaleString()} more characters`}
        </span>,
      );
    }
  } else if (Array.isArray(value)) {
    writeEntries(value.map((item): [string | null, unknown] => [null, item]), "[", "]", indent, out);
  } else if (typeof value === "object" && value !== null) {
    writeEntries(Object.entries(value), "{", "}", indent, out);
  } else {
    // Numbers, booleans and null; undefined (absent) prints as null, as JSON would in an array.
    out.push(JSON.stringify(value) ?? "null");
  }
}

function writeEntries(entries: Array<[string | null, unknown]>, open: string, close: string, indent: string, out: ReactNode[]): void {
  if (entries.length === 0) {
    out.push(open + close);
    return;
  }
  const inner = `${indent}  `;
  out.push(`${open}\n`);
  entries.slice(0, maxEntries).forEach(([key, item], index) => {
    out.push(key === null ? inner : `${inner}${JSON.stringify(key)}: `);
    write(item, inner, out);
    out.push(index < entries.length - 1 ? ",\n" : "\n");
  });
  if (entries.length > maxEntries) {
    out.push(
      <span key={out.length} className="run-json-note">
        {`${inner}… ${(entries.length - maxEntries).toLocaleString()} more\n`}
      </span>,
    );
  }
  out.push(`${indent}${close}`);
}
