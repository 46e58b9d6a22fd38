/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The build goes into the Python package, which serves it at /ui/ (src/legato/api/ui.py).
// outDir is relative to this folder (the Vite root).
const outDir = "../src/legato/api/static";

export default defineConfig({
  base: "/ui/",
  plugins: [react()],
  resolve: {
    alias: [
      // monaco-worker-manager imports monaco-editor/esm/vs/…, which monaco-editor's `exports` map no longer
      // lists (it maps monaco-editor/* to esm/vs/*): point those imports at the files themselves.
      { find: /^monaco-editor\/esm\/vs\/(.*)$/, replacement: `${decodeURIComponent(new URL("./node_modules/monaco-editor/esm/vs/", import.meta.url).pathname)}$1` },
    ],
  },
  // Monaco's editor worker and monaco-yaml's worker are ES modules bundled into their own files.
  worker: { format: "es" },
  build: {
    outDir,
    emptyOutDir: true,
    // Hashed file names under _build/ are what the server caches for a year (not "assets/": /ui/assets/<id> is
    // the page of an asset, which must reach the app).
    assetsDir: "_build",
    sourcemap: false,
    // Monaco (~3.8 MB, ~1 MB gzipped) lands in a chunk shared by the editor's lazy chunks only (the flows list
    // and the other pages never load it); it is above Vite's 500 kB default by nature. The limit still flags
    // any other chunk, the entry chunk included, that grows past it.
    chunkSizeWarningLimit: 4_200,
    // `make run` stays quiet: no "[PLUGIN_TIMINGS] JavaScript callbacks ran for …" note when a loaded machine makes
    // the plugins look slow (a build's real warnings still show).
    rolldownOptions: { checks: { bundlerTimings: false } },
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
