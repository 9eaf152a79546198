import { useId, useState } from "react";
import { formatBytes } from "../../lib/forms/format-size";

type Picked = { state: "none" } | { state: "reading" | "read"; name: string; size: number } | { state: "failed"; name: string; message: string };

/** Read a text file chosen by the user, and say which file it was. */
export function DocumentFilePicker({ label, onRead }: { label: string; onRead: (fileName: string, text: string) => void }) {
  const [picked, setPicked] = useState<Picked>({ state: "none" });
  const id = useId();

  async function pick(file: File | undefined) {
    if (!file) return;
    setPicked({ state: "reading", name: file.name, size: file.size });
    try {
      const text = await file.text();
      onRead(file.name, text);
      setPicked({ state: "read", name: file.name, size: file.size });
    } catch (error) {
      setPicked({ state: "failed", name: file.name, message: error instanceof Error ? error.message : String(error) });
    }
  }

  return (
    <div className="submit-file-picker">
      <label htmlFor={id} className="submit-label">
        {label}
      </label>
      <input
        id={id}
        type="file"
        accept=".txt,.md,.markdown,.csv,.json,.html,text/*"
        onChange={(event) => void pick(event.target.files?.[0])}
        aria-describedby={`${id}-info`}
        data-testid="file-input"
      />
      <span id={`${id}-info`} className="muted" data-testid="file-info" aria-live="polite">
        {picked.state === "reading" && `Reading ${picked.name}…`}
        {picked.state === "read" && `${picked.name} · ${formatBytes(picked.size)}`}
        {picked.state === "failed" && `Could not read ${picked.name}: ${picked.message}`}
      </span>
    </div>
  );
}
