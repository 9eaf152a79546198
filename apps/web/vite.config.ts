import { createHash } from "node:crypto";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

/**
 * The dev server proxies /trpc to the API, so the browser talks to one
 * origin and SSE subscriptions need no CORS.
 */
const apiProxy = {
  "/trpc": { target: process.env.CONVEYOR_API_URL ?? "http://127.0.0.1:3000", changeOrigin: true },
};

/**
 * Scripts from this origin only: the token in localStorage is safe from any
 * markup that slips into the page, since such markup cannot run. Inline
 * styles stay allowed, for React's `style` props and Vite's injected CSS.
 */
function contentSecurityPolicy(scriptSources: string): string {
  return [
    "default-src 'self'",
    `script-src ${scriptSources}`,
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
}

function securityHeaders(scriptSources: string): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(scriptSources),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
  };
}

/**
 * In dev, the React plugin adds one inline script to index.html (the Fast
 * Refresh preamble). It is allowed by its hash rather than by
 * 'unsafe-inline', so the dev server runs under the same rules as the build.
 */
const refreshPreambleHash = createHash("sha256").update(react.preambleCode.replace("__BASE__", "/")).digest("base64");

export default defineConfig({
  plugins: [react()],
  server: {
    port: Number(process.env.CONVEYOR_WEB_PORT ?? 5173),
    strictPort: false,
    proxy: apiProxy,
    headers: securityHeaders(`'self' 'sha256-${refreshPreambleHash}'`),
  },
  // `vite preview` serves the build with the same proxy.
  preview: { proxy: apiProxy, headers: securityHeaders("'self'") },
});
