//! The `SecretSource` contract: parameters (`String` and `SecureString`) read back decrypted,
//! a path returns every parameter under it across every page, secrets read back by name and
//! by ARN, and anything missing is `NotFound` naming it, never an empty value.

use std::sync::Arc;

use async_trait::async_trait;
use idp_core::ports::secret_source::{SecretSource, SecretSourceError};

/// Writes what the port only reads. Every test works under its own [`Seeder::root`], so tests
/// sharing one moto server never see each other's parameters.
#[async_trait]
pub(crate) trait Seeder: Send + Sync {
    /// A unique path prefix for this test, `/…/` (also used as a secret name prefix).
    fn root(&self) -> &str;
    /// Puts a parameter; `secure`: a `SecureString` (KMS-encrypted at rest on AWS).
    async fn parameter(&self, name: &str, value: &str, secure: bool);
    /// Creates a secret with a string value; returns its ARN.
    async fn secret(&self, name: &str, value: &str) -> String;
}

pub(crate) type Seed = Arc<dyn Seeder>;

fn assert_not_found(e: SecretSourceError, what: &str, name: &str) {
    match &e {
        SecretSourceError::NotFound { what: w, name: n } => {
            assert_eq!((*w, n.as_str()), (what, name));
            assert!(e.to_string().contains(name), "{e}");
        }
        other => panic!("expected NotFound for {name}, got {other:?}"),
    }
}

pub(crate) async fn string_and_secure_string_parameters_read_back_in_clear(
    s: Arc<dyn SecretSource>,
    seed: Seed,
) {
    let root = seed.root().to_owned();
    seed.parameter(&format!("{root}region"), "eu-west-1", false)
        .await;
    seed.parameter(&format!("{root}db-password"), "hunter2-secure", true)
        .await;
    let plain = s.parameter(&format!("{root}region")).await.unwrap();
    assert_eq!(plain.name, format!("{root}region"));
    assert_eq!(plain.value.expose(), "eu-west-1");
    let secure = s.parameter(&format!("{root}db-password")).await.unwrap();
    assert_eq!(secure.value.expose(), "hunter2-secure");
}

pub(crate) async fn a_missing_parameter_is_not_found_naming_it(
    s: Arc<dyn SecretSource>,
    seed: Seed,
) {
    let name = format!("{}nope", seed.root());
    assert_not_found(
        s.parameter(&name).await.unwrap_err(),
        "SSM parameter",
        &name,
    );
}

pub(crate) async fn a_path_returns_every_parameter_under_it_across_pages_sorted(
    s: Arc<dyn SecretSource>,
    seed: Seed,
) {
    let root = seed.root().to_owned();
    // More than one page (SSM returns at most 10 per page), nested paths, both types.
    let mut expected = Vec::new();
    for i in 0..13 {
        let name = if i % 3 == 0 {
            format!("{root}app/nested/p{i:02}")
        } else {
            format!("{root}app/p{i:02}")
        };
        seed.parameter(&name, &format!("v{i}"), i % 2 == 0).await;
        expected.push((name, format!("v{i}")));
    }
    // A sibling whose name starts like the path is not under it.
    seed.parameter(&format!("{root}apple"), "no", false).await;
    expected.sort();
    let found = s.parameters_by_path(&format!("{root}app/")).await.unwrap();
    let found: Vec<(String, String)> = found
        .into_iter()
        .map(|p| (p.name, p.value.expose().clone()))
        .collect();
    assert_eq!(found, expected);
}

pub(crate) async fn a_path_without_parameters_is_not_found(s: Arc<dyn SecretSource>, seed: Seed) {
    let path = format!("{}empty/", seed.root());
    assert_not_found(
        s.parameters_by_path(&path).await.unwrap_err(),
        "SSM path",
        &path,
    );
}

pub(crate) async fn a_json_secret_reads_back_whole_by_name_and_by_arn(
    s: Arc<dyn SecretSource>,
    seed: Seed,
) {
    let name = format!("{}db-creds", seed.root().trim_start_matches('/'));
    let json = r#"{"user":"app","pass-word":"s3cr3t-json"}"#;
    let arn = seed.secret(&name, json).await;
    let by_name = s.secret(&name).await.unwrap();
    assert_eq!(
        (by_name.name.as_str(), by_name.value.expose().as_str()),
        (name.as_str(), json)
    );
    let by_arn = s.secret(&arn).await.unwrap();
    assert_eq!(
        by_arn.name, name,
        "a secret read by ARN comes back with its name"
    );
    assert_eq!(by_arn.value.expose(), json);
}

pub(crate) async fn a_missing_secret_is_not_found_naming_it(s: Arc<dyn SecretSource>, seed: Seed) {
    let name = format!("{}missing", seed.root().trim_start_matches('/'));
    assert_not_found(s.secret(&name).await.unwrap_err(), "secret", &name);
}
