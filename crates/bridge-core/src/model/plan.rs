//! Plans and their limits (protocol.md section 8).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::wire_enum::wire_enum;

wire_enum! {
    /// A billing plan.
    pub enum PlanId {
        /// The default for new orgs.
        Free = "free",
        /// $12/month.
        Pro = "pro",
        /// $29/seat/month.
        Team = "team",
    }
}

/// One limit: a maximum (absent = unlimited), possibly per seat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Limit {
    /// The maximum; `null` means unlimited.
    pub max: Option<u64>,
    /// Whether the maximum is multiplied by the number of seats.
    #[serde(default)]
    pub per_seat: bool,
}

impl Limit {
    const fn of(max: u64) -> Self {
        Self { max: Some(max), per_seat: false }
    }

    const fn per_seat(max: u64) -> Self {
        Self { max: Some(max), per_seat: true }
    }

    const UNLIMITED: Self = Self { max: None, per_seat: false };

    /// Returns the effective maximum for an org with this many seats (`None` = unlimited).
    #[must_use]
    pub fn for_seats(&self, seats: u64) -> Option<u64> {
        self.max.map(|max| if self.per_seat { max.saturating_mul(seats.max(1)) } else { max })
    }

    /// Tells whether `used` has already reached the limit, so one more is refused.
    #[must_use]
    pub fn is_reached(&self, used: u64, seats: u64) -> bool {
        self.for_seats(seats).is_some_and(|max| used >= max)
    }
}

/// What a plan allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlanLimits {
    /// Projects.
    pub projects: Limit,
    /// Registered agents (agent connections).
    pub agent_connections: Limit,
    /// Org members.
    pub team_members: Limit,
    /// Messages stored per day (UTC).
    pub messages_per_day: Limit,
    /// File storage in megabytes.
    pub file_storage_mb: Limit,
    /// How many days of history are readable.
    pub message_history_days: Limit,
    /// Webhooks.
    pub webhooks: Limit,
    /// API keys.
    pub api_keys: Limit,
    /// Whether the audit log is available.
    pub audit_logs: bool,
}

/// A plan with its price and limits (`GET /api/billing/plans`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The plan.
    pub id: PlanId,
    /// Its display name.
    pub name: String,
    /// Monthly price in US cents (per seat when `perSeat`).
    pub price_cents_per_month: u64,
    /// Whether the price is per seat.
    pub per_seat: bool,
    /// What it allows.
    pub limits: PlanLimits,
}

impl PlanId {
    /// Returns the plan's published limits; an unknown plan gets the Free limits.
    #[must_use]
    pub fn limits(&self) -> PlanLimits {
        match self {
            Self::Pro => PlanLimits {
                projects: Limit::of(10),
                agent_connections: Limit::of(5),
                team_members: Limit::of(10),
                messages_per_day: Limit::of(1_000),
                file_storage_mb: Limit::of(1_024),
                message_history_days: Limit::of(90),
                webhooks: Limit::of(10),
                api_keys: Limit::of(2),
                audit_logs: false,
            },
            Self::Team => PlanLimits {
                projects: Limit::UNLIMITED,
                agent_connections: Limit::per_seat(25),
                team_members: Limit::UNLIMITED,
                messages_per_day: Limit::per_seat(5_000),
                file_storage_mb: Limit::per_seat(5_120),
                message_history_days: Limit::UNLIMITED,
                webhooks: Limit::of(100),
                api_keys: Limit::UNLIMITED,
                audit_logs: true,
            },
            Self::Free | Self::Unknown(_) => PlanLimits {
                projects: Limit::of(2),
                agent_connections: Limit::of(1),
                team_members: Limit::of(3),
                messages_per_day: Limit::of(100),
                file_storage_mb: Limit::of(100),
                message_history_days: Limit::of(7),
                webhooks: Limit::of(0),
                api_keys: Limit::of(0),
                audit_logs: false,
            },
        }
    }

    /// Returns the published plan (name, price, limits).
    #[must_use]
    pub fn plan(&self) -> Plan {
        let (name, price, per_seat) = match self {
            Self::Pro => ("Pro", 1_200, false),
            Self::Team => ("Team", 2_900, true),
            Self::Free | Self::Unknown(_) => ("Free", 0, false),
        };
        Plan { id: self.clone(), name: name.to_owned(), price_cents_per_month: price, per_seat, limits: self.limits() }
    }

    /// Returns the cheapest plan that allows more of a limit than this one, for error messages.
    #[must_use]
    pub fn next_up(&self) -> Option<PlanId> {
        match self {
            Self::Free | Self::Unknown(_) => Some(Self::Pro),
            Self::Pro => Some(Self::Team),
            Self::Team => None,
        }
    }
}

/// Returns the plan table in order Free, Pro, Team.
#[must_use]
pub fn catalog() -> Vec<Plan> {
    [PlanId::Free, PlanId::Pro, PlanId::Team].iter().map(PlanId::plan).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_match_the_published_table() {
        let free = PlanId::Free.limits();
        assert_eq!(free.projects.for_seats(1), Some(2));
        assert!(free.webhooks.is_reached(0, 1), "free has no webhooks");
        let team = PlanId::Team.limits();
        assert_eq!(team.messages_per_day.for_seats(3), Some(15_000));
        assert_eq!(team.projects.for_seats(3), None);
        assert!(team.audit_logs);
        assert!(!PlanId::Pro.limits().api_keys.is_reached(1, 1));
        assert!(PlanId::Pro.limits().api_keys.is_reached(2, 1));
    }
}
