// Builds the dashboard into web-ui/dist (`npm run build:ui`); scripts/build.mjs builds it into dist/web-ui for the
// package. Relative asset paths (base './') keep the app working behind a reverse proxy that adds a path prefix.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, reportCompressedSize: true },
});
