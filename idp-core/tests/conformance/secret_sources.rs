//! The secret source suite on every adapter: memory, and SSM + Secrets Manager on moto. The
//! local backend has no secret source (`NoSecretSource`), so it is not here.

use std::sync::Arc;

use async_trait::async_trait;
use idp_core::adapters::memory::MemorySecrets;
use idp_core::ports::secret_source::SecretSource;

use crate::suites::secret_source::{Seed, Seeder};

/// `secrets_conformance!(adapter => factory; rules…)`: one test per rule, named
/// `secret_source::<adapter>::<rule>`; `factory` returns `Option<(port, seed)>` (`None`:
/// skipped outside CI, after a loud line).
macro_rules! secrets_conformance {
    ($($(#[$meta:meta])* $adapter:ident => $factory:path),* ; $rules:tt) => {
        $( secrets_conformance!(@adapter [$(#[$meta])*], $adapter, $factory, $rules); )*
    };
    (@adapter [$(#[$meta:meta])*], $adapter:ident, $factory:path, [$($test:ident),* $(,)?]) => {
        $(#[$meta])*
        mod $adapter {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some((port, seed)) = $factory().await else { return };
                    $crate::suites::secret_source::$test(port, seed).await;
                }
            )*
        }
    };
}

fn root() -> String {
    format!("/idp-test-{}/", uuid::Uuid::new_v4().simple())
}

struct MemorySeed {
    secrets: Arc<MemorySecrets>,
    root: String,
}

#[async_trait]
impl Seeder for MemorySeed {
    fn root(&self) -> &str {
        &self.root
    }

    async fn parameter(&self, name: &str, value: &str, _secure: bool) {
        self.secrets.put_parameter(name, value);
    }

    async fn secret(&self, name: &str, value: &str) -> String {
        self.secrets.put_secret(name, value)
    }
}

pub(crate) async fn memory() -> Option<(Arc<dyn SecretSource>, Seed)> {
    let secrets = Arc::new(MemorySecrets::new());
    Some((
        secrets.clone(),
        Arc::new(MemorySeed {
            secrets,
            root: root(),
        }),
    ))
}

#[cfg(feature = "aws")]
struct MotoSeed {
    ssm: aws_sdk_ssm::Client,
    secrets: aws_sdk_secretsmanager::Client,
    root: String,
}

#[cfg(feature = "aws")]
#[async_trait]
impl Seeder for MotoSeed {
    fn root(&self) -> &str {
        &self.root
    }

    async fn parameter(&self, name: &str, value: &str, secure: bool) {
        let kind = if secure {
            aws_sdk_ssm::types::ParameterType::SecureString
        } else {
            aws_sdk_ssm::types::ParameterType::String
        };
        self.ssm
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(kind)
            .send()
            .await
            .unwrap();
    }

    async fn secret(&self, name: &str, value: &str) -> String {
        let created = self
            .secrets
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .unwrap();
        created.arn().unwrap_or_default().to_owned()
    }
}

#[cfg(feature = "aws")]
pub(crate) async fn moto() -> Option<(Arc<dyn SecretSource>, Seed)> {
    let moto = idp_test_support::moto::Moto::new(&crate::moto::endpoint()?).await;
    let ssm = aws_sdk_ssm::Client::from_conf(
        aws_sdk_ssm::config::Builder::from(&moto.sdk)
            .interceptor(moto.account.clone())
            .build(),
    );
    let secrets = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&moto.sdk)
            .interceptor(moto.account.clone())
            .build(),
    );
    let port = idp_core::adapters::aws::AwsSecrets::new(ssm.clone(), secrets.clone());
    Some((
        Arc::new(port),
        Arc::new(MotoSeed {
            ssm,
            secrets,
            root: root(),
        }),
    ))
}

mod secret_source {
    secrets_conformance!(
        memory => crate::secret_sources::memory,
        #[cfg(feature = "aws")]
        moto => crate::secret_sources::moto;
        [string_and_secure_string_parameters_read_back_in_clear,
        a_missing_parameter_is_not_found_naming_it,
        a_path_returns_every_parameter_under_it_across_pages_sorted,
        a_path_without_parameters_is_not_found,
        a_json_secret_reads_back_whole_by_name_and_by_arn,
        a_missing_secret_is_not_found_naming_it,
    ]);
}
