import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// Tauri loads http://localhost:1420 in development and ui/dist in builds (tauri.conf.json).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    host: "localhost",
    // The Rust side is rebuilt by `tauri dev`; Vite need not watch it.
    watch: { ignored: ["**/src-tauri/**", "**/target/**"] },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.50 / WKWebView on macOS 12+ / WebView2: all handle ES2021.
    target: ["es2021", "safari15"],
    sourcemap: false,
    // A single small bundle; nothing is loaded from elsewhere.
    assetsInlineLimit: 0,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
