// The build only: the C server serves web/dist (docs/admin-guide.md, web_root).
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

export default defineConfig({
    plugins: [vue()],
    build: {
        outDir: 'dist',
        emptyOutDir: true,
        // Hashed names under assets/ are served as immutable; nothing is inlined (strict CSP).
        assetsInlineLimit: 0,
        modulePreload: { polyfill: false },
        sourcemap: false,
        chunkSizeWarningLimit: 800,
    },
});
