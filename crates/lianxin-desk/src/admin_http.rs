//! What the admins' endpoints share: the role check (admins only: `403 field=role`
//! otherwise) and running a call on the store's admin side on the blocking pool (503
//! without one).

use crate::admin_store::AdminStore;
use crate::api::ApiError;
use crate::app::App;
use crate::directory::DirectoryError;
use crate::session::Session;

/// Refuses anyone but an admin.
pub(crate) fn require_admin(s: &Session) -> Result<(), ApiError> {
    if s.staff.role == lianxin_store::Role::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "role",
            "只有系统管理员可以进行此项管理",
        ))
    }
}

/// Runs `f` on the store's admin side on the blocking pool; 503 if there is none.
pub(crate) async fn with_admin<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&dyn AdminStore) -> Result<T, DirectoryError> + Send + 'static,
) -> Result<T, ApiError> {
    crate::api::on_directory(
        app,
        "admin",
        "该服务器没有数据库，无法进行管理",
        move |d| d.admin().map(f),
    )
    .await
}
