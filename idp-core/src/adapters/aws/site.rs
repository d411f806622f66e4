//! Publishing a static site on S3 and CloudFront, for [`Deployer::publish_site`]: the build
//! output put object by object with its content type, the objects of removed files deleted
//! (`ListObjectsV2`, `DeleteObject`), then one `CreateInvalidation` of `/*`.
//!
//! [`Deployer::publish_site`]: crate::ports::Deployer::publish_site

use std::collections::BTreeSet;

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::adapters::model::site;
use crate::ports::{DeployError, SitePublish, SitePublished};

/// The S3 and CloudFront clients a site is published with.
#[derive(Debug, Clone)]
pub struct SitePublisher {
    s3: aws_sdk_s3::Client,
    cloudfront: aws_sdk_cloudfront::Client,
}

/// The service's code and message, else the HTTP status, else the SDK's whole account.
fn summary<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match (err.code(), err.message(), err.raw_response()) {
        (Some(code), Some(message), _) => format!("{code}: {message}"),
        (Some(code), None, _) => code.to_owned(),
        (None, _, Some(raw)) => match raw.status().as_u16() {
            403 => "HTTP 403 (access denied: check the credentials and the bucket's policy, which admits TLS requests only)".to_owned(),
            status => format!("HTTP {status}"),
        },
        (None, _, None) => DisplayErrorContext(err).to_string(),
    }
}

fn failed<E>(
    call: &'static str,
    path: String,
) -> impl FnOnce(SdkError<E, HttpResponse>) -> DeployError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |e| DeployError::Site {
        call,
        path,
        source: summary(&e).into(),
    }
}

fn invalid(
    call: &'static str,
    path: String,
) -> impl FnOnce(aws_sdk_cloudfront::error::BuildError) -> DeployError {
    move |e| DeployError::Site {
        call,
        path,
        source: e.into(),
    }
}

impl SitePublisher {
    /// A publisher reaching S3 and CloudFront through these clients.
    pub fn new(s3: aws_sdk_s3::Client, cloudfront: aws_sdk_cloudfront::Client) -> Self {
        Self { s3, cloudfront }
    }

    /// Every object key of `bucket`.
    async fn keys(&self, bucket: &str) -> Result<BTreeSet<String>, DeployError> {
        let mut keys = BTreeSet::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(failed("ListObjectsV2", format!("s3://{bucket}/")))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => return Ok(keys),
            }
        }
    }

    /// See [`crate::ports::Deployer::publish_site`].
    pub async fn publish(&self, site: &SitePublish) -> Result<SitePublished, DeployError> {
        let files = site::files(&site.dir)?;
        let bucket = &site.bucket;
        let before = self.keys(bucket).await?;
        for file in &files {
            let body = file.read()?;
            self.s3
                .put_object()
                .bucket(bucket)
                .key(&file.key)
                .content_type(&file.content_type)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(failed("PutObject", file.path.display().to_string()))?;
        }
        let now: BTreeSet<&str> = files.iter().map(|f| f.key.as_str()).collect();
        let mut deleted = 0u32;
        for key in before.iter().filter(|k| !now.contains(k.as_str())) {
            self.s3
                .delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(failed("DeleteObject", format!("s3://{bucket}/{key}")))?;
            deleted += 1;
        }
        let paths = Paths::builder()
            .quantity(1)
            .items("/*")
            .build()
            .map_err(invalid("CreateInvalidation", site.distribution_id.clone()))?;
        let batch = InvalidationBatch::builder()
            .paths(paths)
            .caller_reference(format!(
                "idp-{}-{}",
                site.env,
                uuid::Uuid::new_v4().simple()
            ))
            .build()
            .map_err(invalid("CreateInvalidation", site.distribution_id.clone()))?;
        let answer = self
            .cloudfront
            .create_invalidation()
            .distribution_id(&site.distribution_id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(failed(
                "CreateInvalidation",
                format!("distribution {}", site.distribution_id),
            ))?;
        Ok(SitePublished {
            uploaded: u32::try_from(files.len()).unwrap_or(u32::MAX),
            deleted,
            invalidation_id: answer
                .invalidation()
                .map(|i| i.id().to_owned())
                .unwrap_or_default(),
        })
    }
}
