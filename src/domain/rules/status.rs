//! How a ticket's status reads to a customer (spec section 5): "Open"/"Closed" from the stage's state, or
//! the stage's own label when the portal shows pipeline stages.

use crate::domain::model::{Catalog, StageState, Ticket};
use crate::domain::settings::{Settings, StatusDisplay};

/// Whether the ticket's stage is an open one; a ticket whose stage is unknown counts as open so that the
/// customer can still reach the agents about it.
pub fn is_open(catalog: &Catalog, ticket: &Ticket) -> bool {
    catalog
        .stage(&ticket.pipeline, &ticket.stage)
        .is_none_or(|stage| stage.state == StageState::Open)
}

pub fn status_label(settings: &Settings, catalog: &Catalog, ticket: &Ticket) -> String {
    match (
        settings.status_display,
        catalog.stage(&ticket.pipeline, &ticket.stage),
    ) {
        (StatusDisplay::PipelineStages, Some(stage)) => stage.label.clone(),
        _ if is_open(catalog, ticket) => "Open".into(),
        _ => "Closed".into(),
    }
}
