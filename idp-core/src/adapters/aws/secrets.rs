//! The [`SecretSource`] on AWS: SSM Parameter Store (`GetParameter`, `GetParametersByPath`,
//! both with decryption) and Secrets Manager (`GetSecretValue`).

use async_trait::async_trait;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_sdk_ssm::operation::get_parameter::GetParameterError;

use super::error::Failure;
use crate::ports::secret_source::{SecretSource, SecretSourceError, SourcedValue};
use crate::secret::Secret;

/// The most parameters one `GetParametersByPath` page returns (SSM's limit).
const PAGE: i32 = 10;

/// A [`SecretSource`] reading SSM and Secrets Manager in the account and region of its clients.
#[derive(Debug, Clone)]
pub struct AwsSecrets {
    ssm: aws_sdk_ssm::Client,
    secrets: aws_sdk_secretsmanager::Client,
}

impl AwsSecrets {
    /// A source reaching SSM and Secrets Manager through these clients.
    pub fn new(ssm: aws_sdk_ssm::Client, secrets: aws_sdk_secretsmanager::Client) -> Self {
        Self { ssm, secrets }
    }
}

fn parameter_value(
    parameter: &aws_sdk_ssm::types::Parameter,
    asked: &str,
) -> Result<SourcedValue, SecretSourceError> {
    match (parameter.name(), parameter.value()) {
        (Some(name), Some(value)) => Ok(SourcedValue {
            name: name.to_owned(),
            value: Secret::new(value.to_owned()),
        }),
        _ => Err(SecretSourceError::Unsupported {
            what: "SSM parameter",
            name: asked.to_owned(),
            reason: "SSM answered without its name or value".into(),
        }),
    }
}

#[async_trait]
impl SecretSource for AwsSecrets {
    async fn parameter(&self, name: &str) -> Result<SourcedValue, SecretSourceError> {
        let answer = self
            .ssm
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| {
                if matches!(
                    e.as_service_error(),
                    Some(GetParameterError::ParameterNotFound(_))
                ) {
                    SecretSourceError::NotFound {
                        what: "SSM parameter",
                        name: name.to_owned(),
                    }
                } else {
                    Failure::new(e, "GetParameter", name).into_secret_source("ssm")
                }
            })?;
        match answer.parameter() {
            Some(parameter) => parameter_value(parameter, name),
            None => Err(SecretSourceError::NotFound {
                what: "SSM parameter",
                name: name.to_owned(),
            }),
        }
    }

    async fn parameters_by_path(&self, path: &str) -> Result<Vec<SourcedValue>, SecretSourceError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .ssm
                .get_parameters_by_path()
                .path(path)
                .recursive(true)
                .with_decryption(true)
                .max_results(PAGE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    Failure::new(e, "GetParametersByPath", path).into_secret_source("ssm")
                })?;
            for parameter in page.parameters() {
                found.push(parameter_value(parameter, path)?);
            }
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        if found.is_empty() {
            return Err(SecretSourceError::NotFound {
                what: "SSM path",
                name: path.to_owned(),
            });
        }
        found.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(found)
    }

    async fn secret(&self, id: &str) -> Result<SourcedValue, SecretSourceError> {
        let answer = self
            .secrets
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| {
                if matches!(
                    e.as_service_error(),
                    Some(GetSecretValueError::ResourceNotFoundException(_))
                ) {
                    SecretSourceError::NotFound {
                        what: "secret",
                        name: id.to_owned(),
                    }
                } else {
                    Failure::new(e, "GetSecretValue", id).into_secret_source("secretsmanager")
                }
            })?;
        let name = answer.name().unwrap_or(id).to_owned();
        match answer.secret_string() {
            Some(value) => Ok(SourcedValue {
                name,
                value: Secret::new(value.to_owned()),
            }),
            None => Err(SecretSourceError::Unsupported {
                what: "secret",
                name: id.to_owned(),
                reason: "it has a binary value; store it as a string (base64) to use it in an order's environment".into(),
            }),
        }
    }
}
