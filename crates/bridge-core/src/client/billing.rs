//! `GET /api/billing/plans`.

use super::request::Request;
use super::{Client, ClientError};
use crate::model::envelope::Listed;
use crate::model::plan::Plan;

impl Client {
    /// Returns the plan table (bare array, `{plans}` or `{data}`).
    pub async fn plans(&self) -> Result<Vec<Plan>, ClientError> {
        self.send_json::<Listed<Plan>>(Request::get("/api/billing/plans".into())).await.map(|l| l.0)
    }
}
