#!/usr/bin/env node
// `npm run tauri -- <args>`: runs the Tauri CLI from ui/ against the shell in ../src-tauri.
// The CLI only finds tauri.conf.json below the current directory, and src-tauri is a sibling of
// ui/, so point it there explicitly (works the same on every OS, unlike `VAR=... tauri` in npm).
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const uiDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
process.env.TAURI_APP_PATH ??= resolve(uiDir, "../src-tauri");
process.env.TAURI_FRONTEND_PATH ??= uiDir;

const cli = createRequire(import.meta.url)("@tauri-apps/cli");
cli.run(process.argv.slice(2), "npm run tauri --").catch((err) => {
  cli.logError(err.message);
  process.exit(1);
});
