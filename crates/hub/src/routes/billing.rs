//! `GET /api/billing/plans`.

use axum::Json;

/// The plan table.
pub async fn plans() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "plans": bridge_core::model::plan::catalog() }))
}
