//! Tasks go through their lifecycle: working, announcement, completed with the result,
//! or failed with the reason.

use bridge_core::model::{CreateTask, SenderType, TaskQuery, TaskStatus};
use jaibber_bridge::config::Mode;

use crate::support::{Bridge, Hub, Llm, config, eventually};

#[tokio::test]
async fn assigned_tasks_end_completed_or_failed() {
    let hub = Hub::start().await;
    let (llm_url, _llm) = Llm::start().await;
    let state = tempfile::tempdir().expect("state");
    let bridge = Bridge::start(config(&hub, Mode::Poll, &llm_url, state.path())).await;
    let project = hub.project();
    let doable = hub
        .user
        .create_task(&project, &CreateTask::new("Summarise the README").description("Keep it short").assign_to("echo"))
        .await
        .expect("task");
    let impossible =
        hub.user.create_task(&project, &CreateTask::new("Do the impossible").assign_to("Echo")).await.expect("task");
    let someone_else =
        hub.user.create_task(&project, &CreateTask::new("Not ours").assign_to("Reviewer")).await.expect("task");

    let done = eventually(15, "both tasks to finish", || async {
        let tasks = hub.user.list_tasks(&project, &TaskQuery::default()).await.ok()?.data;
        let a = tasks.iter().find(|t| t.id == doable.id)?.clone();
        let b = tasks.iter().find(|t| t.id == impossible.id)?.clone();
        (a.status.is_final() && b.status.is_final()).then_some((a, b, tasks))
    })
    .await;
    let (completed, failed, tasks) = done;
    assert_eq!(completed.status, TaskStatus::Completed);
    assert_eq!(completed.result.as_deref(), Some("stub answer: Task: Summarise the README"));
    assert_eq!(failed.status, TaskStatus::Failed);
    assert!(failed.result.as_deref().is_some_and(|r| r.contains("cannot do the impossible")), "{failed:?}");
    assert_eq!(tasks.iter().find(|t| t.id == someone_else.id).map(|t| t.status.clone()), Some(TaskStatus::Submitted));

    let messages = hub.messages().await;
    let announcements: Vec<_> =
        messages.iter().filter(|m| m.is_task_notification == Some(true)).map(|m| m.text.as_str()).collect();
    assert!(announcements.contains(&"Picking up task: **Summarise the README**"), "{announcements:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.sender_type == SenderType::Agent && m.text == "stub answer: Task: Summarise the README")
    );
    bridge.stop().await;
}
