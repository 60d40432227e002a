//! Local CLI agents (`claude -p`, `codex exec`, `gemini -p` …).
//!
//! `{prompt}` in the arguments is replaced by the prompt with its context; without the
//! placeholder the prompt goes to stdin. Output is capped at 1 MiB, and the process is
//! killed when the call's timeout drops it (`kill_on_drop`).

use std::process::Stdio;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{AgentReply, AgentRequest, BackendError, shorten};

const MAX_OUTPUT: u64 = 1024 * 1024;

pub(super) async fn call(argv: &[String], request: &AgentRequest) -> Result<AgentReply, BackendError> {
    let (program, args) = argv.split_first().ok_or_else(|| BackendError::Failed("empty command".into()))?;
    let uses_placeholder = args.iter().any(|a| a.contains("{prompt}"));
    let mut command = tokio::process::Command::new(program);
    command
        .args(args.iter().map(|a| a.replace("{prompt}", &request.context)))
        .env("JAIBBER_AGENT_NAME", &request.agent_name)
        .env("JAIBBER_PROJECT_ID", &request.project_id)
        .env("JAIBBER_IDEMPOTENCY_KEY", &request.idempotency_key)
        .stdin(if uses_placeholder { Stdio::null() } else { Stdio::piped() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(|e| BackendError::Unavailable(format!("cannot start {program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let prompt = request.context.clone();
        tokio::spawn(async move {
            let _ = stdin.write_all(prompt.as_bytes()).await;
        });
    }
    let mut stdout = child.stdout.take().ok_or_else(|| BackendError::Failed("no stdout".into()))?;
    let mut stderr = child.stderr.take().ok_or_else(|| BackendError::Failed("no stderr".into()))?;
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut limited_out = (&mut stdout).take(MAX_OUTPUT);
    let mut limited_err = (&mut stderr).take(64 * 1024);
    let (read_out, read_err) = tokio::join!(limited_out.read_to_end(&mut out), limited_err.read_to_end(&mut err));
    read_out.map_err(|e| BackendError::Failed(format!("reading output: {e}")))?;
    let _ = read_err;
    // Discard whatever exceeds the cap so the process is not blocked on a full pipe.
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut stdout, &mut tokio::io::sink()).await;
    });
    let status = child.wait().await.map_err(|e| BackendError::Failed(format!("waiting for {program}: {e}")))?;
    if !status.success() {
        let detail = String::from_utf8_lossy(&err);
        return Err(BackendError::Failed(format!("{program} exited with {status}: {}", shorten(&detail))));
    }
    let text = String::from_utf8_lossy(&out).trim().to_owned();
    if text.is_empty() {
        return Err(BackendError::BadAnswer(format!("{program} printed nothing")));
    }
    Ok(AgentReply::Answer(text))
}
