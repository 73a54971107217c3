//! The routes of the request endpoints (handlers in `request_api`, `request_reads`,
//! `request_config_api` and `voice_request_api`), merged into the desk's router by
//! `http`. Every route needs a session (the `Authed` extractor in each handler).

use std::sync::Arc;

use axum::routing::{get, post, put};
use axum::Router;

use crate::app::App;
use crate::{request_api, request_config_api, request_reads, voice_request_api};

/// The request routes.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/api/requests",
            get(request_reads::list).post(request_api::create),
        )
        .route("/api/requests/{id}", get(request_reads::show))
        .route("/api/requests/{id}/sheet", get(crate::request_sheet::sheet))
        .route("/api/requests/{id}/{action}", post(request_api::act))
        .route("/api/households/{id}", get(request_reads::household))
        .route(
            "/api/request-categories",
            get(request_reads::categories).post(request_config_api::create_category),
        )
        .route(
            "/api/request-categories/{id}",
            put(request_config_api::update_category),
        )
        .route("/api/assignees", get(request_reads::assignees))
        .route(
            "/api/departments",
            get(request_reads::departments).post(request_config_api::create_department),
        )
        .route(
            "/api/departments/{id}",
            put(request_config_api::update_department),
        )
        .route(
            "/api/voice-messages/{id}/draft",
            get(voice_request_api::draft),
        )
        .route(
            "/api/voice-messages/{id}/handled",
            post(voice_request_api::handled),
        )
}
