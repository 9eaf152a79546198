import { useEffect, useRef, useState } from "react";
import { useDebouncedCallback } from "../../lib/runs/use-debounced-callback";

interface DebouncedTextInputProps {
  label: string;
  /** The committed value (from the address). */
  value: string;
  /** Called with the trimmed text once typing pauses, or at once on Enter. */
  onCommit: (value: string) => void;
  type?: "text" | "search";
  placeholder?: string;
  list?: string;
  testId?: string;
  delayMs?: number;
}

/**
 * A text field that commits after a pause in typing. It follows `value` when
 * that changes from elsewhere (back button, a shared link, "Clear"), but not
 * when the change is its own commit coming back, so typing is never undone.
 */
export function DebouncedTextInput({ label, value, onCommit, type = "text", placeholder, list, testId, delayMs = 300 }: DebouncedTextInputProps) {
  const [text, setText] = useState(value);
  const committed = useRef(value);
  const commitLater = useDebouncedCallback((next: string) => commit(next), delayMs);

  function commit(next: string) {
    const trimmed = next.trim();
    if (trimmed === committed.current) return;
    committed.current = trimmed;
    onCommit(trimmed);
  }

  useEffect(() => {
    if (value === committed.current) return;
    committed.current = value;
    setText(value);
  }, [value]);

  return (
    <label className="runs-filter">
      {label}
      <input
        type={type}
        value={text}
        placeholder={placeholder}
        list={list}
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => {
          setText(event.target.value);
          commitLater(event.target.value);
        }}
        onKeyDown={(event) => {
          if (event.key === "Enter") commit(text);
        }}
        data-testid={testId}
      />
    </label>
  );
}
