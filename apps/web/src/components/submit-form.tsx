import { useState, type FormEvent } from "react";
import { trpc } from "../lib/trpc";
import { runsListInput } from "../lib/use-live-runs";

/** Bytes as people read them. */
export function formatSize(characters: number): string {
  if (characters < 1024) return `${characters} characters`;
  if (characters < 1024 * 1024) return `${(characters / 1024).toFixed(1)} KB`;
  return `${(characters / 1024 / 1024).toFixed(2)} MB`;
}

/** Paste a document or pick a file, and submit it for analysis. */
export function SubmitForm({ onSubmitted }: { onSubmitted: (runId: string) => void }) {
  const [title, setTitle] = useState("");
  const [text, setText] = useState("");
  const utils = trpc.useUtils();
  const submit = trpc.jobs.submit.useMutation({
    onSuccess: ({ id }) => {
      void utils.jobs.list.invalidate(runsListInput);
      onSubmitted(id);
    },
  });

  async function pickFile(file: File | undefined) {
    if (!file) return;
    setText(await file.text());
    if (!title) setTitle(file.name.replace(/\.[^.]+$/, ""));
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    submit.mutate({ type: "document.analyze", input: { text, ...(title.trim() ? { title: title.trim() } : {}) } });
  }

  return (
    <form className="card submit-form" onSubmit={onSubmit} data-testid="submit-form">
      <h2>Analyse a document</h2>
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Optional" data-testid="title-input" />
      </label>
      <label>
        Text
        {/* A multi-MB paste stays editable: the textarea holds it, nothing else renders it. */}
        <textarea
          value={text}
          onChange={(e) => setText(e.target.value)}
          rows={8}
          placeholder="Paste text here, or choose a file below"
          data-testid="text-input"
        />
      </label>
      <div className="form-row">
        <label className="file-picker">
          Choose a file
          <input type="file" accept=".txt,.md,text/*" onChange={(e) => void pickFile(e.target.files?.[0])} data-testid="file-input" />
        </label>
        <span className="muted" data-testid="text-size">{formatSize(text.length)}</span>
        <button type="submit" disabled={submit.isPending} data-testid="submit-button">
          {submit.isPending ? "Submitting…" : "Analyse"}
        </button>
      </div>
      {submit.error && (
        <p className="form-error" role="alert" data-testid="form-error">
          {submit.error.message}
        </p>
      )}
    </form>
  );
}
