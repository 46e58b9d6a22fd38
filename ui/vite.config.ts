/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The build goes into the Python package, which serves it at /ui/ (src/legato/api/ui.py).
// outDir is relative to this folder (the Vite root).
const outDir = "../src/legato/api/static";

export default defineConfig({
  base: "/ui/",
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    // Hashed file names under assets/ are what the server caches for a year.
    assetsDir: "assets",
    sourcemap: false,
  },
  server: {
    // `npm run dev` talks to `make run` on the default port.
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
