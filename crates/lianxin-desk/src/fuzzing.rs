//! Entry points for the fuzz targets in `fuzz/` (not part of the desk's API).
//!
//! The parsers of what consoles send are private to the desk; these functions run them on
//! arbitrary input so `cargo fuzz` can check that nothing a console sends can panic the
//! server (issue 10). Each answers whether the input was accepted.

use chrono::DateTime;

/// The WebSocket command parser, on one text frame.
pub fn console_command(text: &str) -> bool {
    crate::protocol::parse_command(text).is_ok()
}

/// The HTTP JSON body parser and the strict campaign request (preview/start) behind it.
pub fn campaign_request(body: &[u8]) -> bool {
    let Ok(obj) = crate::api::json_object(Ok(axum::body::Bytes::copy_from_slice(body))) else {
        return false;
    };
    let now = DateTime::from_timestamp(1_764_000_000, 0).unwrap_or_default();
    crate::campaign_request::parse(&obj, &lianxin_store::CampaignSettings::default(), now).is_ok()
}
