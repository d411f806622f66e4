//! SDK errors → port errors, in one place for every AWS adapter.
//!
//! Each adapter first picks out the outcomes its port names (a missing key, a failed condition,
//! a held lock) from the service error codes of its own calls. Everything else comes here: it is
//! classified as retryable (throttling, 5xx, timeouts, dropped connections) or not, and the SDK
//! error is kept whole as the `source` of the port error, under an [`AwsCallError`] that names the
//! call and the resource, so that no detail of the chain (code, message, request id, I/O cause) is
//! lost.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::ports::budgets::BudgetError;
use crate::ports::{
    BillingError, BoxError, DeployError, LockError, LogError, RegistryError, StoreError,
};

/// Error codes AWS services answer when a caller is throttled or a request timed out server-side;
/// the SDK retries them too, so seeing one here means the retries ran out.
const RETRYABLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "TransactionInProgressException",
];

/// One SDK call that failed: which call, on what, and the SDK's error as `source`.
#[derive(Debug, thiserror::Error)]
#[error("`{operation}` on `{resource}` failed: {summary}")]
pub(crate) struct AwsCallError {
    operation: &'static str,
    resource: String,
    summary: String,
    #[source]
    source: BoxError,
}

/// An SDK error, classified and wrapped, ready to become any port's error.
#[derive(Debug)]
pub(crate) struct Failure {
    /// `Some(retryable)` when the service could not be reached or refused for now.
    unavailable: Option<bool>,
    error: AwsCallError,
}

impl Failure {
    /// Classifies `err` from the call `operation` on `resource` (a bucket/key, table/key, ...).
    pub(crate) fn new<E>(
        err: SdkError<E, HttpResponse>,
        operation: &'static str,
        resource: impl Into<String>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = status(&err);
        let summary = match (&err, err.code(), err.message()) {
            (_, Some(code), Some(message)) => format!("{code}: {message}"),
            (_, Some(code), None) => code.to_owned(),
            (SdkError::ServiceError(_) | SdkError::ResponseError(_), None, _) => {
                format!(
                    "{err} (HTTP {})",
                    status.map_or_else(|| "status unknown".to_owned(), |s| s.to_string())
                )
            }
            (_, None, _) => err.to_string(),
        };
        let summary = match hint(&err) {
            Some(hint) => format!("{summary}; {hint}"),
            None => summary,
        };
        let unavailable = match &err {
            SdkError::TimeoutError(_) => Some(true),
            // I/O errors, connect and read timeouts; a "user" dispatch error is a request the
            // client itself could not send, which no retry fixes.
            SdkError::DispatchFailure(failure) => Some(!failure.is_user()),
            SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
                let retryable_code = err
                    .code()
                    .is_some_and(|code| RETRYABLE_CODES.contains(&code));
                let retryable_status = status.is_some_and(|s| s >= 500 || s == 429);
                (retryable_code || retryable_status).then_some(true)
            }
            _ => None,
        };
        let error = AwsCallError {
            operation,
            resource: resource.into(),
            summary,
            source: Box::new(err),
        };
        Self { unavailable, error }
    }

    /// The same failure, marked retryable whatever its class (for answers that mean "try again"
    /// only in the context of one call, such as S3's 409 on a conditional put).
    pub(crate) fn retryable(mut self) -> Self {
        self.unavailable = Some(true);
        self
    }

    /// Whether the call may succeed if retried unchanged.
    #[cfg(test)]
    pub(crate) fn is_retryable(&self) -> bool {
        self.unavailable == Some(true)
    }

    /// As an object store error of `backend`.
    pub(crate) fn into_store(self, backend: &'static str) -> StoreError {
        let source: BoxError = Box::new(self.error);
        match self.unavailable {
            Some(retryable) => StoreError::Unavailable {
                backend,
                retryable,
                source,
            },
            None => StoreError::Backend { backend, source },
        }
    }

    /// As a lock table error of `backend`.
    pub(crate) fn into_lock(self, backend: &'static str) -> LockError {
        let source: BoxError = Box::new(self.error);
        match self.unavailable {
            Some(retryable) => LockError::Unavailable {
                backend,
                retryable,
                source,
            },
            None => LockError::Backend { backend, source },
        }
    }

    /// As a deployer error of `backend`.
    pub(crate) fn into_deploy(self, backend: &'static str) -> DeployError {
        let source: BoxError = Box::new(self.error);
        match self.unavailable {
            Some(retryable) => DeployError::Unavailable {
                backend,
                retryable,
                source,
            },
            None => DeployError::Backend { backend, source },
        }
    }

    /// As a log source error of `backend`.
    pub(crate) fn into_log(self, backend: &'static str) -> LogError {
        let source: BoxError = Box::new(self.error);
        match self.unavailable {
            Some(retryable) => LogError::Unavailable {
                backend,
                retryable,
                source,
            },
            None => LogError::Backend { backend, source },
        }
    }

    /// As a budgets error of `backend`.
    pub(crate) fn into_budgets(self, backend: &'static str) -> BudgetError {
        let source: BoxError = Box::new(self.error);
        match self.unavailable {
            Some(retryable) => BudgetError::Unavailable {
                backend,
                retryable,
                source,
            },
            None => BudgetError::Backend { backend, source },
        }
    }

    /// As a secret source error of `backend`.
    pub(crate) fn into_secret_source(
        self,
        backend: &'static str,
    ) -> crate::ports::secret_source::SecretSourceError {
        use crate::ports::secret_source::SecretSourceError;
        let source: BoxError = Box::new(self.error);
        match self.unavailable {
            Some(retryable) => SecretSourceError::Unavailable {
                backend,
                retryable,
                source,
            },
            None => SecretSourceError::Backend { backend, source },
        }
    }

    /// As an image registry error of `backend`.
    pub(crate) fn into_registry(self, backend: &'static str) -> RegistryError {
        let source: BoxError = Box::new(self.error);
        match self.unavailable {
            Some(retryable) => RegistryError::Unavailable {
                backend,
                retryable,
                source,
            },
            None => RegistryError::Backend { backend, source },
        }
    }
}

impl Failure {
    /// As a billing error of `backend`.
    pub(crate) fn into_billing(self, backend: &'static str) -> BillingError {
        let source: BoxError = Box::new(self.error);
        match self.unavailable {
            Some(retryable) => BillingError::Unavailable {
                backend,
                retryable,
                source,
            },
            None => BillingError::Backend { backend, source },
        }
    }
}

/// How to fix the common causes, by error code (or the lack of an answer).
fn hint<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&'static str> {
    if let SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) = err {
        return Some("check the network and the endpoint (`endpoint_url`, `AWS_ENDPOINT_URL`)");
    }
    Some(match err.code()? {
        "NoSuchBucket" => {
            "create the state bucket or fix `state_bucket` in the AWS backend configuration"
        }
        "ResourceNotFoundException" => {
            "the resource does not exist: for the lock table, create it with partition key `LockID` (string)"
        }
        "AccessDenied" | "AccessDeniedException" => {
            "grant the caller's IAM role this action on this resource"
        }
        "InvalidAccessKeyId"
        | "UnrecognizedClientException"
        | "SignatureDoesNotMatch"
        | "InvalidClientTokenId" => {
            "check the AWS credentials (`AWS_PROFILE`, `AWS_ACCESS_KEY_ID`, or the OIDC role)"
        }
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
            "the AWS credentials expired; log in again"
        }
        "PermanentRedirect" | "AuthorizationHeaderMalformed" => {
            "the bucket is in another region: fix `region`"
        }
        _ => return None,
    })
}

/// The HTTP status of the answer, if one came.
pub(crate) fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response()
        .map(|response| response.status().as_u16())
}

/// An error the adapter itself found in an answer that came back successfully (a missing field).
#[derive(Debug, thiserror::Error)]
#[error("`{operation}` on `{resource}` returned an unexpected answer: {problem}")]
pub(crate) struct UnexpectedAnswer {
    pub(crate) operation: &'static str,
    pub(crate) resource: String,
    pub(crate) problem: String,
}

impl UnexpectedAnswer {
    /// A boxed error for a port error's `source`.
    pub(crate) fn boxed(
        operation: &'static str,
        resource: impl Into<String>,
        problem: impl Into<String>,
    ) -> BoxError {
        Box::new(Self {
            operation,
            resource: resource.into(),
            problem: problem.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use aws_sdk_s3::operation::put_object::PutObjectError;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;
    use aws_smithy_types::error::display::DisplayErrorContext;

    use super::*;

    fn service_error(code: &str, status: u16) -> SdkError<PutObjectError, HttpResponse> {
        let err = PutObjectError::generic(
            ErrorMetadata::builder()
                .code(code)
                .message("said the service")
                .build(),
        );
        let status = status
            .try_into()
            .map_err(|_| "status")
            .unwrap_or_else(|_| panic!("status {status}"));
        SdkError::service_error(err, HttpResponse::new(status, SdkBody::empty()))
    }

    #[test]
    fn throttling_and_5xx_are_retryable() {
        assert!(Failure::new(service_error("SlowDown", 503), "PutObject", "b/k").is_retryable());
        assert!(
            Failure::new(service_error("ThrottlingException", 400), "PutItem", "t/k")
                .is_retryable()
        );
        assert!(Failure::new(service_error("Whatever", 500), "PutObject", "b/k").is_retryable());
        let timeout: SdkError<PutObjectError, HttpResponse> = SdkError::timeout_error("too slow");
        assert!(Failure::new(timeout, "PutObject", "b/k").is_retryable());
    }

    #[test]
    fn permission_errors_are_backend_errors_not_retryable() {
        let failure = Failure::new(service_error("AccessDenied", 403), "PutObject", "b/k");
        assert!(!failure.is_retryable());
        assert!(matches!(
            failure.into_store("s3"),
            StoreError::Backend { backend: "s3", .. }
        ));
    }

    #[test]
    fn the_port_error_keeps_the_call_code_message_and_sdk_chain() {
        let err = Failure::new(service_error("SlowDown", 503), "PutObject", "bucket/key")
            .into_store("s3");
        assert!(err.is_retryable());
        let call = err.source().map(ToString::to_string);
        assert_eq!(
            call.as_deref(),
            Some("`PutObject` on `bucket/key` failed: SlowDown: said the service")
        );
        let sdk = err
            .source()
            .and_then(|call| call.source())
            .map(|sdk| DisplayErrorContext(sdk).to_string());
        assert!(
            sdk.is_some_and(|chain| chain.contains("service error") && chain.contains("SlowDown"))
        );
    }

    #[test]
    fn common_causes_come_with_a_fix() {
        let err = Failure::new(service_error("NoSuchBucket", 404), "GetObject", "s3://b/k")
            .into_store("s3");
        let call = err.source().map(ToString::to_string).unwrap_or_default();
        assert!(call.ends_with("said the service; create the state bucket or fix `state_bucket` in the AWS backend configuration"), "{call}");
    }
}
