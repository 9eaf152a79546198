import { useId, useState, type FormEvent } from "react";

interface SignInPageProps {
  /** A token is being checked with the API. */
  checking: boolean;
  /** Why the last token was refused (or why the session ended), in the API's words. */
  reason: string | null;
  onSignIn: (token: string) => void;
}

/** Shown whenever no accepted token is stored: paste a token, the API checks it. */
export function SignInPage({ checking, reason, onSignIn }: SignInPageProps) {
  const [token, setToken] = useState("");
  const id = useId();
  const titleId = `${id}title`;
  const errorId = `${id}error`;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    // Pasted tokens often carry a stray space or newline.
    const value = token.trim();
    if (value) onSignIn(value);
  }

  return (
    <main className="sign-in">
      <form className="card sign-in-form" onSubmit={onSubmit} aria-labelledby={titleId} data-testid="sign-in-form">
        <h1 id={titleId}>Sign in to Conveyor</h1>
        <p className="muted">
          Paste an API token (it starts with <code>cvy_</code>). <code>pnpm dev</code> prints a link that signs you in.
        </p>
        <label>
          API token
          <input
            type="password"
            name="token"
            autoComplete="off"
            spellCheck={false}
            required
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-invalid={reason ? true : undefined}
            aria-describedby={reason ? errorId : undefined}
            data-testid="token-input"
          />
        </label>
        <button type="submit" disabled={checking} data-testid="sign-in-button">
          {checking ? "Signing in…" : "Sign in"}
        </button>
        {reason && (
          <p id={errorId} className="form-error" role="alert" data-testid="sign-in-error">
            {reason}
          </p>
        )}
      </form>
    </main>
  );
}
