//! The `LockTable` port on a DynamoDB table keyed by `LockID` (string).
//!
//! It is the table OpenTofu's S3 backend locks with, so one table holds both idp's leases and
//! OpenTofu's lock items. A lease is an item
//! `{LockID, Owner, Token, ExpiresAt, ExpiresAtNanos}`:
//! - `ExpiresAt` is the expiry in whole epoch seconds, rounded up, so it can be the table's TTL
//!   attribute (DynamoDB deletes expired items lazily, within days; an expired item still counts
//!   as free here, it is just not yet gone);
//! - `ExpiresAtNanos` is the exact expiry in epoch nanoseconds, which every condition compares,
//!   so a lease expires exactly when [`LeaseInfo::is_live`] says;
//! - `Token` is unique to one acquisition, so a renew or release by a holder whose lease expired
//!   and was taken by someone else fails instead of touching the new lease.
//!
//! OpenTofu's items are `{LockID: "{bucket}/{key}", Info}` while a state is locked and
//! `{LockID: "{bucket}/{key}-md5", Digest}` for the state's checksum. Leases never overwrite them:
//! every lease write is conditional, and an item without `Owner`/`Token` is never a free lease.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};

use super::error::Failure;
use crate::ports::{
    Lease, LeaseInfo, LeaseRequest, LockError, LockTable, TfLockInfo, TfLockRemoval,
};

const BACKEND: &str = "dynamodb";
/// DynamoDB's limit on a partition key, in bytes.
const MAX_KEY_BYTES: usize = 2048;
/// How often `acquire` retries when its condition failed but the blocking item was gone by the
/// time it was read (released in between).
const ACQUIRE_ATTEMPTS: usize = 3;

const LOCK_ID: &str = "LockID";
const OWNER: &str = "Owner";
const TOKEN: &str = "Token";
const EXPIRES_AT: &str = "ExpiresAt";
const EXPIRES_AT_NANOS: &str = "ExpiresAtNanos";
const INFO: &str = "Info";

type Item = HashMap<String, AttributeValue>;

/// A [`LockTable`] on one DynamoDB table with partition key `LockID` (string).
#[derive(Debug, Clone)]
pub struct DynamoDbLockTable {
    client: Client,
    table: String,
}

impl DynamoDbLockTable {
    /// A lock table on `table`, reached through `client`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    fn failure<E>(
        &self,
        err: SdkError<E, HttpResponse>,
        operation: &'static str,
        key: &str,
    ) -> LockError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        Failure::new(err, operation, format!("{}/{key}", self.table)).into_lock(BACKEND)
    }

    fn key(key: &str) -> Item {
        HashMap::from([(LOCK_ID.to_owned(), AttributeValue::S(key.to_owned()))])
    }

    /// The item stored under `key`, read consistently.
    async fn get_item(&self, key: &str) -> Result<Option<Item>, LockError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.failure(err, "GetItem", key))?;
        Ok(output.item)
    }

    /// The error for a renew or release whose condition (same owner and token) failed: `Held`
    /// by whoever is there now, or `NotFound` if nobody is. `old` is the item DynamoDB returned
    /// with the failure, if it did.
    async fn not_ours(&self, key: &str, old: Option<Item>) -> LockError {
        let item = match old {
            Some(item) => Some(item),
            None => match self.get_item(key).await {
                Ok(item) => item,
                Err(err) => return err,
            },
        };
        match item {
            None => LockError::NotFound {
                key: key.to_owned(),
            },
            Some(item) => match parse_lease(key, &item) {
                Ok(holder) => LockError::Held {
                    key: holder.info.key,
                    owner: holder.info.owner,
                    expires_at: holder.info.expires_at,
                },
                Err(err) => err,
            },
        }
    }
}

/// A lease as stored.
struct StoredLease {
    info: LeaseInfo,
}

fn check_key(key: &str) -> Result<(), LockError> {
    let reason = if key.is_empty() {
        "a lock key cannot be empty"
    } else if key.len() > MAX_KEY_BYTES {
        "DynamoDB keys are at most 2048 bytes"
    } else {
        return Ok(());
    };
    Err(LockError::InvalidKey {
        key: key.to_owned(),
        reason: reason.to_owned(),
    })
}

/// Epoch nanoseconds, exact for every `DateTime<Utc>` (an `i128` never overflows here).
fn to_nanos(at: DateTime<Utc>) -> i128 {
    i128::from(at.timestamp()) * 1_000_000_000 + i128::from(at.timestamp_subsec_nanos())
}

fn from_nanos(nanos: i128) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let sub = u32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
    DateTime::from_timestamp(secs, sub)
}

/// Whole epoch seconds, rounded up, for the TTL attribute: DynamoDB never deletes a lease early.
fn ttl_seconds(at: DateTime<Utc>) -> i64 {
    at.timestamp() + i64::from(at.timestamp_subsec_nanos() > 0)
}

fn string<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn number<T: std::str::FromStr>(item: &Item, name: &str) -> Option<T> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

fn malformed(key: &str, reason: impl Into<String>) -> LockError {
    LockError::Malformed {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

/// Reads a lease item; an item that is not one (an OpenTofu lock or digest) is `Malformed`.
fn parse_lease(key: &str, item: &Item) -> Result<StoredLease, LockError> {
    let owner = string(item, OWNER).ok_or_else(|| {
        let what = if item.contains_key(INFO) {
            "an OpenTofu state lock"
        } else {
            "not a lease"
        };
        malformed(
            key,
            format!("the item is {what} (no `{OWNER}`); use `idp unlock` for OpenTofu locks"),
        )
    })?;
    let expires_at = number::<i128>(item, EXPIRES_AT_NANOS)
        .and_then(from_nanos)
        .or_else(|| {
            number::<i64>(item, EXPIRES_AT).and_then(|secs| DateTime::from_timestamp(secs, 0))
        })
        .ok_or_else(|| malformed(key, format!("the lease has no valid `{EXPIRES_AT}`")))?;
    Ok(StoredLease {
        info: LeaseInfo {
            key: key.to_owned(),
            owner: owner.to_owned(),
            expires_at,
        },
    })
}

fn parse_terraform_lock(key: &str, item: &Item) -> Result<Option<TfLockInfo>, LockError> {
    match string(item, INFO) {
        Some(info) => TfLockInfo::from_info_json(info)
            .map(Some)
            .map_err(|err| malformed(key, format!("its `{INFO}` is not an OpenTofu lock: {err}"))),
        None if item.contains_key(TOKEN) => Err(malformed(
            key,
            "the item is an idp lease, not an OpenTofu lock",
        )),
        None => Ok(None),
    }
}

/// The lock a removed item held. A lock item whose `Info` cannot be read is removed all the
/// same (removing it is the way out of a broken lock), and reported as no lock.
fn readable_lock(lock_id: &str, item: &Item) -> Option<TfLockInfo> {
    match parse_terraform_lock(lock_id, item) {
        Ok(lock) => lock,
        Err(err) => {
            tracing::warn!(lock_id, error = %err, "removed an OpenTofu lock item that could not be read");
            None
        }
    }
}

fn is_condition_failure<E>(err: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata,
{
    err.code() == Some("ConditionalCheckFailedException")
}

#[async_trait]
impl LockTable for DynamoDbLockTable {
    async fn acquire(
        &self,
        request: &LeaseRequest,
        now: DateTime<Utc>,
    ) -> Result<Lease, LockError> {
        check_key(&request.key)?;
        let expires_at = now + request.ttl;
        for _ in 0..ACQUIRE_ATTEMPTS {
            let token = uuid::Uuid::new_v4().to_string();
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .item(LOCK_ID, AttributeValue::S(request.key.clone()))
                .item(OWNER, AttributeValue::S(request.owner.clone()))
                .item(TOKEN, AttributeValue::S(token.clone()))
                .item(
                    EXPIRES_AT,
                    AttributeValue::N(ttl_seconds(expires_at).to_string()),
                )
                .item(
                    EXPIRES_AT_NANOS,
                    AttributeValue::N(to_nanos(expires_at).to_string()),
                )
                .condition_expression("attribute_not_exists(#id) OR #exp <= :now")
                .expression_attribute_names("#id", LOCK_ID)
                .expression_attribute_names("#exp", EXPIRES_AT_NANOS)
                .expression_attribute_values(":now", AttributeValue::N(to_nanos(now).to_string()))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let err = match result {
                Ok(_) => {
                    return Ok(Lease {
                        key: request.key.clone(),
                        owner: request.owner.clone(),
                        expires_at,
                        token,
                    });
                }
                Err(err) if is_condition_failure(&err) => err,
                Err(err) => return Err(self.failure(err, "PutItem", &request.key)),
            };
            let old = match err.into_service_error() {
                PutItemError::ConditionalCheckFailedException(e) => e.item,
                _ => None,
            };
            let holder = match old {
                Some(item) => Some(item),
                None => self.get_item(&request.key).await?,
            };
            if let Some(item) = holder {
                let holder = parse_lease(&request.key, &item)?;
                return Err(LockError::Held {
                    key: request.key.clone(),
                    owner: holder.info.owner,
                    expires_at: holder.info.expires_at,
                });
            }
            // The holder released between the failed put and the read: try again.
        }
        Err(LockError::Unavailable {
            backend: BACKEND,
            retryable: true,
            source: format!(
                "`{}` kept changing hands during {ACQUIRE_ATTEMPTS} attempts",
                request.key
            )
            .into(),
        })
    }

    async fn renew(&self, lease: &Lease, expires_at: DateTime<Utc>) -> Result<Lease, LockError> {
        check_key(&lease.key)?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&lease.key)))
            .update_expression("SET #exp = :exp, #ttl = :ttl")
            .condition_expression("#owner = :owner AND #token = :token")
            .expression_attribute_names("#exp", EXPIRES_AT_NANOS)
            .expression_attribute_names("#ttl", EXPIRES_AT)
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_names("#token", TOKEN)
            .expression_attribute_values(
                ":exp",
                AttributeValue::N(to_nanos(expires_at).to_string()),
            )
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N(ttl_seconds(expires_at).to_string()),
            )
            .expression_attribute_values(":owner", AttributeValue::S(lease.owner.clone()))
            .expression_attribute_values(":token", AttributeValue::S(lease.token.clone()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Lease {
                expires_at,
                ..lease.clone()
            }),
            Err(err) if is_condition_failure(&err) => {
                let old = match err.into_service_error() {
                    UpdateItemError::ConditionalCheckFailedException(e) => e.item,
                    _ => None,
                };
                Err(self.not_ours(&lease.key, old).await)
            }
            Err(err) => Err(self.failure(err, "UpdateItem", &lease.key)),
        }
    }

    async fn release(&self, lease: &Lease) -> Result<(), LockError> {
        check_key(&lease.key)?;
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&lease.key)))
            .condition_expression("#owner = :owner AND #token = :token")
            .expression_attribute_names("#owner", OWNER)
            .expression_attribute_names("#token", TOKEN)
            .expression_attribute_values(":owner", AttributeValue::S(lease.owner.clone()))
            .expression_attribute_values(":token", AttributeValue::S(lease.token.clone()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_condition_failure(&err) => {
                let old = match err.into_service_error() {
                    DeleteItemError::ConditionalCheckFailedException(e) => e.item,
                    _ => None,
                };
                Err(self.not_ours(&lease.key, old).await)
            }
            Err(err) => Err(self.failure(err, "DeleteItem", &lease.key)),
        }
    }

    async fn force_unlock(&self, key: &str) -> Result<Option<LeaseInfo>, LockError> {
        check_key(key)?;
        // Only a lease (or nothing) is removed; an OpenTofu item under the same key is left alone.
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .condition_expression("attribute_not_exists(#id) OR attribute_exists(#owner)")
            .expression_attribute_names("#id", LOCK_ID)
            .expression_attribute_names("#owner", OWNER)
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => match output.attributes {
                Some(item) if !item.is_empty() => {
                    parse_lease(key, &item).map(|lease| Some(lease.info))
                }
                _ => Ok(None),
            },
            Err(err) if is_condition_failure(&err) => Err(malformed(
                key,
                "the item is not a lease; use `idp unlock` for OpenTofu locks",
            )),
            Err(err) => Err(self.failure(err, "DeleteItem", key)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<LeaseInfo>, LockError> {
        check_key(key)?;
        match self.get_item(key).await? {
            Some(item) => parse_lease(key, &item).map(|lease| Some(lease.info)),
            None => Ok(None),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<LeaseInfo>, LockError> {
        let mut leases = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut scan = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .expression_attribute_names("#owner", OWNER);
            // Empty strings are not valid expression values on every DynamoDB version.
            scan = if prefix.is_empty() {
                scan.filter_expression("attribute_exists(#owner)")
            } else {
                scan.filter_expression("attribute_exists(#owner) AND begins_with(#id, :prefix)")
                    .expression_attribute_names("#id", LOCK_ID)
                    .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
            };
            let output = scan
                .send()
                .await
                .map_err(|err| self.failure(err, "Scan", prefix))?;
            for item in output.items() {
                let Some(key) = string(item, LOCK_ID) else {
                    continue;
                };
                leases.push(parse_lease(key, item)?.info);
            }
            match output.last_evaluated_key {
                Some(last) if !last.is_empty() => start = Some(last),
                _ => break,
            }
        }
        leases.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(leases)
    }

    async fn terraform_lock(&self, lock_id: &str) -> Result<Option<TfLockInfo>, LockError> {
        check_key(lock_id)?;
        match self.get_item(lock_id).await? {
            Some(item) => parse_terraform_lock(lock_id, &item),
            None => Ok(None),
        }
    }

    async fn remove_terraform_lock(&self, lock_id: &str) -> Result<Option<TfLockInfo>, LockError> {
        check_key(lock_id)?;
        // Only an item holding an `Info` is a state lock: a digest item or a lease stays.
        let deleted = self
            .delete_where(lock_id, "attribute_exists(#a)", INFO)
            .await?;
        Ok(deleted
            .flatten()
            .and_then(|item| readable_lock(lock_id, &item)))
    }

    async fn remove_terraform_lock_items(
        &self,
        bucket: &str,
        state_key: &str,
    ) -> Result<TfLockRemoval, LockError> {
        let lock_id = TfLockInfo::lock_id(bucket, state_key);
        let digest_id = TfLockInfo::digest_id(bucket, state_key);
        check_key(&lock_id)?;
        check_key(&digest_id)?;
        let lock_item = self.delete_unless_lease(&lock_id).await?;
        let digest_item = self.delete_unless_lease(&digest_id).await?;
        let lock = lock_item.and_then(|item| readable_lock(&lock_id, &item));
        Ok(TfLockRemoval {
            lock,
            digest_removed: digest_item.is_some(),
        })
    }
}

impl DynamoDbLockTable {
    /// Deletes the item under `key` if `condition` (on attribute `#a`, naming `attribute`)
    /// holds. `None` when it did not hold; else what was there (`Some(None)`: nothing).
    async fn delete_where(
        &self,
        key: &str,
        condition: &str,
        attribute: &str,
    ) -> Result<Option<Option<Item>>, LockError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(key)))
            .condition_expression(condition)
            .expression_attribute_names("#a", attribute)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Some(output.attributes.filter(|item| !item.is_empty()))),
            Err(err) if is_condition_failure(&err) => Ok(None),
            Err(err) => Err(self.failure(err, "DeleteItem", key)),
        }
    }

    /// Deletes the item under `key` unless it is a lease, and returns what was there.
    async fn delete_unless_lease(&self, key: &str) -> Result<Option<Item>, LockError> {
        match self
            .delete_where(key, "attribute_not_exists(#a)", OWNER)
            .await?
        {
            Some(item) => Ok(item),
            None => Err(malformed(
                key,
                "the item is an idp lease, not an OpenTofu lock; release it with `idp unlock`",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn nanosecond_expiry_round_trips_exactly() {
        let at = DateTime::from_timestamp(1_795_593_801, 549_000_123).unwrap_or_default();
        assert_eq!(from_nanos(to_nanos(at)), Some(at));
        let before_epoch = DateTime::<Utc>::UNIX_EPOCH - TimeDelta::nanoseconds(1);
        assert_eq!(from_nanos(to_nanos(before_epoch)), Some(before_epoch));
    }

    #[test]
    fn the_ttl_attribute_rounds_up_so_dynamodb_never_deletes_a_live_lease() {
        let whole = DateTime::from_timestamp(100, 0).unwrap_or_default();
        assert_eq!(ttl_seconds(whole), 100);
        assert_eq!(ttl_seconds(whole + TimeDelta::nanoseconds(1)), 101);
    }

    #[test]
    fn an_opentofu_item_is_not_a_lease() {
        let item = HashMap::from([(INFO.to_owned(), AttributeValue::S("{}".into()))]);
        assert!(matches!(
            parse_lease("b/k", &item),
            Err(LockError::Malformed { .. })
        ));
    }

    #[test]
    fn a_digest_item_is_no_terraform_lock_and_a_lease_is_malformed() {
        let digest = HashMap::from([("Digest".to_owned(), AttributeValue::S("abc".into()))]);
        assert!(matches!(parse_terraform_lock("b/k-md5", &digest), Ok(None)));
        let lease = HashMap::from([(TOKEN.to_owned(), AttributeValue::S("t".into()))]);
        assert!(matches!(
            parse_terraform_lock("b/k", &lease),
            Err(LockError::Malformed { .. })
        ));
    }
}
