import { describe, expect, it } from "vitest";
import type { Settings } from "../bindings/Settings";
import { base, copy } from "./settings.fixture";
import { describeChanges, draftChanges, labelOf, rebase, revertPath } from "./changes";
import { languageName } from "./labels";

/** A draft with edits from three views: Settings (title), Design (colour, a template), Visibility. */
function editedEverywhere(): Settings {
  const draft = copy(base);
  draft.page_title = "Help Centre";
  draft.branding.primary_color = "#c2410c";
  draft.templates.list = "{{ page_title }}";
  draft.ticket_permissions = "company";
  return draft;
}

describe("the unsaved changes of the shared draft", () => {
  it("are named by the editor's labels, never by the settings' keys", () => {
    const labels = draftChanges(base, editedEverywhere()).map((c) => c.label);
    expect(labels).toEqual(["Page title", "Ticket permissions", "Primary colour", "Template “list”"]);
    for (const label of labels) expect(label).not.toMatch(/_/);
  });

  it("name the company view and close settings by their labels", () => {
    const draft = copy(base);
    draft.company_view_rules = [{ property: "job_title", operator: "is_any_of", values: ["Manager"] }];
    draft.company_scope = "associated";
    draft.cc_see_tickets = true;
    draft.customers_close_tickets = true;
    expect(draftChanges(base, draft).map((c) => c.label)).toEqual([
      "Company view rules",
      "Company scope",
      "CC'd contacts see tickets",
      "Customers close tickets",
    ]);
  });

  it("read as one line: how many, and which", () => {
    const changes = draftChanges(base, editedEverywhere());
    expect(describeChanges(changes, 3)).toBe(
      "4 unsaved changes: Page title, Ticket permissions, Primary colour, …",
    );
    expect(describeChanges(changes.slice(0, 1))).toBe("1 unsaved change: Page title");
    expect(describeChanges([])).toBe("No unsaved changes");
  });

  it("can be reverted one at a time, keeping the changes made in other views", () => {
    const draft = editedEverywhere();
    revertPath(base, draft, "branding.primary_color");
    revertPath(base, draft, "templates.list");
    expect(draft.branding.primary_color).toBe("#112233");
    expect(draft.templates).toEqual({});
    expect(draftChanges(base, draft).map((c) => c.path)).toEqual(["page_title", "ticket_permissions"]);
  });

  it("survive settings saved elsewhere meanwhile (the enable switch, an undo)", () => {
    const saved = copy(base);
    saved.enabled = true;
    saved.page_title = "Old title restored";
    const kept = rebase(base, editedEverywhere(), saved);
    expect(kept.enabled).toBe(true);
    expect(kept.page_title).toBe("Help Centre");
    expect(kept.branding.primary_color).toBe("#c2410c");
    expect(draftChanges(saved, kept).map((c) => c.label)).toEqual([
      "Page title",
      "Ticket permissions",
      "Primary colour",
      "Template “list”",
    ]);
  });

  it("label keys the editor does not list as words", () => {
    expect(labelOf("access.mode")).toBe("Access mode");
    expect(labelOf("some_new.key")).toBe("Some new key");
  });
});

describe("language names", () => {
  it("show the language with its code as secondary text", () => {
    expect(languageName("de")).toBe("German (de)");
    expect(languageName("fi")).toBe("Finnish (fi)");
    expect(languageName("not a code")).toBe("not a code");
  });
});
