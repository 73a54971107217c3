//! The console page as static assets embedded in the binary (`assets/`: `index.html`, the
//! stylesheet, one JavaScript module per screen, the icon), served at `/`, `/assets/<file>`
//! and `/favicon.ico`.
//!
//! Why embedded: an installation is one binary and nothing to build with Node; the page
//! is plain ES modules the browser loads as they are. The page talks to the server only
//! through the documented API (`docs/desk-protocol.md`). Every answer names its content
//! type and forbids sniffing; the page itself is never cached (a new binary serves a new
//! page at once) and carries a Content-Security-Policy that lets it load and connect to
//! this server only.

use std::sync::Arc;

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::api::ApiError;
use crate::app::App;

/// One embedded file: its name under `/assets/`, content type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../assets/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the page.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("console.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("js/admin.js", JS),
    asset!("js/admin_categories.js", JS),
    asset!("js/admin_form.js", JS),
    asset!("js/admin_groups.js", JS),
    asset!("js/admin_hours.js", JS),
    asset!("js/admin_notices.js", JS),
    asset!("js/admin_prompts.js", JS),
    asset!("js/listen.js", JS),
    asset!("js/admin_staff.js", JS),
    asset!("js/api.js", JS),
    asset!("js/calls.js", JS),
    asset!("js/campaign_board.js", JS),
    asset!("js/campaign_form.js", JS),
    asset!("js/campaign_labels.js", JS),
    asset!("js/campaigns.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/followups.js", JS),
    asset!("js/household.js", JS),
    asset!("js/import.js", JS),
    asset!("js/login.js", JS),
    asset!("js/main.js", JS),
    asset!("js/operators.js", JS),
    asset!("js/ring.js", JS),
    asset!("js/socket.js", JS),
    asset!("js/voicemail.js", JS),
    // The statistics screen (盘点).
    asset!("js/charts.js", JS),
    asset!("js/csv.js", JS),
    asset!("js/period.js", JS),
    asset!("js/stats.js", JS),
    asset!("js/stats_labels.js", JS),
    asset!("js/stats_table.js", JS),
    // The supervisors' screen (督导台).
    asset!("js/alarms.js", JS),
    asset!("js/live_calls.js", JS),
    asset!("js/on_call.js", JS),
    asset!("js/supervisor.js", JS),
    // S4-CR: requests, walk-in, captains, units.
    asset!("js/call_request.js", JS),
    asset!("js/captain.js", JS),
    asset!("js/form_errors.js", JS),
    asset!("js/household_search.js", JS),
    asset!("js/print_sheet.js", JS),
    asset!("js/request_detail.js", JS),
    asset!("js/request_form.js", JS),
    asset!("js/request_labels.js", JS),
    asset!("js/requests.js", JS),
    asset!("js/units.js", JS),
    asset!("js/voice_request.js", JS),
    asset!("js/walkin.js", JS),
];

/// What the page may load and connect to: this server only (`'self'` covers its
/// WebSocket), recordings as downloaded blobs.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The routes of the page: `/`, `/favicon.ico` and `/assets/{*file}`.
pub(crate) fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(index))
        .route("/favicon.ico", get(favicon))
        .route("/assets/{*file}", get(file))
}

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

fn serve(asset: &'static Asset, cache: &'static str) -> Response {
    let mut resp = asset.body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

async fn index() -> Response {
    match find("index.html") {
        Some(page) => {
            let mut resp = serve(page, "no-store");
            resp.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            resp
        }
        None => missing(),
    }
}

async fn favicon() -> Response {
    find("favicon.svg").map_or_else(missing, |a| serve(a, "max-age=86400"))
}

async fn file(Path(name): Path<String>) -> Response {
    // `index.html` only at `/`, where it gets its policy header.
    match find(&name).filter(|a| a.name != "index.html") {
        Some(a) => serve(a, "no-cache"),
        None => missing(),
    }
}

fn missing() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "path", "找不到该页面").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_page_imports_is_embedded() {
        for a in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(a.body).unwrap_or_default();
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let Some(from) = line.split('"').nth(1) else {
                    continue;
                };
                let name = format!("js/{}", from.trim_start_matches("./"));
                assert!(
                    find(&name).is_some(),
                    "{} imports {from}, not embedded",
                    a.name
                );
            }
        }
        let page =
            std::str::from_utf8(find("index.html").map_or(&[][..], |a| a.body)).unwrap_or_default();
        for src in page.split("\"/assets/").skip(1) {
            let name = src.split('"').next().unwrap_or_default();
            assert!(
                find(name).is_some(),
                "index.html loads {name}, not embedded"
            );
        }
    }
}
