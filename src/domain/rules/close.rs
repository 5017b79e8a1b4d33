//! Customers close their own tickets (portal-rules.md 10.3): when the setting is on, an open ticket the
//! customer sees moves to the first stage of its pipeline whose state is CLOSED, in the pipeline's stage
//! order. Whether the customer sees the ticket at all is the visibility rule's business; this decides
//! only whether the close action exists for a ticket, and where it leads.

use super::status::is_open;
use crate::domain::model::{Catalog, StageState, Ticket};
use crate::domain::settings::Settings;

/// What "Close ticket" does for one ticket, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseDecision {
    /// The stage the ticket moves to; `None` when the portal offers no close action.
    pub stage: Option<String>,
    pub reason: String,
}

/// The close action for `ticket` under `settings`: the first CLOSED stage of its pipeline, or none.
pub fn close(settings: &Settings, catalog: &Catalog, ticket: &Ticket) -> CloseDecision {
    let none = |reason: String| CloseDecision {
        stage: None,
        reason,
    };
    if !settings.customers_close_tickets {
        return none("customers may not close tickets".into());
    }
    if !is_open(catalog, ticket) {
        return none("the ticket is already closed".into());
    }
    let Some(pipeline) = catalog.pipeline(&ticket.pipeline) else {
        return none(format!("pipeline \"{}\" is unknown", ticket.pipeline));
    };
    match pipeline
        .stages
        .iter()
        .find(|stage| stage.state == StageState::Closed)
    {
        Some(stage) => CloseDecision {
            stage: Some(stage.id.clone()),
            reason: format!(
                "closing moves it to {}, the first closed stage of {}",
                stage.label, pipeline.label
            ),
        },
        None => none(format!("pipeline {} has no closed stage", pipeline.label)),
    }
}
