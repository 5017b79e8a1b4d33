import { describe, expect, it } from "vitest";
import type { Settings } from "../bindings/Settings";
import { base, copy } from "./settings.fixture";
import {
  GROUPS,
  changedKeys,
  errorCountsByGroup,
  errorsByField,
  groupOf,
  messagesFor,
  optionalText,
  sameValue,
  splitList,
  showValue,
  topKey,
} from "./editor";

describe("grouping", () => {
  it("puts every editable setting of spec section 1 in exactly one group", () => {
    const keys = GROUPS.flatMap((g) => g.keys as readonly string[]);
    const expected = Object.keys(base).filter((k) => k !== "templates" && k !== "enabled");
    expect([...keys].sort()).toEqual(expected.sort());
    expect(new Set(keys).size).toBe(keys.length);
  });
  it("groups as an administrator thinks of them", () => {
    expect(GROUPS.map((g) => g.label).slice(0, 5)).toEqual([
      "General",
      "Access",
      "Tickets",
      "Forms and navigation",
      "Session",
    ]);
    expect(groupOf("domain")).toBe("general");
    expect(groupOf("access.lists[0]")).toBe("access");
    expect(groupOf("sso.issuer")).toBe("access");
    expect(groupOf("ticket_filters[2].values[0]")).toBe("tickets");
    expect(groupOf("support_form.form")).toBe("forms");
    expect(groupOf("idle_timeout_minutes")).toBe("session");
    expect(groupOf("enabled")).toBeUndefined();
  });
  it("finds the top-level key of a dotted path", () => {
    expect(topKey("ticket_filters[1].values")).toBe("ticket_filters");
    expect(topKey("branding.primary_color")).toBe("branding");
    expect(topKey("slug")).toBe("slug");
  });
});

describe("dirty tracking", () => {
  it("is clean for an identical copy, whatever the key order", () => {
    const reordered = { ...copy(base) } as Record<string, unknown>;
    const flipped = Object.fromEntries(Object.entries(reordered).reverse()) as Settings;
    expect(changedKeys(base, flipped)).toEqual([]);
  });
  it("names each changed top-level setting, nested changes included", () => {
    const draft = copy(base);
    draft.page_title = "Help";
    draft.access.lists.push("l2");
    draft.branding.primary_color = "#000000";
    expect(changedKeys(base, draft).sort()).toEqual(["access", "branding", "page_title"]);
  });
  it("treats a missing side as not dirty", () => {
    expect(changedKeys(null, base)).toEqual([]);
    expect(changedKeys(base, null)).toEqual([]);
  });
  it("compares JSON values structurally", () => {
    expect(sameValue({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(sameValue({ a: [1] }, { a: [1, 2] })).toBe(false);
    expect(sameValue(null, {})).toBe(false);
    expect(sameValue([], {})).toBe(false);
  });
});

describe("field-error mapping", () => {
  const errors = [
    { field: "domain", message: "the vendor's system domain x.hs-sites.com is not allowed" },
    { field: "access.lists[0]", message: "list l9 does not exist" },
    { field: "ticket_filters[1].values", message: "needs values" },
    { field: "enabled", message: "checklist fails" },
  ];
  it("gives each field its messages, nested ones under their parent", () => {
    expect(messagesFor(errors, "domain")).toEqual([errors[0]?.message]);
    expect(messagesFor(errors, "access.lists")).toEqual(["list l9 does not exist"]);
    expect(messagesFor(errors, "ticket_filters[1]")).toEqual(["needs values"]);
    expect(messagesFor(errors, "ticket_filters[0]")).toEqual([]);
    expect(messagesFor(errors, "slug")).toEqual([]);
    // A prefix of another key's name is not its parent.
    expect(messagesFor([{ field: "domains", message: "x" }], "domain")).toEqual([]);
  });
  it("indexes errors by path and by top-level key", () => {
    const map = errorsByField(errors);
    expect(map.get("access.lists[0]")).toEqual(["list l9 does not exist"]);
    expect(map.get("access")).toEqual(["list l9 does not exist"]);
    expect(map.get("domain")).toHaveLength(1);
  });
  it("counts errors per group for the tab badges", () => {
    expect(errorCountsByGroup(errors)).toEqual({ general: 1, access: 1, tickets: 1, other: 1 });
  });
});

describe("input helpers", () => {
  it("maps an empty box to not set", () => {
    expect(optionalText("  ")).toBeNull();
    expect(optionalText("a.example.com")).toBe("a.example.com");
  });
  it("splits comma lists", () => {
    expect(splitList(" a, ,b ,c")).toEqual(["a", "b", "c"]);
  });
  it("shows diff values compactly", () => {
    expect(showValue(null)).toBe("(not set)");
    expect(showValue("x")).toBe("x");
    expect(showValue("")).toBe('""');
    expect(showValue(["a"])).toBe('["a"]');
  });
});
