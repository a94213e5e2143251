// One lint config for the whole repository: the library, the local environment,
// the tests, the bench and the examples, each type-checked against its tsconfig.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "docs/api/**", "**/*.js", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits loses its error: every one is awaited, returned or marked `void`.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      // Off: the dynamic provider's hooks and the test helpers are async by interface; a body that
      // happens not to await would otherwise need Promise.resolve() by hand, with no gain.
      "@typescript-eslint/require-await": "off",
      // Unused arguments named _x say "the interface passes this, we do not need it".
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
);
