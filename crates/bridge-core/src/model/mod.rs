//! The wire model: every resource, request and response body, webhook event and
//! realtime payload of the Jaibber protocol.
//!
//! All types are plain serde data with no I/O. Structs keep fields they do not know in
//! an `extra` map and enums keep values they do not know in an `Unknown` variant, so a
//! bridge built today still parses what a newer server sends.

mod wire_enum;

pub mod ably_token;
pub mod agent;
pub mod api_key;
pub mod auth;
pub mod envelope;
pub mod ids;
pub mod message;
pub mod org;
pub mod plan;
pub mod presence;
pub mod project;
pub mod realtime;
pub mod secret;
pub mod task;
pub mod timestamp;
pub mod webhook;
pub mod webhook_event;

/// Fields of an object that this version does not know, kept as received.
pub type Extra = serde_json::Map<String, serde_json::Value>;

pub use ably_token::{AblyAuth, TokenDetails, TokenRequest};
pub use agent::{Agent, AgentAssignment, AssignAgent, DiscoverQuery, Heartbeat, RegisterAgent, Vendor};
pub use api_key::{ApiKey, CreateApiKey, CreatedApiKey, Scope};
pub use auth::{AuthSession, Credentials, Me};
pub use envelope::{ApiErrorBody, DataEnvelope, Listed, Page, PageInfo, Single};
pub use ids::{AgentId, ApiKeyId, AttachmentId, DeliveryId, MessageId, OrgId, ProjectId, TaskId, UserId, WebhookId};
pub use message::{Attachment, CreateMessage, Message, MessageQuery, MessageType, SenderType};
pub use org::{AddOrgMember, AuditEntry, CreateOrg, Org, OrgMember, OrgRole, OrgStats};
pub use plan::{Limit, Plan, PlanId, PlanLimits};
pub use presence::{GlobalPresence, PresenceAgent, PresenceData, ProjectPresence};
pub use project::{AddProjectMember, CreateProject, Project, ProjectMember, ProjectRole, UpdateProject};
pub use realtime::{ChatPayload, ChatType, ExecutionMode, RealtimeMessage, TaskEvent, TaskEventType};
pub use secret::{ApiKeySecret, Jwt, Password, WebhookSecret};
pub use task::{CreateTask, CreatorType, IllegalTransition, Task, TaskPriority, TaskQuery, TaskStatus, UpdateTask};
pub use timestamp::Timestamp;
pub use webhook::{
    CreateWebhook, CreatedWebhook, DeliveryAttempt, DeliveryState, UpdateWebhook, Webhook, WebhookDelivery,
    WebhookEventName, WebhookStatus,
};
pub use webhook_event::{WebhookEvent, WebhookEventError, WebhookPayload};
