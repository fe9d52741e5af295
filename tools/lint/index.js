// Resolved from tools/lint/node_modules, so typescript-eslint finds TypeScript 6 here, not the project's TypeScript 7.
export { default as js } from '@eslint/js';
export { default as tseslint } from 'typescript-eslint';
export { defineConfig } from 'eslint/config';
