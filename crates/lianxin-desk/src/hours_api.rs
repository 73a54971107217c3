//! The hotline's opening hours (值班时间) over HTTP (`docs/desk-protocol.md` §13.3):
//! everyone signed in may read them, admins change them. A change is stored first (the
//! database is what a restart reads), then handed to the hotline
//! (`DeskCommand::OpeningHours`), so the next call follows it without a restart.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use lianxin_store::{OpeningHours, Span};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::admin_http::{require_admin, with_admin};
use crate::api::{json_object, ApiError};
use crate::app::App;
use crate::auth::Authed;
use crate::event::DeskCommand;
use crate::request_http::Body;

type Raw = Result<Bytes, axum::extract::rejection::BytesRejection>;

/// The route (merged by `http`).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new().route("/api/opening-hours", get(show).put(change))
}

/// `GET /api/opening-hours` → `{"hours": {...}}`.
async fn show(State(app): State<Arc<App>>, Authed(_): Authed) -> Result<Json<Value>, ApiError> {
    let hours = with_admin(&app, |st| st.opening_hours()).await?;
    Ok(Json(json!({ "hours": hours.unwrap_or_default() })))
}

const FIELDS: &[&str] = &["always", "weekdays", "weekends", "holidays", "working_days"];

/// One field of the body as `T`, or its default when absent; a bad value names it.
fn field<T: DeserializeOwned + Default>(
    obj: &Map<String, Value>,
    name: &'static str,
    message: &'static str,
) -> Result<T, ApiError> {
    match obj.get(name) {
        None => Ok(T::default()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|_| ApiError::bad(name, message)),
    }
}

/// Reads the hours from a JSON object; each field's error names it.
fn parse(obj: Map<String, Value>) -> Result<OpeningHours, ApiError> {
    Body::new(obj.clone(), FIELDS)?;
    let span = "时间段应为 {\"open\": \"08:30\", \"close\": \"17:30\"}，或 null 表示全天不值班";
    let dates = "日期应为 YYYY-MM-DD 格式的列表，如 [\"2026-10-01\"]";
    Ok(OpeningHours {
        always: field::<bool>(&obj, "always", "always 应为 true 或 false")?,
        weekdays: field::<Option<Span>>(&obj, "weekdays", span)?,
        weekends: field::<Option<Span>>(&obj, "weekends", span)?,
        holidays: field::<Vec<NaiveDate>>(&obj, "holidays", dates)?,
        working_days: field::<Vec<NaiveDate>>(&obj, "working_days", dates)?,
    })
}

/// `PUT /api/opening-hours` with the whole hours → `{"hours"}`.
async fn change(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    body: Raw,
) -> Result<Json<Value>, ApiError> {
    require_admin(&s)?;
    let mut hours = parse(json_object(body)?)?;
    hours.holidays.sort();
    hours.holidays.dedup();
    hours.working_days.sort();
    hours.working_days.dedup();
    let by = s.staff.id;
    let stored = hours.clone();
    with_admin(&app, move |st| st.set_opening_hours(&stored, by)).await?;
    tracing::info!(staff = by, always = hours.always, "opening hours changed");
    app.command(DeskCommand::OpeningHours(hours.clone())).await;
    Ok(Json(json!({ "hours": hours })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(v: Value) -> String {
        let Value::Object(obj) = v else { panic!() };
        parse(obj).unwrap_err().field().to_owned()
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(
            field_of(json!({"weekdays": {"open": "8点", "close": "17:30"}})),
            "weekdays"
        );
        assert_eq!(field_of(json!({"weekends": "09:00-12:00"})), "weekends");
        assert_eq!(field_of(json!({"holidays": ["10月1日"]})), "holidays");
        assert_eq!(field_of(json!({"always": "yes"})), "always");
        assert_eq!(field_of(json!({"sundays": null})), "sundays");
        let Value::Object(obj) = json!({"always": false, "weekdays": {"open": "08:30", "close": "17:30"}, "weekends": null, "holidays": ["2026-10-01"]})
        else {
            panic!()
        };
        let h = parse(obj).unwrap();
        assert!(!h.always && h.weekends.is_none() && h.holidays.len() == 1);
    }
}
