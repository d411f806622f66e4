//! Reading `metadata.json` in every layout idp knows: the current one
//! ([`METADATA_SCHEMA`]) and the original platform's (schema 0), and saying exactly why when a
//! record is neither.
//!
//! The original workflows (`provision.yml`, `ttl-cleanup.yml`) write the record with `jq --arg`,
//! so every value is a string and there is no `schema` field:
//!
//! ```json
//! {"name": "preview-x", "template": "api-service", "owner": "a@b.c", "ttl": "7d",
//!  "created_at": "2026-02-18T22:03:39Z", "expires_at": "2026-02-25T22:03:39Z",
//!  "status": "destroying", "destroying_since": "2026-02-26T06:00:00Z",
//!  "container_image": "nginx:alpine", "acm_certificate_arn": "", "route53_zone_id": "",
//!  "preview_domain": "", "use_shared_networking": "false"}
//! ```
//!
//! Mapping: strings to typed values; `"true"`/`"false"` to booleans; `destroying` with
//! `destroying_since` to [`Status::Destroying`] changed at that time; `container_image` to the
//! image; the certificate, zone, domain and shared-networking flag to the environment's
//! [`RecordedInputs`]; `ttl` kept as history only (`created_at` + `expires_at` are the truth).
//! What the record lacks is derived and said so in [`Legacy::derived`]: `status_changed_at` from
//! `destroying_since` or `created_at`, `updated_at` from the object's last-modified time, a
//! missing `expires_at` from `created_at` + `ttl`, a missing owner as `unknown` (as the
//! original's destroy does), a missing status as `failed` (the original reads it as `unknown`;
//! `failed` is the status from which idp may destroy or re-provision). Fields idp has no place
//! for are kept verbatim in [`Legacy::unmapped`]. A value that cannot be mapped makes the whole
//! record unreadable, with every such field named at once: it is never guessed at.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::lifecycle::{METADATA_SCHEMA, Metadata, RecordedInputs, Status};
use crate::domain::naming::EnvName;
use crate::domain::template::TemplateName;
use crate::domain::ttl::{self, Ttl};

/// The layout number given to the original platform's records, which have no `schema` field.
pub const LEGACY_SCHEMA: u32 = 0;

/// The stable error kind of a record idp cannot read.
pub const UNREADABLE_KIND: &str = "unreadable_record";

/// What to do about a record idp cannot read, one line.
pub const UNREADABLE_HINT: &str = "run `idp migrate --dry-run` to see why, field by field";

/// Why a `metadata.json` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct UnreadableRecord {
    /// What is wrong, naming every field at fault.
    pub reason: String,
}

impl UnreadableRecord {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// How to fix it.
    pub fn fix(&self) -> &'static str {
        "run `idp migrate --dry-run` to see how idp reads every record, then correct the object named here (or delete it once its resources are gone)"
    }
}

/// The fields of the original platform's record that idp maps.
const KNOWN_FIELDS: [&str; 13] = [
    "name",
    "template",
    "owner",
    "ttl",
    "created_at",
    "expires_at",
    "status",
    "destroying_since",
    "container_image",
    "acm_certificate_arn",
    "route53_zone_id",
    "preview_domain",
    "use_shared_networking",
];

/// Read the `metadata.json` of environment `name` in any layout idp knows. `last_modified` is the
/// object's time in the store, used for a legacy record's `updated_at`.
pub fn read_record(
    bytes: &[u8],
    name: &EnvName,
    last_modified: Option<DateTime<Utc>>,
) -> Result<Metadata, UnreadableRecord> {
    let text =
        crate::domain::text::utf8(bytes).map_err(|e| UnreadableRecord::new(format!("it {e}")))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| UnreadableRecord::new(format!("it is not JSON ({e})")))?;
    let Value::Object(fields) = value else {
        return Err(UnreadableRecord::new(
            "it is not a JSON object (a record is `{\"name\": …, \"status\": …}`)",
        ));
    };
    let meta = match fields.get("schema") {
        None => from_legacy(fields, name, last_modified)?,
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(METADATA_SCHEMA)) => {
            serde_json::from_value::<Metadata>(Value::Object(fields))
                .map_err(|e| UnreadableRecord::new(format!("schema {METADATA_SCHEMA}: {e}")))?
        }
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n > u64::from(METADATA_SCHEMA)) => {
            return Err(UnreadableRecord::new(format!(
                "it has schema {n}, written by a newer idp; this idp reads schemas {LEGACY_SCHEMA} to {METADATA_SCHEMA}: upgrade idp"
            )));
        }
        Some(other) => {
            return Err(UnreadableRecord::new(format!(
                "`schema` is {other}, not a layout idp knows ({LEGACY_SCHEMA} to {METADATA_SCHEMA})"
            )));
        }
    };
    if meta.name != *name {
        return Err(UnreadableRecord::new(format!(
            "it names environment `{}` but is stored under `{name}`",
            meta.name
        )));
    }
    Ok(meta)
}

/// Collects the problems of one legacy record, so all are reported at once.
struct Fields<'a> {
    fields: &'a Map<String, Value>,
    problems: Vec<String>,
}

impl<'a> Fields<'a> {
    /// The string value of `key`: `None` when absent, null or `""`; a non-string is a problem.
    fn text(&mut self, key: &str) -> Option<&'a str> {
        match self.fields.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(other) => {
                self.problems
                    .push(format!("`{key}` is {other}, expected a string"));
                None
            }
        }
    }

    fn time(&mut self, key: &str) -> Option<DateTime<Utc>> {
        let text = self.text(key)?;
        match DateTime::parse_from_rfc3339(text) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(e) => {
                self.problems.push(format!(
                    "`{key}` is `{}`, not an ISO-8601 time such as `2026-02-18T22:03:39Z` ({e})",
                    text.escape_debug()
                ));
                None
            }
        }
    }

    fn flag(&mut self, key: &str) -> Option<bool> {
        match self.fields.get(key) {
            Some(Value::Bool(b)) => Some(*b),
            _ => match self.text(key)? {
                "true" => Some(true),
                "false" => Some(false),
                other => {
                    self.problems.push(format!(
                        "`{key}` is `{}`, expected `\"true\"` or `\"false\"`",
                        other.escape_debug()
                    ));
                    None
                }
            },
        }
    }
}

fn from_legacy(
    fields: Map<String, Value>,
    name: &EnvName,
    last_modified: Option<DateTime<Utc>>,
) -> Result<Metadata, UnreadableRecord> {
    let mut f = Fields {
        fields: &fields,
        problems: Vec::new(),
    };
    let mut derived = BTreeMap::new();
    let record_name = match f.text("name") {
        Some(n) => EnvName::parse(n).ok().or_else(|| {
            f.problems
                .push(format!("`name` `{}` is not a valid name", n.escape_debug()));
            None
        }),
        None => {
            derived.insert("name".to_owned(), "from the object's key".to_owned());
            Some(name.clone())
        }
    };
    let template = match f.text("template") {
        Some(t) => TemplateName::new(t).or_else(|| {
            f.problems.push(format!(
                "`template` `{}` is not a template name",
                t.escape_debug()
            ));
            None
        }),
        None => {
            f.problems
                .push("`template` is missing: set it to the template the stack was made from (`api-service`, `api-database`, `scheduled-worker`)".to_owned());
            None
        }
    };
    let owner = f.text("owner").map(str::to_owned).unwrap_or_else(|| {
        derived.insert("owner".to_owned(), "missing: `unknown`".to_owned());
        "unknown".to_owned()
    });
    let ttl_text = f.text("ttl").map(str::to_owned);
    let created_at = f.time("created_at");
    if created_at.is_none() && !fields.contains_key("created_at") {
        f.problems.push("`created_at` is missing".to_owned());
    }
    let expires_at = match (f.time("expires_at"), fields.contains_key("expires_at")) {
        (Some(t), _) => Some(t),
        (None, true) => None,
        (None, false) => {
            match (
                created_at,
                ttl_text.as_deref().and_then(|t| Ttl::parse(t).ok()),
            ) {
                (Some(created), Some(ttl)) => {
                    derived.insert(
                        "expires_at".to_owned(),
                        "missing: `created_at` + `ttl`".to_owned(),
                    );
                    Some(ttl::expires_at(created, ttl))
                }
                _ => {
                    f.problems.push(
                        "`expires_at` is missing and cannot be derived from `created_at` + `ttl`"
                            .to_owned(),
                    );
                    None
                }
            }
        }
    };
    let destroying_since = f.time("destroying_since");
    let status = match f.text("status") {
        None => {
            derived.insert(
                "status".to_owned(),
                "missing (the original reads it as `unknown`): `failed`, which idp may destroy or provision again".to_owned(),
            );
            Some(Status::Failed)
        }
        Some("expired") => {
            derived.insert(
                "status".to_owned(),
                "`expired` is shown, never stored, by the original: `active` (expiry is `expires_at`)"
                    .to_owned(),
            );
            Some(Status::Active)
        }
        Some(s) => Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .or_else(|| {
                f.problems.push(format!(
                    "`status` `{}` is not a status (`active`, `destroying`, `provisioning`, `failed`, `destroyed`)",
                    s.escape_debug()
                ));
                None
            }),
    };
    let image = f.text("container_image").map(str::to_owned);
    let inputs = RecordedInputs {
        acm_certificate_arn: f.text("acm_certificate_arn").map(str::to_owned),
        route53_zone_id: f.text("route53_zone_id").map(str::to_owned),
        preview_domain: f.text("preview_domain").map(str::to_owned),
        use_shared_networking: f.flag("use_shared_networking"),
    };
    let problems = std::mem::take(&mut f.problems);
    let (Some(record_name), Some(template), Some(created_at), Some(expires_at), Some(status), true) = (
        record_name,
        template,
        created_at,
        expires_at,
        status,
        problems.is_empty(),
    ) else {
        return Err(UnreadableRecord::new(format!(
            "a record of the original platform (no `schema` field) that cannot be mapped: {}",
            problems.join("; ")
        )));
    };
    let status_changed_at = match (status, destroying_since) {
        (Status::Destroying, Some(since)) => since,
        _ => {
            derived.insert(
                "status_changed_at".to_owned(),
                if status == Status::Destroying {
                    "no `destroying_since`: `created_at`".to_owned()
                } else {
                    "`created_at`".to_owned()
                },
            );
            created_at
        }
    };
    let updated_at = match last_modified {
        Some(t) => {
            derived.insert(
                "updated_at".to_owned(),
                "the object's last-modified time".to_owned(),
            );
            t
        }
        None => {
            derived.insert("updated_at".to_owned(), "`status_changed_at`".to_owned());
            status_changed_at
        }
    };
    if destroying_since.is_some() && status != Status::Destroying {
        derived.insert(
            "destroying_since".to_owned(),
            format!("ignored: the status is `{status}`"),
        );
    }
    let unmapped = fields
        .iter()
        .filter(|(key, _)| !KNOWN_FIELDS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let mut meta = Metadata::new(record_name, template, owner, created_at, expires_at);
    meta.status = status;
    meta.status_changed_at = status_changed_at;
    meta.updated_at = updated_at;
    meta.image = image;
    meta.inputs = (inputs != RecordedInputs::default()).then_some(inputs);
    meta.legacy = Some(crate::domain::lifecycle::Legacy {
        schema: LEGACY_SCHEMA,
        ttl: ttl_text,
        migrated_at: None,
        derived,
        unmapped,
    });
    Ok(meta)
}

#[cfg(test)]
mod tests;
