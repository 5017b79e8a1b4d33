import { beforeEach, describe, expect, it } from "vitest";
import {
  PREVIEW_WIDTHS,
  forWorkspace,
  frameWidths,
  keepKnownContact,
  pickContact,
  pickPage,
  previewChoices,
  resetPreview,
  showWidth,
} from "./preview.svelte";

/** The choices of a session that has been looking around in workspace `a.portal`. */
function lookAround(): void {
  forWorkspace("/w/a.portal");
  pickPage("detail");
  pickContact("ana@acme.example");
  previewChoices.ticket = "1001";
  previewChoices.view = "organization";
  previewChoices.search = "ana";
  previewChoices.tab = "design";
  showWidth(390);
}

describe("preview choices", () => {
  beforeEach(() => resetPreview(null));

  it("start on the ticket list with example data at desktop width", () => {
    expect(previewChoices).toMatchObject({
      page: "list",
      contact: null,
      ticket: null,
      view: null,
      layout: "single",
      width: 1280,
      tab: "page",
      template: "list",
    });
  });

  it("are kept while the same workspace stays open (leaving the view and coming back)", () => {
    lookAround();
    // The Preview view mounts again and ties the choices to the open workspace once more.
    forWorkspace("/w/a.portal");
    expect(previewChoices).toMatchObject({
      workspace: "/w/a.portal",
      page: "detail",
      template: "detail",
      contact: "ana@acme.example",
      ticket: "1001",
      view: "organization",
      search: "ana",
      tab: "design",
      layout: "single",
      width: 390,
    });
  });

  it("are not dropped while the open workspace is not known yet", () => {
    lookAround();
    forWorkspace(null);
    expect(previewChoices.contact).toBe("ana@acme.example");
    expect(previewChoices.workspace).toBe("/w/a.portal");
  });

  it("start afresh when another workspace is opened", () => {
    lookAround();
    forWorkspace("/w/b.portal");
    expect(previewChoices).toMatchObject({
      workspace: "/w/b.portal",
      page: "list",
      contact: null,
      ticket: null,
      view: null,
      search: "",
      tab: "page",
      width: 1280,
      template: "list",
    });
  });

  it("start the ticket and view over when another contact is chosen", () => {
    lookAround();
    pickContact("ben@acme.example");
    expect(previewChoices.ticket).toBeNull();
    expect(previewChoices.view).toBeNull();
    expect(previewChoices.page).toBe("detail");
  });

  it("drop a contact the workspace no longer has", () => {
    lookAround();
    keepKnownContact(["ana@acme.example", "ben@acme.example"]);
    expect(previewChoices.contact).toBe("ana@acme.example");
    keepKnownContact(["ben@acme.example"]);
    expect(previewChoices.contact).toBeNull();
    expect(previewChoices.ticket).toBeNull();
  });

  it("open the template of the chosen page", () => {
    pickPage("logout");
    expect(previewChoices.template).toBe("logout");
    pickPage("form");
    expect(previewChoices.template).toBe("form");
  });

  it("keep the open template for a page drawn by a template that cannot be edited", () => {
    pickPage("login");
    pickPage("not_available");
    expect(previewChoices.page).toBe("not_available");
    expect(previewChoices.template).toBe("login");
  });

  it("show one frame, or every width side by side", () => {
    showWidth(768);
    expect(frameWidths(previewChoices)).toEqual([768]);
    showWidth("side");
    expect(frameWidths(previewChoices)).toEqual([...PREVIEW_WIDTHS]);
    expect(previewChoices.width).toBe(768);
  });
});
