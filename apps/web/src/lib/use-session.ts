import { useCallback, useEffect, useRef, useState } from "react";
import { TRPCClientError } from "@trpc/client";
import { forgetToken, loadToken, saveToken } from "./token-store";
import { isUnauthorized } from "./unauthorized";
import { whoami, type Identity } from "./whoami";

export type Session =
  | { status: "signed-out"; /** Why, when the API refused a token; shown on the sign-in page. */ reason: string | null }
  | { status: "checking" }
  | { status: "signed-in"; token: string; identity: Identity };

export interface SessionActions {
  /** Check `token` with `tokens.whoami`; only a token the API accepts is stored. */
  signIn(token: string): void;
  /** Forget the token and go back to the sign-in page. */
  signOut(): void;
  /** The API refused `token` after sign-in (revoked, expired). Ignored once another token is signed in. */
  expire(token: string, reason: string): void;
}

/**
 * The signed-in token and who it stands for. `initialToken` (from the
 * address's fragment or from storage) is checked with the API before the app
 * shows, so a revoked token never shows an app that cannot load anything.
 */
export function useSession(initialToken: string | null): [Session, SessionActions] {
  const [session, setSession] = useState<Session>(() =>
    initialToken ? { status: "checking" } : { status: "signed-out", reason: null },
  );
  // Only the latest sign-in may settle the session: an older check that answers late is ignored.
  const latestCheck = useRef(0);

  const signIn = useCallback((token: string) => {
    const check = ++latestCheck.current;
    setSession({ status: "checking" });
    whoami(token).then(
      (identity) => {
        if (check !== latestCheck.current) return;
        saveToken(token);
        setSession({ status: "signed-in", token, identity });
      },
      (error: unknown) => {
        if (check !== latestCheck.current) return;
        // A stored token the API refuses is of no further use; one it could not check (API down) is kept for a reload.
        if (isUnauthorized(error) && loadToken() === token) forgetToken();
        setSession({ status: "signed-out", reason: reasonOf(error) });
      },
    );
  }, []);

  const signOut = useCallback(() => {
    latestCheck.current++;
    forgetToken();
    setSession({ status: "signed-out", reason: null });
  }, []);

  const expire = useCallback((token: string, reason: string) => {
    if (loadToken() === token) forgetToken();
    setSession((current) =>
      current.status === "signed-in" && current.token === token ? { status: "signed-out", reason: `Signed out: ${reason}` } : current,
    );
  }, []);

  useEffect(() => {
    if (initialToken) signIn(initialToken);
  }, [initialToken, signIn]);

  return [session, { signIn, signOut, expire }];
}

/** What to tell the person signing in: the API's own words, or that it could not be reached. */
function reasonOf(error: unknown): string {
  // A TRPCClientError without `data` never got a tRPC answer: the network or the proxy failed.
  if (error instanceof TRPCClientError && !error.data) return `Could not reach the API: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
