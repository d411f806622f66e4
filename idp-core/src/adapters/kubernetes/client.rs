//! Opening a [`kube::Client`]: from the kubeconfig or the pod's service account, or for an
//! explicit API server URL.

use kube::{Client, Config};

/// Why no client could be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Neither a kubeconfig (`KUBECONFIG`, `~/.kube/config`) nor the in-cluster service
    /// account was found or readable.
    #[error(
        "no Kubernetes configuration found: {source}; set `KUBECONFIG` (or write `~/.kube/config`, e.g. with `aws eks update-kubeconfig`), or run idp in a pod with a service account"
    )]
    Infer {
        /// What kube reported.
        #[source]
        source: kube::config::InferConfigError,
    },
    /// The API server URL does not parse.
    #[error("`{url}` is not a Kubernetes API server URL: {source}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it does not parse.
        #[source]
        source: http::uri::InvalidUri,
    },
    /// The client could not be built from the configuration (a bad certificate, TLS setup).
    #[error("cannot open a Kubernetes client: {source}")]
    Build {
        /// What kube reported.
        #[source]
        source: kube::Error,
    },
}

/// A client from the environment as `kubectl` finds it: the kubeconfig named by `KUBECONFIG`
/// or `~/.kube/config` (its current context), else the service account of the pod idp runs in.
pub async fn infer() -> Result<Client, ClientError> {
    let config = Config::infer()
        .await
        .map_err(|source| ClientError::Infer { source })?;
    from_config(config)
}

/// A client for the API server at `url` (`https://…`, or `http://127.0.0.1:…` for a local
/// stand-in), without credentials and with the system's trust roots.
pub fn for_url(url: &str) -> Result<Client, ClientError> {
    let uri = url.parse().map_err(|source| ClientError::InvalidUrl {
        url: url.escape_debug().to_string(),
        source,
    })?;
    from_config(Config::new(uri))
}

/// A client from `config`.
pub fn from_config(config: Config) -> Result<Client, ClientError> {
    Client::try_from(config).map_err(|source| ClientError::Build { source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_url_that_does_not_parse_is_named() {
        let Err(error) = for_url("not a url\n") else {
            panic!("refused");
        };
        assert!(
            error
                .to_string()
                .starts_with("`not a url\\n` is not a Kubernetes API server URL"),
            "{error}"
        );
        for_url("http://127.0.0.1:6443").expect("a loopback URL");
    }
}
