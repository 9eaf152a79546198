import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app";
import { ApiProviders } from "./components/api-providers";
import { SignInPage } from "./components/sign-in-page";
import { takeTokenFromFragment } from "./lib/token-fragment";
import { loadToken } from "./lib/token-store";
import { useSession } from "./lib/use-session";
import "./styles.css";

// Read once, before React renders: the fragment is cleared from the address bar right away.
const initialToken = takeTokenFromFragment() ?? loadToken();

function Root() {
  const [session, { signIn, signOut, expire }] = useSession(initialToken);
  if (session.status !== "signed-in") {
    return (
      <SignInPage
        checking={session.status === "checking"}
        reason={session.status === "signed-out" ? session.reason : null}
        onSignIn={signIn}
      />
    );
  }
  const { token, identity } = session;
  return (
    <ApiProviders key={token} token={token} onUnauthorized={(reason) => expire(token, reason)}>
      <App identity={identity} onSignOut={signOut} />
    </ApiProviders>
  );
}

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
