import type { Identity } from "../lib/whoami";

/** Who is signed in, and the way out. */
export function SessionHeader({ identity, onSignOut }: { identity: Identity; onSignOut: () => void }) {
  return (
    <div className="session" data-testid="session">
      <span>
        Signed in as <strong data-testid="session-owner">{identity.ownerId}</strong>
      </span>
      <span className={`badge badge-role-${identity.role}`} data-testid="session-role">
        {identity.role}
      </span>
      <button type="button" className="secondary-button" onClick={onSignOut} data-testid="sign-out-button">
        Sign out
      </button>
    </div>
  );
}
