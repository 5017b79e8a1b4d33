// Thin typed wrappers around the Tauri commands exposed by ../src-tauri. Every call the UI makes
// into the shell goes through here, so the command names and payload types live in one place.
import { invoke, isTauri } from "@tauri-apps/api/core";

/** True when running inside the Portal Studio window (false under `vite dev` in a browser). */
export const inDesktopShell: boolean = isTauri();

/** The shell's crate version (`app_version` command), or null outside the desktop shell. */
export async function appVersion(): Promise<string | null> {
  if (!inDesktopShell) return null;
  return invoke<string>("app_version");
}
