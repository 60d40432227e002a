//! Plan limits (protocol.md section 8), checked inside the write transaction that would
//! exceed them, with an error that names the limit and the plan that lifts it.

use bridge_core::model::{Limit, PlanId};
use rusqlite::Connection;

use crate::db::orgs::OrgRow;
use crate::db::{DbResult, agents, api_keys, messages, orgs, projects, webhooks};
use crate::error::ApiError;

/// A countable resource with a plan limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quota {
    /// Projects of the org.
    Projects,
    /// Org members.
    Members,
    /// Registered agents.
    Agents,
    /// Messages stored today (UTC).
    MessagesToday,
    /// Webhooks.
    Webhooks,
    /// API keys.
    ApiKeys,
}

impl Quota {
    fn label(self) -> &'static str {
        match self {
            Self::Projects => "projects",
            Self::Members => "team members",
            Self::Agents => "agent connections",
            Self::MessagesToday => "messages per day",
            Self::Webhooks => "webhooks",
            Self::ApiKeys => "API keys",
        }
    }

    fn limit(self, plan: &PlanId) -> Limit {
        let limits = plan.limits();
        match self {
            Self::Projects => limits.projects,
            Self::Members => limits.team_members,
            Self::Agents => limits.agent_connections,
            Self::MessagesToday => limits.messages_per_day,
            Self::Webhooks => limits.webhooks,
            Self::ApiKeys => limits.api_keys,
        }
    }
}

/// Whether plan limits apply on this hub (`--no-plan-limits` turns them off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanPolicy {
    /// Enforce the limits.
    pub enforce: bool,
}

impl PlanPolicy {
    /// The policy of a running hub.
    #[must_use]
    pub fn of(state: &crate::state::AppState) -> Self {
        Self { enforce: state.config.enforce_plan_limits }
    }
}

/// Refuses one more of `quota` when the org's plan is at its limit.
///
/// # Errors
/// 402 `plan_limit` naming the limit, the plan and the plan that lifts it.
pub fn check_org(conn: &Connection, policy: PlanPolicy, org: &OrgRow, quota: Quota) -> DbResult<()> {
    if !policy.enforce {
        return Ok(());
    }
    let used = match quota {
        Quota::Projects => projects::count_for_org(conn, &org.id)?,
        Quota::Members => orgs::member_count(conn, &org.id)?,
        Quota::Agents => agents::count_for_org(conn, &org.id)?,
        Quota::MessagesToday => messages::count_on_day(conn, &org.id, crate::clock::now_ms())?,
        Quota::Webhooks => webhooks::count_for_org(conn, &org.id)?,
        Quota::ApiKeys => api_keys::count_for_org(conn, &org.id)?,
    };
    let seats = orgs::member_count(conn, &org.id)?;
    enforce(&org.plan, quota, used, seats)
}

/// Refuses one more of `quota` for a personal (org-less) owner, on Free limits.
///
/// # Errors
/// 402 `plan_limit`.
pub fn check_personal(conn: &Connection, policy: PlanPolicy, user: &str, quota: Quota) -> DbResult<()> {
    if !policy.enforce {
        return Ok(());
    }
    let used = match quota {
        Quota::Projects => projects::count_personal(conn, user)?,
        Quota::MessagesToday => messages::count_on_day(conn, &format!("user:{user}"), crate::clock::now_ms())?,
        _ => 0,
    };
    enforce(&PlanId::Free, quota, used, 1)
}

fn enforce(plan: &PlanId, quota: Quota, used: u64, seats: u64) -> DbResult<()> {
    let limit = quota.limit(plan);
    if !limit.is_reached(used, seats) {
        return Ok(());
    }
    let max = limit.for_seats(seats).unwrap_or(0);
    let lift = std::iter::successors(plan.next_up(), PlanId::next_up)
        .find(|next| !quota.limit(next).is_reached(used, seats))
        .map_or_else(String::new, |next| format!("; the {} plan allows more", next.plan().name));
    let what = quota.label();
    let message = if max == 0 {
        format!("the {} plan includes no {what}{lift}", plan.plan().name)
    } else {
        format!("the {} plan allows {max} {what} and that limit is reached{lift}", plan.plan().name)
    };
    Err(ApiError::plan_limit(message).into())
}

/// How far back a plan lets messages be read, in Unix milliseconds (`None`: forever).
#[must_use]
pub fn history_floor_ms(plan: &PlanId, now_ms: i64) -> Option<i64> {
    plan.limits()
        .message_history_days
        .max
        .map(|days| now_ms - i64::try_from(days).unwrap_or(i64::MAX / 86_400_000) * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_limit_and_the_lifting_plan() {
        let err = enforce(&PlanId::Free, Quota::Projects, 2, 1).expect_err("at limit");
        assert_eq!(
            err.to_string(),
            "402 Payment Required plan_limit: the Free plan allows 2 projects and that limit is reached; the Pro plan allows more"
        );
        let err = enforce(&PlanId::Free, Quota::Webhooks, 0, 1).expect_err("none");
        assert!(err.to_string().contains("the Free plan includes no webhooks; the Pro plan allows more"), "{err}");
        let err = enforce(&PlanId::Pro, Quota::Projects, 10, 1).expect_err("pro at limit");
        assert!(err.to_string().ends_with("the Team plan allows more"), "{err}");
        assert!(enforce(&PlanId::Team, Quota::Projects, 10_000, 1).is_ok());
    }
}
