import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

/**
 * The dev server proxies /trpc to the API, so the browser talks to one
 * origin and SSE subscriptions need no CORS.
 */
const apiProxy = {
  "/trpc": { target: process.env.CONVEYOR_API_URL ?? "http://127.0.0.1:3000", changeOrigin: true },
};

export default defineConfig({
  plugins: [react()],
  server: { port: Number(process.env.CONVEYOR_WEB_PORT ?? 5173), strictPort: false, proxy: apiProxy },
  // `vite preview` serves the build with the same proxy.
  preview: { proxy: apiProxy },
});
