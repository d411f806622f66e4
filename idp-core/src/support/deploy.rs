//! Applying an environment: tfvars → provisioner apply → outputs → (a static site's upload and
//! cache invalidation) → status `active` (or `failed`), shared by `create` and `preview`.

use crate::domain::config::Config;
use crate::domain::layout::Region;
use crate::domain::lifecycle::{Metadata, Status};
use crate::domain::tfvars::{self, TfvarsInputs};
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::ports::provisioner::{Outputs, ProvisionError, ProvisionRequest};
use crate::ports::{SitePublish, SitePublished};
use crate::support::ingress;
use crate::support::state::{self, Versioned};

/// The provisioner request for `meta` with `config` (tfvars included), in the environment's
/// region with its state under the keys of its record ([`Metadata::keys`]).
pub(crate) fn request(
    platform: &Platform,
    meta: &Metadata,
    config: &Config,
) -> Result<ProvisionRequest> {
    build_request(platform, meta, config, true)
}

/// A request to observe or tear down `meta` (its state key, region and template): never
/// refused for want of a certificate, which only an apply needs.
pub(crate) fn observing_request(platform: &Platform, meta: &Metadata) -> Result<ProvisionRequest> {
    build_request(
        platform,
        meta,
        &Config {
            template: meta.template.clone(),
            use_shared_networking: meta
                .inputs
                .as_ref()
                .and_then(|i| i.use_shared_networking)
                .unwrap_or_default(),
            ..Config::default()
        },
        false,
    )
}

fn build_request(
    platform: &Platform,
    meta: &Metadata,
    config: &Config,
    applying: bool,
) -> Result<ProvisionRequest> {
    let settings = &platform.settings;
    let keys = state::keys(meta)?;
    let region = meta.region_or(&settings.region).to_owned();
    // An environment does not move: a config that now names another region is refused before
    // anything is applied, rather than applied where the environment is not.
    if let Some(wanted) = config.region.as_deref().filter(|r| *r != region) {
        return Err(Error::Refused {
            reason: "region_changed".to_owned(),
            message: format!(
                "environment `{}` runs in `{region}` and its config now names `{wanted}`: an environment does not move between regions; destroy it and create it again in `{wanted}`, or set `region: {region}`",
                meta.name
            ),
        });
    }
    // The shared preview VPC is one stack in the platform's region.
    if applying && config.use_shared_networking && region != settings.region {
        return Err(Error::Refused {
            reason: "shared_networking_in_region".to_owned(),
            message: format!(
                "environment `{}` is in `{region}`, and the shared preview network is in the platform's region `{}`: remove `use_shared_networking` for an environment in another region",
                meta.name, settings.region
            ),
        });
    }
    // So is the shared load balancer, on that VPC.
    if applying
        && region != settings.region
        && tfvars::uses_shared_ingress(config, &settings.platform_vars)
    {
        let fix = if config.use_shared_ingress {
            "remove `use_shared_ingress` from its config"
        } else {
            "unset `aws.useSharedIngress` (IDP_USE_SHARED_INGRESS), which serves every `api-service` and `api-database` through it"
        };
        return Err(Error::Refused {
            reason: "shared_ingress_in_region".to_owned(),
            message: format!(
                "environment `{}` is in `{region}`, and the shared load balancer is in the platform's region `{}`: {fix}",
                meta.name, settings.region
            ),
        });
    }
    let mut platform_vars = settings.platform_vars.clone();
    // ACM certificates are regional: the one in the environment's region (CloudFront's for a
    // static site), refused before anything is applied when the platform has none there.
    platform_vars.acm_certificate_arn = match tfvars::certificate_for(
        &platform_vars,
        &region,
        config.template.is_static_site(),
    ) {
        Ok(arn) => arn,
        Err(_) if !applying => String::new(),
        Err(regions) => {
            return Err(Error::Refused {
                reason: "no_certificate_in_region".to_owned(),
                message: format!(
                    "environment `{}` is in `{region}`, and the platform's certificates are in {}: add the preview domain's certificate in `{region}` to `aws.regionalCertificates` (IDP_REGIONAL_CERTIFICATES)",
                    meta.name,
                    regions
                        .iter()
                        .map(|r| format!("`{r}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    };
    if let Some(recorded) = &meta.inputs {
        // The certificate, zone and domain the environment was created with win over today's
        // settings: changing them under a running environment would break its host name.
        let pick = |recorded: &Option<String>, current: &mut String| {
            if let Some(value) = recorded {
                current.clone_from(value);
            }
        };
        pick(
            &recorded.acm_certificate_arn,
            &mut platform_vars.acm_certificate_arn,
        );
        pick(
            &recorded.route53_zone_id,
            &mut platform_vars.route53_zone_id,
        );
        pick(&recorded.preview_domain, &mut platform_vars.preview_domain);
    }
    let inputs = TfvarsInputs {
        owner: meta.owner.clone(),
        created_at: meta.created_at,
        expires_at: meta.expires_at,
        image: meta.image.clone(),
        aws_region: region.clone(),
        platform: platform_vars,
        repository: meta.repository.clone(),
        branch: meta.branch.clone(),
        listener_rule_priority: meta.listener_rule_priority,
    };
    let vars = tfvars::tfvars(config, &meta.name, &inputs);
    Ok(ProvisionRequest {
        env: meta.name.clone(),
        template: meta.template.clone(),
        region: Some(region),
        state_key: keys.state,
        tfvars: vars,
        local_command: config.local.command.clone(),
        health_check_path: config.health_check_path.clone(),
        env_vars: config.environment.clone(),
    })
}

/// The region `config` names, as a state-key segment (`None`: the platform's default).
pub(crate) fn region_of(config: &Config) -> Result<Option<Region>> {
    config
        .region
        .as_deref()
        .map(Region::parse)
        .transpose()
        .map_err(|e| Error::Refused {
            reason: "invalid_region".to_owned(),
            message: e.to_string(),
        })
}

/// A request for `meta` with the tfvars it was last applied with (from the state store),
/// else ones rebuilt from the metadata (its recorded inputs included) and defaults.
pub(crate) async fn stored_request(
    platform: &Platform,
    meta: &Metadata,
) -> Result<ProvisionRequest> {
    let mut req = observing_request(platform, meta)?;
    let stored = state::get_json(&*platform.backend.store, &state::keys(meta)?.tfvars).await?;
    if let Some(serde_json::Value::Object(vars)) = stored {
        req.tfvars = vars;
    }
    Ok(req)
}

/// `current` with a listener rule priority on the shared load balancer when `config` serves it
/// through it ([`tfvars::uses_shared_ingress`]) and it holds none yet: claimed in the state
/// store ([`ingress::claim`]) and recorded in its metadata (compare-and-swap), so every later
/// apply passes the same one. A claim whose recording fails is released again.
async fn with_listener_priority(
    platform: &Platform,
    current: Versioned,
    config: &Config,
) -> Result<Versioned> {
    if current.meta.listener_rule_priority.is_some()
        || !tfvars::uses_shared_ingress(config, &platform.settings.platform_vars)
    {
        return Ok(current);
    }
    let store = &*platform.backend.store;
    let name = current.meta.name.clone();
    let priority = ingress::claim(store, &name, platform.backend.clock.now()).await?;
    let recorded = state::update(store, &name, |meta| {
        if meta.listener_rule_priority == Some(priority) {
            return Ok(false);
        }
        meta.listener_rule_priority = Some(priority);
        Ok(true)
    })
    .await;
    match recorded {
        Ok(saved) => Ok(saved),
        Err(e) => {
            if let Err(release) = ingress::release(store, &name, priority).await {
                tracing::warn!(env = %name, priority, error = %release, "releasing an unrecorded listener priority failed");
            }
            Err(e)
        }
    }
}

/// Apply the environment and record the result. `current` must be in `provisioning` or
/// `updating` and the caller must hold its lease. A `static-site` then has its `site_dir`
/// published ([`publish_site`]) on every apply, first and redeploys alike. On failure (of the
/// apply or of the upload) the status becomes `failed` and the error is returned.
pub(crate) async fn apply(
    platform: &Platform,
    current: Versioned,
    config: &Config,
) -> Result<(Versioned, Outputs)> {
    let store = &*platform.backend.store;
    let current = with_listener_priority(platform, current, config).await?;
    let req = request(platform, &current.meta, config)?;
    let keys = state::keys(&current.meta)?;
    state::put_json(
        store,
        &keys.tfvars,
        &serde_json::Value::Object(req.tfvars.clone()),
    )
    .await?;
    let name = current.meta.name.clone();
    let applied = match platform.backend.provisioner.apply(&req).await {
        Ok(outputs) => publish_site(platform, &name, config, &outputs)
            .await
            .map(|_| outputs),
        Err(err) => Err(err),
    };
    match applied {
        Ok(outputs) => {
            state::put_json(store, &keys.outputs, &outputs_json(&outputs)).await?;
            let endpoint = outputs.endpoint().map(str::to_owned);
            let now = platform.backend.clock.now();
            let saved = state::update(store, &name, |meta| {
                meta.transition(Status::Active, now)?;
                meta.endpoint = endpoint.clone();
                meta.last_error = None;
                Ok(true)
            })
            .await?;
            Ok((saved, outputs))
        }
        Err(err) => {
            let now = platform.backend.clock.now();
            let detail = err.detail();
            let failed = state::update(store, &name, |meta| {
                meta.last_error = Some(detail.clone());
                if meta.status != Status::Failed {
                    meta.transition(Status::Failed, now)?;
                }
                Ok(true)
            })
            .await;
            if let Err(e) = failed {
                tracing::warn!(env = %name, error = %e, "recording the failed status failed");
            }
            Err(Error::Provision {
                name: name.to_string(),
                source: err,
            })
        }
    }
}

/// On a `static-site` whose outputs name its `bucket_name` and `distribution_id`, upload
/// `site_dir` to the bucket (a sync) and invalidate the distribution's cache, through the
/// deployer. `Ok(None)` for every other template, and for a static site on a backend whose
/// outputs name no bucket (the local runtime serves the site with `local.command` instead).
/// A failure names the step (`publish site_dir`), the call and the file.
pub(crate) async fn publish_site(
    platform: &Platform,
    name: &crate::domain::naming::EnvName,
    config: &Config,
    outputs: &Outputs,
) -> std::result::Result<Option<SitePublished>, ProvisionError> {
    if !config.template.is_static_site() {
        return Ok(None);
    }
    let text = |key: &str| {
        outputs
            .get(key)
            .and_then(serde_json::Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (Some(bucket), Some(distribution_id)) = (text("bucket_name"), text("distribution_id"))
    else {
        return Ok(None);
    };
    let site = SitePublish {
        env: name.clone(),
        dir: std::path::PathBuf::from(config.site_dir()),
        bucket,
        distribution_id,
    };
    match platform.backend.deployer.publish_site(&site).await {
        Ok(published) => {
            tracing::info!(
                env = %name,
                site_dir = config.site_dir(),
                bucket = %site.bucket,
                uploaded = published.uploaded,
                deleted = published.deleted,
                invalidation = %published.invalidation_id,
                "published the site"
            );
            Ok(Some(published))
        }
        Err(e) => Err(ProvisionError::Backend {
            backend: "publish site_dir",
            source: format!("`{}`: {e}", config.site_dir()).into(),
        }),
    }
}

/// On templates that run an ECS service, force a new deployment so that an unchanged image
/// tag (e.g. `nginx:alpine`) is still pulled again; a changed tag already rolls the service
/// through the apply. Failures are logged, not fatal: the apply itself succeeded.
pub(crate) async fn force_redeploy(platform: &Platform, outputs: &Outputs) {
    let (Some(cluster), Some(service)) = (
        outputs
            .get("cluster_name")
            .and_then(serde_json::Value::as_str),
        outputs
            .get("service_name")
            .and_then(serde_json::Value::as_str),
    ) else {
        return;
    };
    if let Err(e) = platform
        .backend
        .deployer
        .force_new_deployment(cluster, service)
        .await
    {
        tracing::warn!(cluster, service, error = %e, "forcing a new deployment failed");
    }
}

/// Outputs as a JSON object (sensitive values are already masked by the provisioner).
pub(crate) fn outputs_json(outputs: &Outputs) -> serde_json::Value {
    serde_json::to_value(outputs).unwrap_or_default()
}
