//! Environments in a region of their own, on every backend: the provider, the state keys and
//! the certificate follow the region; the name stays unique across regions; records written
//! before environments had regional keys keep theirs.

use bytes::Bytes;
use chrono::TimeDelta;
use idp_core::adapters::memory::ProvisionOp;
use idp_core::domain::config::Config;
use idp_core::domain::layout;
use idp_core::domain::lifecycle::Status;
use idp_core::domain::ttl::Ttl;
use idp_core::environments::create::{self, CreateRequest, Source};
use idp_core::environments::destroy::{self, DestroyRequest};
use idp_core::environments::extend::{self, ExtendRequest};
use idp_core::environments::list::{self, ListRequest};
use idp_core::environments::status;
use idp_core::error::{Error, ErrorKind};
use idp_core::platform::Platform;
use idp_core::ports::PutMode;
use idp_core::support::state;

use crate::support::*;

const US: &str = "arn:aws:acm:us-east-1:123456789012:certificate/aaaa-1111";
const EU: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/bbbb-2222";

fn in_region(n: &str, region: Option<&str>) -> CreateRequest {
    let mut config = Config::default();
    if let Some(region) = region {
        create::in_region(&mut config, region).unwrap();
    }
    CreateRequest {
        name: name(n),
        config,
        ttl: Some(Ttl::parse("1d").unwrap()),
        owner: Some("dev@example.com".into()),
        image: None,
        source: Source::default(),
        budget_override: None,
    }
}

/// The platform of `f` with certificates in us-east-1 (its region) and eu-west-1.
fn with_certificates(f: &Fixture) -> Platform {
    let mut settings = f.platform.settings.clone();
    settings.platform_vars.acm_certificate_arn = US.to_owned();
    settings.platform_vars.regional_certificates = vec![EU.to_owned()];
    f.platform.clone().with_settings(settings)
}

async fn keys_under(p: &Platform, n: &str) -> Vec<String> {
    let mut keys: Vec<String> = p
        .backend
        .store
        .list_all(&layout::env_prefix(&name(n)))
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    keys.sort();
    keys
}

pub(crate) async fn an_environment_in_a_second_region_lists_extends_and_destroys(f: &Fixture) {
    let p = &with_certificates(f);
    create::create(p, in_region("home", None)).await.unwrap();
    let created = create::create(p, in_region("abroad", Some("eu-west-1")))
        .await
        .unwrap();
    let meta = created.environment.unwrap();
    assert_eq!(meta.region.as_deref(), Some("eu-west-1"));
    assert!(meta.region_scoped);

    // The provider's region, the state key and the certificate follow the region.
    let applied = f
        .provisioner
        .calls()
        .into_iter()
        .find(|c| c.op == ProvisionOp::Apply && c.request.env == name("abroad"))
        .unwrap()
        .request;
    assert_eq!(applied.region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        applied.state_key,
        "environments/abroad/eu-west-1/terraform.tfstate"
    );
    assert_eq!(applied.tfvars["aws_region"], "eu-west-1");
    assert_eq!(applied.tfvars["acm_certificate_arn"], EU);
    let home = f
        .provisioner
        .calls()
        .into_iter()
        .find(|c| c.op == ProvisionOp::Apply && c.request.env == name("home"))
        .unwrap()
        .request;
    assert_eq!(home.state_key, "environments/home/terraform.tfstate");
    assert_eq!(home.tfvars["acm_certificate_arn"], US);
    // One record per name, at the flat key; the rest under the region.
    assert_eq!(
        keys_under(p, "abroad").await,
        vec![
            "environments/abroad/eu-west-1/outputs.json",
            "environments/abroad/eu-west-1/tfvars.json",
            "environments/abroad/metadata.json",
        ]
    );

    // `list` and `status` name every environment's region, the default one included.
    let listed = list::list(p, ListRequest::default()).await.unwrap();
    let regions: Vec<(&str, Option<&str>)> = listed
        .environments
        .iter()
        .map(|m| (m.name.as_str(), m.region.as_deref()))
        .collect();
    assert_eq!(
        regions,
        vec![("abroad", Some("eu-west-1")), ("home", Some("us-east-1"))]
    );
    let st = status::status(p, &name("abroad")).await.unwrap();
    assert_eq!(st.environment.region.as_deref(), Some("eu-west-1"));

    // An extend re-applies (the expiry tags follow it) in the region, at the regional key.
    f.provisioner.set_tags_follow_expiry(true);
    f.advance(TimeDelta::hours(1));
    extend::extend(
        p,
        ExtendRequest {
            name: name("abroad"),
            ttl: Ttl::parse("1d").unwrap(),
        },
    )
    .await
    .unwrap();
    let applies: Vec<_> = f
        .provisioner
        .calls()
        .into_iter()
        .filter(|c| c.op == ProvisionOp::Apply && c.request.env == name("abroad"))
        .collect();
    assert_eq!(applies.len(), 2, "the create and the extend");
    let reapplied = applies[1].request.clone();
    assert_eq!(
        reapplied.state_key,
        "environments/abroad/eu-west-1/terraform.tfstate"
    );
    assert_eq!(reapplied.tfvars["aws_region"], "eu-west-1");

    let destroyed = destroy::destroy(p, DestroyRequest::new(name("abroad")))
        .await
        .unwrap();
    assert_eq!(destroyed.environment.unwrap().status, Status::Destroyed);
    let torn_down = f
        .provisioner
        .calls()
        .into_iter()
        .find(|c| c.op == ProvisionOp::Destroy)
        .unwrap()
        .request;
    assert_eq!(
        torn_down.state_key,
        "environments/abroad/eu-west-1/terraform.tfstate"
    );
    assert_eq!(torn_down.region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        keys_under(p, "abroad").await,
        vec!["environments/abroad/metadata.json"],
        "only the tombstone is left"
    );
}

pub(crate) async fn a_name_is_unique_across_regions(f: &Fixture) {
    let p = &with_certificates(f);
    create::create(p, in_region("shared", Some("eu-west-1")))
        .await
        .unwrap();
    for other in [None, Some("us-east-1"), Some("eu-west-1")] {
        let err = create::create(p, in_region("shared", other))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyExists { region, .. } if region == "eu-west-1"),
            "{err}"
        );
        assert_eq!(err.kind(), ErrorKind::Conflict);
    }
    assert_eq!(f.provisioner.envs_called(ProvisionOp::Apply).len(), 1);
}

pub(crate) async fn a_region_without_a_certificate_is_refused_before_anything_is_written(
    f: &Fixture,
) {
    let p = &with_certificates(f);
    let err = create::create(p, in_region("far", Some("ap-south-1")))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`ap-south-1`")
            && text.contains("`us-east-1`, `eu-west-1`")
            && text.contains("aws.regionalCertificates"),
        "{text}"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(keys_under(p, "far").await.is_empty(), "nothing written");
    assert!(f.provisioner.calls().is_empty(), "nothing applied");

    // Without any certificate, any region serves plain HTTP.
    create::create(&f.platform, in_region("far", Some("ap-south-1")))
        .await
        .unwrap();
    // An invalid region from a request is refused with the fix.
    let mut config = Config::default();
    let err = create::in_region(&mut config, "mars-1; rm -rf /").unwrap_err();
    assert!(err.to_string().contains("such as `us-east-1`"), "{err}");
    assert_eq!(config.region, None);
}

pub(crate) async fn shared_networking_in_another_region_is_refused(f: &Fixture) {
    let mut req = in_region("netless", Some("eu-west-1"));
    req.config.use_shared_networking = true;
    let err = create::create(&f.platform, req).await.unwrap_err();
    assert!(err.to_string().contains("shared preview network"), "{err}");
    assert!(keys_under(&f.platform, "netless").await.is_empty());
}

pub(crate) async fn shared_ingress_in_another_region_is_refused_before_a_priority_is_claimed(
    f: &Fixture,
) {
    let mut req = in_region("albless", Some("eu-west-1"));
    req.config.template = idp_core::domain::template::TemplateName::new("api-service").unwrap();
    req.config.use_shared_ingress = true;
    let err = create::create(&f.platform, req).await.unwrap_err();
    assert!(err.to_string().contains("shared load balancer"), "{err}");
    assert!(
        err.to_string().contains("remove `use_shared_ingress`"),
        "{err}"
    );
    assert!(keys_under(&f.platform, "albless").await.is_empty());
    let claims = f
        .platform
        .backend
        .store
        .list_all(idp_core::domain::ingress::CLAIMS_PREFIX)
        .await
        .unwrap();
    assert!(claims.is_empty(), "{claims:?}");
}

/// Records as the previous version wrote them: one without a region, and one with a region but
/// its state at the flat keys (regions had no keys of their own yet).
const BEFORE: [(&str, &str); 2] = [
    (
        "old-home",
        r#"{"schema":1,"name":"old-home","template":"api-service","status":"active","status_changed_at":"2026-03-01T10:00:00Z","owner":"dev@example.com","endpoint":"http://old-home.preview.invalid","created_at":"2026-03-01T10:00:00Z","expires_at":"2026-03-03T10:00:00Z","updated_at":"2026-03-01T10:00:00Z"}"#,
    ),
    (
        "old-abroad",
        r#"{"schema":1,"name":"old-abroad","template":"api-service","status":"active","status_changed_at":"2026-03-01T10:00:00Z","owner":"dev@example.com","region":"eu-west-1","endpoint":"http://old-abroad.preview.invalid","created_at":"2026-03-01T10:00:00Z","expires_at":"2026-03-03T10:00:00Z","updated_at":"2026-03-01T10:00:00Z"}"#,
    ),
];

pub(crate) async fn records_written_before_regional_keys_keep_their_state_where_it_is(f: &Fixture) {
    let p = &f.platform;
    let store = &p.backend.store;
    f.provisioner.set_tags_follow_expiry(true);
    for (n, record) in BEFORE {
        store
            .put(
                &layout::metadata_key(&name(n)),
                Bytes::from(record),
                PutMode::CreateOnly,
            )
            .await
            .unwrap();
        store
            .put(
                &layout::tfvars_key(&name(n), None),
                Bytes::from(r#"{"environment_name":"kept"}"#),
                PutMode::Overwrite,
            )
            .await
            .unwrap();
    }
    let listed = list::list(p, ListRequest::default()).await.unwrap();
    let regions: Vec<Option<&str>> = listed
        .environments
        .iter()
        .map(|m| m.region.as_deref())
        .collect();
    assert_eq!(
        regions,
        vec![Some("eu-west-1"), Some("us-east-1")],
        "a record without a region is in the default one"
    );
    for (n, _) in BEFORE {
        extend::extend(
            p,
            ExtendRequest {
                name: name(n),
                ttl: Ttl::parse("1h").unwrap(),
            },
        )
        .await
        .unwrap();
        destroy::destroy(p, DestroyRequest::new(name(n)))
            .await
            .unwrap();
    }
    let calls = f.provisioner.calls();
    for (n, _) in BEFORE {
        let keys: Vec<&str> = calls
            .iter()
            .filter(|c| c.request.env == name(n) && c.op != ProvisionOp::Health)
            .map(|c| c.request.state_key.as_str())
            .collect();
        assert_eq!(keys.len(), 2, "{n}: an extend and a destroy");
        for key in keys {
            assert_eq!(key, format!("environments/{n}/terraform.tfstate"));
        }
        // The extend re-applied with the recorded tfvars, found at the flat key.
        let extend = calls
            .iter()
            .find(|c| c.request.env == name(n) && c.op == ProvisionOp::Apply)
            .unwrap();
        assert_eq!(extend.request.tfvars["environment_name"], "kept");
    }
    let abroad = calls
        .iter()
        .find(|c| c.request.env == name("old-abroad"))
        .unwrap();
    assert_eq!(abroad.request.region.as_deref(), Some("eu-west-1"));
}

pub(crate) async fn a_redeploy_that_moves_the_environment_is_refused(f: &Fixture) {
    let p = &with_certificates(f);
    let push_in = |commit: u32, region: &str| {
        let mut req = preview(push("acme/shop", "feature/x", &sha(commit)));
        create::in_region(&mut req.config, region).unwrap();
        req
    };
    idp_core::gitops::preview::preview(p, push_in(1, "eu-west-1"))
        .await
        .unwrap();
    let applies = f.provisioner.envs_called(ProvisionOp::Apply).len();
    let before = state::load(&*p.backend.store, &env_of_branch())
        .await
        .unwrap()
        .unwrap();
    let err = idp_core::gitops::preview::preview(p, push_in(2, "us-east-1"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("runs in `eu-west-1`") && text.contains("does not move"),
        "{text}"
    );
    assert_eq!(f.provisioner.envs_called(ProvisionOp::Apply).len(), applies);
    let after = state::load(&*p.backend.store, &env_of_branch())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.etag, before.etag, "the record is untouched");
}

fn env_of_branch() -> idp_core::domain::naming::EnvName {
    idp_core::domain::decide::env_for(&push("acme/shop", "feature/x", &sha(1)))
        .unwrap()
        .unwrap()
}

scenarios_on_every_backend!(
    an_environment_in_a_second_region_lists_extends_and_destroys,
    a_name_is_unique_across_regions,
    a_region_without_a_certificate_is_refused_before_anything_is_written,
    shared_networking_in_another_region_is_refused,
    shared_ingress_in_another_region_is_refused_before_a_priority_is_claimed,
    records_written_before_regional_keys_keep_their_state_where_it_is,
    a_redeploy_that_moves_the_environment_is_refused,
);
