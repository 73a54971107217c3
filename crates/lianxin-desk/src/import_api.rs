//! The residents' register (住户名册) over HTTP (`docs/desk-protocol.md` §12): an admin
//! uploads the committee's Excel or CSV file to `POST /api/import/households`, first with
//! `dry_run=true` (what would be added, and every bad row by its line, field and reason
//! in Chinese, nothing written), then with `dry_run=false` (all or nothing, audited by the
//! store with who, which file and the counts); `GET /api/export/households` gives the
//! register back as `.xlsx` or CSV.
//!
//! Admins only: the register is every resident's personal data. The role is checked
//! before the body is read, and one upload at a time is held in memory ([`MAX_UPLOAD`]
//! at most), so uploads cannot exhaust memory.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lianxin_store::{ExportFormat, ImportFormat, Role};
use serde_json::json;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::api::ApiError;
use crate::app::App;
use crate::auth::Authed;
use crate::import_store::{ImportError, Upload};
use crate::session::Session;

/// Largest file accepted (the route's body limit).
pub(crate) const MAX_UPLOAD: usize = 16 * 1024 * 1024;

/// Imports read at the same time (each holds its file in memory and the writer lock).
static IMPORTS: Semaphore = Semaphore::const_new(1);

/// The MIME type of an `.xlsx` workbook.
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

/// The register routes (merged into the desk's router by `http`).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/api/import/households",
            post(import).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/api/export/households", get(export))
}

/// An admin's upload, checked before its body is read, holding the one import slot.
struct AdminUpload {
    session: Session,
    _permit: SemaphorePermit<'static>,
}

impl FromRequestParts<Arc<App>> for AdminUpload {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let Authed(session) = Authed::from_request_parts(parts, app).await?;
        require_admin(&session)?;
        let permit = IMPORTS.try_acquire().map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "file",
                "正在导入另一个文件，请稍后再试",
            )
            .retry_after(5)
        })?;
        Ok(AdminUpload {
            session,
            _permit: permit,
        })
    }
}

fn require_admin(s: &Session) -> Result<(), ApiError> {
    if s.staff.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "role",
            "只有管理员可以导入或导出住户名册",
        ))
    }
}

/// The 503 of a server without a database: field and message.
const NO_STORE: (&str, &str) = ("file", "该服务器没有数据库，无法导入或导出住户名册");

/// `POST /api/import/households?dry_run=true|false[&format=xlsx|csv][&sheet=][&name=]`.
async fn import(
    State(app): State<Arc<App>>,
    upload: AdminUpload,
    headers: HeaderMap,
    q: Params,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = q.map_err(|_| ApiError::bad("query", "查询参数格式不正确"))?;
    let dry_run = match params.get("dry_run").map(String::as_str) {
        Some("true") | Some("1") => true,
        Some("false") | Some("0") => false,
        _ => {
            return Err(ApiError::bad(
                "dry_run",
                "请说明是预览（dry_run=true）还是导入（dry_run=false）",
            ))
        }
    };
    let body = body.map_err(|e| {
        let mb = MAX_UPLOAD / (1024 * 1024);
        ApiError::new(
            e.status(),
            "file",
            format!("文件太大或无法读取（最大 {mb} MB）"),
        )
    })?;
    if body.is_empty() {
        return Err(ApiError::bad("file", "请选择要导入的文件"));
    }
    let name: String = params
        .get("name")
        .map(|n| n.chars().filter(|c| !c.is_control()).take(100).collect())
        .unwrap_or_default();
    let format = format_of(&params, &headers, &name, &body)?;
    let sheet = match params.get("sheet").map(|s| s.trim()) {
        Some(s) if s.chars().count() > 31 => {
            return Err(ApiError::bad("sheet", "工作表名称最多31个字符"))
        }
        Some("") | None => None,
        Some(s) => Some(s.to_string()),
    };
    let staff_id = upload.session.staff.id;
    let up = Upload {
        bytes: body.to_vec(),
        format,
        sheet,
        name: name.clone(),
    };
    let result = crate::api::on_directory(&app, NO_STORE.0, NO_STORE.1, move |d| {
        d.imports()
            .map(|st| Ok::<_, ApiError>(st.import_households(up, dry_run, staff_id)))
    })
    .await?;
    match result {
        Ok(report) => {
            tracing::info!(
                staff = staff_id,
                dry_run,
                rows = report.rows,
                bad = report.bad.len(),
                households = report.households,
                "register {}",
                if dry_run { "checked" } else { "imported" }
            );
            Ok(Json(json!({ "dry_run": dry_run, "report": report })).into_response())
        }
        Err(ImportError::Rejected(bad)) => Ok((
            StatusCode::BAD_REQUEST,
            Json(json!({
                "error": format!("有 {} 行有问题，没有导入任何数据", bad.len()),
                "field": "file",
                "bad": bad,
            })),
        )
            .into_response()),
        Err(ImportError::File(e)) => {
            let field = match e.field {
                "sheet" => "sheet",
                "format" => "format",
                _ => "file",
            };
            Err(ApiError::bad(field, e.message))
        }
        Err(ImportError::Backend(detail)) => {
            tracing::error!(%detail, "import failed");
            Err(ApiError::internal())
        }
    }
}

/// How to read the upload: the `format` parameter, else the Content-Type, else the
/// file name's extension, else its first bytes.
fn format_of(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
    name: &str,
    body: &[u8],
) -> Result<ImportFormat, ApiError> {
    if let Some(f) = params.get("format") {
        return match f.as_str() {
            "xlsx" => Ok(ImportFormat::Xlsx),
            "csv" => Ok(ImportFormat::Csv),
            _ => Err(ApiError::bad("format", "文件格式只能是 xlsx 或 csv")),
        };
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ctype.starts_with(XLSX_TYPE) {
        return Ok(ImportFormat::Xlsx);
    }
    if ctype.starts_with("text/csv") {
        return Ok(ImportFormat::Csv);
    }
    Ok(ImportFormat::from_name(name).unwrap_or_else(|| ImportFormat::sniff(body)))
}

/// `GET /api/export/households?format=xlsx|csv` (default xlsx): a download.
async fn export(
    State(app): State<Arc<App>>,
    Authed(s): Authed,
    q: Params,
) -> Result<Response, ApiError> {
    require_admin(&s)?;
    let Query(params) = q.map_err(|_| ApiError::bad("query", "查询参数格式不正确"))?;
    let format = match params.get("format").map(String::as_str) {
        None | Some("xlsx") => ExportFormat::Xlsx,
        Some("csv") => ExportFormat::Csv,
        Some(_) => return Err(ApiError::bad("format", "导出格式只能是 xlsx 或 csv")),
    };
    let staff_id = s.staff.id;
    let (bytes, rows) = crate::api::on_directory(&app, NO_STORE.0, NO_STORE.1, move |d| {
        d.imports().map(|st| {
            st.export_households(format, staff_id).map_err(|e| {
                tracing::error!(error = %e, "export failed");
                ApiError::internal()
            })
        })
    })
    .await?;
    tracing::info!(staff = staff_id, rows, "register exported");
    let (ctype, file) = match format {
        ExportFormat::Xlsx => (XLSX_TYPE, "households.xlsx"),
        ExportFormat::Csv => ("text/csv; charset=utf-8", "households.csv"),
    };
    let mut resp = Body::from(bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
