//! `intake`: what a GitHub webhook delivery asks for, decided once per delivery.
//!
//! A delivery is parsed ([`crate::domain::event::parse_event`]) and then *claimed*: a
//! create-only object `webhooks/deliveries/<id>` in the state store. GitHub redelivers on
//! timeouts and people press "Redeliver"; only the first claim of an id acts, on any number of
//! servers sharing the store. A delivery that cannot be parsed is refused before it is claimed,
//! so a corrected redelivery can still act.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::event::{Trigger, parse_event};
use crate::domain::layout;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::ports::{PutMode, StoreError};

/// The events a webhook may act on; every other event is acknowledged and ignored.
pub const ACTED_ON: [&str; 3] = ["push", "delete", "pull_request"];

/// What to do with a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Intake {
    /// A `ping` (sent when the webhook is created): answered, nothing else.
    Ping,
    /// An event idp does not act on, or one that concerns no environment.
    Ignored {
        /// Why.
        reason: String,
    },
    /// This delivery id was claimed before: it acted then, it does not act again.
    Duplicate {
        /// When the first delivery of this id was received.
        first_received_at: Option<DateTime<Utc>>,
    },
    /// Act on the trigger (run the preview path).
    Act {
        /// The parsed event.
        trigger: Trigger,
    },
}

/// Parse and claim one delivery. `delivery` is `X-GitHub-Delivery`, `event` `X-GitHub-Event`;
/// the body's signature must already have been checked.
pub async fn accept(
    platform: &Platform,
    event: &str,
    delivery: &str,
    body: &[u8],
) -> Result<Intake> {
    let key = layout::delivery_key(delivery).map_err(|e| Error::Refused {
        reason: "invalid_delivery".into(),
        message: format!("`X-GitHub-Delivery` is not a delivery id: {e}"),
    })?;
    if event == "ping" {
        return Ok(Intake::Ping);
    }
    if !ACTED_ON.contains(&event) {
        return Ok(Intake::Ignored {
            reason: format!(
                "event `{}` is not acted on (only {})",
                event.escape_debug(),
                ACTED_ON.join(", ")
            ),
        });
    }
    let trigger = parse_event(event, body)?;
    if let Trigger::Ignored { reason } = &trigger {
        return Ok(Intake::Ignored {
            reason: reason.to_string(),
        });
    }
    let now = platform.backend.clock.now();
    let record = serde_json::json!({ "event": event, "received_at": now });
    match platform
        .backend
        .store
        .put(
            &key,
            record.to_string().into_bytes().into(),
            PutMode::CreateOnly,
        )
        .await
    {
        Ok(_) => Ok(Intake::Act { trigger }),
        Err(StoreError::AlreadyExists { .. } | StoreError::PreconditionFailed { .. }) => {
            let first = match platform.backend.store.get(&key).await {
                Ok(obj) => serde_json::from_slice::<serde_json::Value>(&obj.bytes)
                    .ok()
                    .and_then(|v| v.get("received_at").cloned())
                    .and_then(|v| serde_json::from_value(v).ok()),
                Err(_) => None,
            };
            Ok(Intake::Duplicate {
                first_received_at: first,
            })
        }
        Err(e) => Err(e.into()),
    }
}
