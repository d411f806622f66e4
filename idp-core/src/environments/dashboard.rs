//! `idp dashboard`: the environments dashboard (`ENVIRONMENTS.md` or an HTML page) over every
//! environment the backend knows, rendered by [`crate::domain::render`] exactly as the
//! scheduled workflow renders it.

use serde::Serialize;

use crate::domain::render;
use crate::environments::list::{self, ListRequest};
use crate::error::Result;
use crate::platform::Platform;

/// The dashboard's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DashboardFormat {
    /// `ENVIRONMENTS.md`.
    Markdown,
    /// A self-contained HTML page.
    Html,
}

/// The rendered dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DashboardReport {
    pub format: DashboardFormat,
    /// How many environments it lists (destroyed ones are left out).
    pub environments: usize,
    /// The document.
    pub content: String,
    /// Environment records that could not be read (`key: reason`).
    pub unreadable: Vec<String>,
}

/// Render the dashboard over `list --all`.
pub async fn dashboard(platform: &Platform, format: DashboardFormat) -> Result<DashboardReport> {
    let report = list::list(
        platform,
        ListRequest {
            all: true,
            spend: false,
        },
    )
    .await?;
    let now = platform.backend.clock.now();
    let content = match format {
        DashboardFormat::Markdown => render::dashboard_markdown(&report.environments, now),
        DashboardFormat::Html => render::dashboard_html(&report.environments, now),
    };
    Ok(DashboardReport {
        format,
        environments: report
            .environments
            .iter()
            .filter(|m| m.status != crate::domain::lifecycle::Status::Destroyed)
            .count(),
        content,
        unreadable: report
            .unreadable
            .into_iter()
            .map(|u| format!("{}: {}", u.key, u.reason))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_empty_platform_renders_the_empty_dashboard_in_both_formats() {
        let platform = Platform::new(crate::backend::Backend::memory());
        let md = dashboard(&platform, DashboardFormat::Markdown)
            .await
            .unwrap();
        assert!(
            md.content.starts_with("# Preview environments"),
            "{}",
            md.content
        );
        assert_eq!(md.environments, 0);
        let html = dashboard(&platform, DashboardFormat::Html).await.unwrap();
        assert!(html.content.contains("<html"), "{}", html.content);
    }
}
