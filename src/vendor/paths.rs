//! Where each resource lives. The vendor serves a legacy family (`/crm/v3/…`, `/crm/v4/…`,
//! `/conversations/v3/…`) and a dated one (`/crm/objects/2026-03/…`) with the same shapes; every path the
//! client asks for is built here, so moving from one family to the other is the choice of one value.

/// Which path family to call (`vendor-api.md` §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiFlavor {
    /// `/crm/v3/objects/…`, `/crm/v4/associations/…`, `/conversations/v3/conversations/…`: unsupported
    /// from 2027 (v4 from 30 March 2027).
    Legacy,
    /// `/crm/objects/2026-03/…` and the other dated paths: the current family.
    #[default]
    Dated,
}

/// The dated version of the CRM paths.
const CRM_VERSION: &str = "2026-03";
/// The dated version of the conversations paths (conversations moved to 2026-09).
const CONVERSATIONS_VERSION: &str = "2026-09";

impl ApiFlavor {
    /// `contacts`, `companies`, `tickets`: the list of one object type.
    pub fn objects(self, object: &str) -> String {
        match self {
            ApiFlavor::Legacy => format!("/crm/v3/objects/{object}"),
            ApiFlavor::Dated => format!("/crm/objects/{CRM_VERSION}/{object}"),
        }
    }

    /// The v4 batch read of associations from one object type to another.
    pub fn associations_batch_read(self, from: &str, to: &str) -> String {
        match self {
            ApiFlavor::Legacy => format!("/crm/v4/associations/{from}/{to}/batch/read"),
            ApiFlavor::Dated => format!("/crm/associations/{CRM_VERSION}/{from}/{to}/batch/read"),
        }
    }

    pub fn pipelines(self, object: &str) -> String {
        match self {
            ApiFlavor::Legacy => format!("/crm/v3/pipelines/{object}"),
            ApiFlavor::Dated => format!("/crm/pipelines/{CRM_VERSION}/{object}"),
        }
    }

    pub fn properties(self, object: &str) -> String {
        match self {
            ApiFlavor::Legacy => format!("/crm/v3/properties/{object}"),
            ApiFlavor::Dated => format!("/crm/properties/{CRM_VERSION}/{object}"),
        }
    }

    fn lists(self) -> String {
        match self {
            ApiFlavor::Legacy => "/crm/v3/lists".into(),
            ApiFlavor::Dated => format!("/crm/lists/{CRM_VERSION}"),
        }
    }

    /// `POST`: lists by object type, offset paging.
    pub fn lists_search(self) -> String {
        format!("{}/search", self.lists())
    }

    /// The members of one list, cursor paging.
    pub fn list_memberships(self, list: &str) -> String {
        format!("{}/{list}/memberships", self.lists())
    }

    /// `inboxes`, `channels`, `channel-accounts`, `threads`.
    pub fn conversations(self, resource: &str) -> String {
        match self {
            ApiFlavor::Legacy => format!("/conversations/v3/conversations/{resource}"),
            ApiFlavor::Dated => {
                format!("/conversations/conversations/{CONVERSATIONS_VERSION}/{resource}")
            }
        }
    }

    pub fn thread_messages(self, thread: &str) -> String {
        self.conversations(&format!("threads/{thread}/messages"))
    }

    pub fn message_original_content(self, thread: &str, message: &str) -> String {
        self.conversations(&format!(
            "threads/{thread}/messages/{message}/original-content"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_families_name_the_same_resources() {
        assert_eq!(
            ApiFlavor::Legacy.objects("tickets"),
            "/crm/v3/objects/tickets"
        );
        assert_eq!(
            ApiFlavor::Dated.objects("tickets"),
            "/crm/objects/2026-03/tickets"
        );
        assert_eq!(
            ApiFlavor::Legacy.associations_batch_read("tickets", "contacts"),
            "/crm/v4/associations/tickets/contacts/batch/read"
        );
        assert_eq!(
            ApiFlavor::Dated.conversations("threads"),
            "/conversations/conversations/2026-09/threads"
        );
    }
}
