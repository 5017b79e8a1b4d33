// ESLint for the admin UI: typescript-eslint's strict, type-checked rules on .ts and the <script> of
// .svelte files, plus eslint-plugin-svelte's recommended rules. Formatting is Prettier's job (see
// .prettierrc), so eslint-plugin-svelte's "prettier" preset turns off the rules that would disagree with it.
import js from "@eslint/js";
import svelte from "eslint-plugin-svelte";
import globals from "globals";
import ts from "typescript-eslint";
import svelteConfig from "./svelte.config.js";

export default ts.config(
  {
    ignores: [
      "dist/",
      // Generated from the Rust types by ts-rs (cargo test); never edited by hand.
      "src/bindings/",
    ],
  },
  js.configs.recommended,
  ts.configs.strictTypeChecked,
  ts.configs.stylisticTypeChecked,
  svelte.configs.recommended,
  svelte.configs.prettier,
  {
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: [".svelte"],
      },
    },
    rules: {
      // `onclick={() => (open = true)}` and `onclick={() => save()}` are how Svelte handlers read.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      // Counts and percentages in messages are numbers; `${n}` is the clear way to show them.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // `void studio.revision;` inside an $effect reads a value so the effect re-runs when it changes
      // (Svelte tracks what an effect reads); `void` says the read is deliberate.
      "@typescript-eslint/no-meaningless-void-operator": "off",
    },
  },
  {
    files: ["**/*.svelte", "**/*.svelte.ts"],
    languageOptions: {
      parserOptions: { parser: ts.parser, svelteConfig },
    },
  },
  {
    // The config files themselves are plain Node modules outside the TypeScript project.
    files: ["*.js", "scripts/**/*.mjs"],
    extends: [ts.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
  },
);
