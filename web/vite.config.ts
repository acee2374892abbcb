import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";
import { VitePWA } from "vite-plugin-pwa";

// The app lives at /app/ on the gateway's origin. `npm run dev` proxies /api to a running `make up`.
const gateway = process.env.PERMITTO_GATEWAY ?? "http://localhost:8000";

export default defineConfig({
  base: "/app/",
  plugins: [
    preact(),
    VitePWA({
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.ts",
      injectRegister: false,
      registerType: "prompt",
      manifest: {
        name: "Permitto",
        short_name: "Permitto",
        description: "Permits to work for hazardous work, from the site.",
        start_url: "/app/",
        scope: "/app/",
        display: "standalone",
        background_color: "#ffffff",
        theme_color: "#0b3d91",
        icons: [
          { src: "icons/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "icons/icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
      },
      injectManifest: { globPatterns: ["**/*.{js,css,html,png,svg,webmanifest}"] },
      devOptions: { enabled: false },
    }),
  ],
  build: { target: "es2022", sourcemap: false, assetsInlineLimit: 0 },
  server: { port: 3000, proxy: { "/api": { target: gateway, changeOrigin: false } } },
  test: { environment: "node", include: ["tests/**/*.test.ts"] },
});
