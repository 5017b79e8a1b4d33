// Saved settings for the UI's unit tests: one value every test file starts from, so that a new
// setting is added here once.
import type { Settings } from "../bindings/Settings";

export const base: Settings = {
  page_title: "Customer portal",
  slug: "tickets",
  domain: null,
  language: "en",
  access: { mode: "lists", lists: ["l1"] },
  sso: null,
  consent: { notice: "n", checkbox_label: "c" },
  ticket_filters: [],
  ticket_permissions: "contact",
  thread_shown: "most_recent",
  default_inbox: null,
  status_display: "open_closed",
  support_form: null,
  navigation_menu: null,
  knowledge_base_link: false,
  branding: {
    primary_color: "#112233",
    secondary_color: "#445566",
    font_family: "Inter",
    logo: null,
    favicon: null,
  },
  templates: {},
  idle_timeout_minutes: 60,
  enabled: false,
  company_view_rules: [],
  company_scope: "primary",
  cc_see_tickets: false,
  customers_close_tickets: false,
};

/** A deep copy to edit as a draft. */
export const copy = (s: Settings): Settings => JSON.parse(JSON.stringify(s)) as Settings;
