// Typed wrappers for the leak lint and the visibility snapshots (spec 10.6). Argument and result types are
// generated from Rust into ../bindings.
import { invoke } from "@tauri-apps/api/core";
import type { ChecklistWarning } from "../bindings/ChecklistWarning";
import type { LintReport } from "../bindings/LintReport";
import type { SnapshotDiff } from "../bindings/SnapshotDiff";
import type { SnapshotInfo } from "../bindings/SnapshotInfo";

export const leakChecks = {
  /** The leak lint's findings under the saved settings (cancellable with `cancel_reads`). */
  lintFindings: () => invoke<LintReport>("lint_findings"),
  /** The setup checklist's warnings: they never block enabling the portal. */
  checklistWarnings: () => invoke<ChecklistWarning[]>("checklist_warnings"),
  snapshots: () => invoke<SnapshotInfo[]>("snapshots"),
  saveSnapshot: (name: string) => invoke<SnapshotInfo>("save_snapshot", { name }),
  /** Snapshot `before` against snapshot `after`, or the workspace now when `after` is null. */
  compareSnapshots: (before: number, after: number | null) =>
    invoke<SnapshotDiff>("compare_snapshots", { before, after }),
  /** What a settings history entry did to visibility; null when no snapshot was taken before it. */
  changeVisibility: (entry: number) => invoke<SnapshotDiff | null>("change_visibility", { entry }),
};

/** How a snapshot is named in a picker: "#12 release-check" or "#13 before settings save". */
export function snapshotLabel(snapshot: SnapshotInfo): string {
  if (snapshot.name !== null) return `#${snapshot.id} ${snapshot.name}`;
  return `#${snapshot.id} before ${snapshot.reason === "settings" ? "settings save" : snapshot.reason}`;
}
