//! The OpenAPI 3.1 document of the API, generated from the handlers' annotations and the wire
//! types. It is served at `/v1/openapi.json` and committed as `idp-server/openapi.json` (a test
//! fails when the two drift).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "idp",
        description = "Preview environments and infrastructure runs for teams on AWS: the REST API of `idp serve`.",
        license(name = "Apache-2.0"),
    ),
    paths(
        routes::meta::healthz, routes::meta::readyz, routes::meta::metrics,
        routes::meta::openapi,
        routes::templates::list,
        routes::environments::list, routes::environments::create,
        routes::environments::get, routes::environments::destroy,
        routes::environments::extend, routes::environments::status,
        routes::environments::logs, routes::environments::cost,
        routes::environments::unlock,
        routes::environments::approve,
        routes::runs::submit, routes::runs::list, routes::runs::get,
        routes::runs::events, routes::runs::order_logs, routes::runs::resume, routes::runs::cancel,
        routes::operations::list, routes::operations::get,
        routes::webhooks::github,
        routes::init::init,
    ),
    modifiers(&Bearer),
    tags(
        (name = "environments", description = "Preview and hand-made environments"),
        (name = "templates", description = "The template catalog"),
        (name = "runs", description = "Infrastructure runs"),
        (name = "operations", description = "Long operations (create, destroy, runs, deliveries)"),
        (name = "webhooks", description = "GitHub webhook intake"),
        (name = "meta", description = "Health, readiness, metrics, this document"),
    ),
)]
struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An idp token (`idp serve token create`) or an HS256 JWT",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document as pretty JSON (what `/v1/openapi.json` serves).
pub fn openapi_json() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json().unwrap_or_default()
}
