import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

const api = process.env.STEWARD_API ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    // The dev server forwards API, sign-in and IdP paths to a running `npm start`.
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/auth': { target: api, changeOrigin: false },
      '/oidc': { target: api, changeOrigin: false },
    },
  },
});
