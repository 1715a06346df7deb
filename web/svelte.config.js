import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // A single-page app: the API serves build/ and falls back to index.html for unknown non-API paths.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    // The same CASL rules as the API: the web shows or hides controls with them (ARCHITECTURE.md).
    alias: { $policies: '../policies' },
  },
};

export default config;
