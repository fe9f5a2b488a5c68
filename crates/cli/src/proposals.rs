//! Approved webhook proposals become engine tasks (`paddock serve --webhooks`).
//!
//! Every second the launcher re-reads the proposals database (approvals
//! come from `paddock webhooks approve` and the app, i.e. other processes)
//! and, for each approved proposal, claims it with a conditional UPDATE
//! before anything else: of all the serve processes sharing the database,
//! exactly one wins the claim and launches it, once. The outcome — the task
//! id, or why not — is recorded on the proposal and in the audit trail.
//!
//! What a proposal runs comes from the rules file's `[repos]` entry for its
//! repo, re-read on every pass so edits apply without a restart. No entry:
//! not launched, marked failed with the reason. The proposal's text is
//! untrusted (anyone who can open an issue or type a Slack command wrote
//! it): it is the prompt of a claude or codex task, one argv element, and
//! for a `cmd` task it is not passed at all — the task runs the command
//! the rules file gives, so the outside world never chooses a program or
//! its arguments.

use std::path::PathBuf;
use std::sync::Arc;

use paddock_audit::{Actor, Kind, NewEvent};
use paddock_engine::{AgentKind, Engine, TaskSpec};
use paddock_webhooks::{LaunchOutcome, Proposal, Rules, Store, TaskAgent, TaskTemplate};
use serde_json::json;

pub(crate) struct Launcher {
    engine: Arc<Engine>,
    store: Arc<Store>,
    rules_path: Option<PathBuf>,
    /// `<pid>:<process start time>`: this process, as recorded in its claims.
    me: String,
    /// The last rules-file error reported, so it is said once, not every second.
    reported_rules_error: Option<String>,
}

fn claimant(pid: u32) -> String {
    format!("{pid}:{}", paddock_engine::process_start_time(pid).unwrap_or(0))
}

/// Whether the process that made a claim still runs (same pid, same start).
fn claimant_alive(claim: &str) -> bool {
    let Some((pid, start)) = claim.split_once(':') else { return false };
    let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else { return false };
    paddock_engine::process_start_time(pid) == Some(start)
}

/// The task a proposal becomes under `template`.
pub(crate) fn task_spec(proposal: &Proposal, template: &TaskTemplate) -> TaskSpec {
    let (agent, prompt) = match template.agent {
        // One argv element, never split: the agent reads it as text.
        TaskAgent::Claude => (AgentKind::Claude, vec![proposal.prompt.clone()]),
        TaskAgent::Codex => (AgentKind::Codex, vec![proposal.prompt.clone()]),
        // The user's command, exactly; the proposal's text is not an argument.
        TaskAgent::Cmd => (AgentKind::Cmd, template.command.clone()),
    };
    TaskSpec {
        agent,
        repo: template.checkout.clone(),
        prompt,
        allow_hosts: template.allow_hosts.clone(),
        ttl_secs: template.ttl_secs,
        // Never unattended without the gate for a request from outside.
        bypass: false,
        grants: Vec::new(),
        // Nothing of the user's HOME is shared with a task from outside.
        tool_caches: Vec::new(),
    }
}

impl Launcher {
    pub(crate) fn new(engine: Arc<Engine>, store: Arc<Store>, rules_path: Option<PathBuf>) -> Launcher {
        Launcher { engine, store, rules_path, me: claimant(std::process::id()), reported_rules_error: None }
    }

    /// One pass: give up dead claims, then launch what is approved.
    pub(crate) fn tick(&mut self) {
        self.abandon_dead_claims();
        let waiting = match self.store.approved_unlaunched() {
            Ok(list) => list,
            Err(e) => {
                tracing::error!("cannot read the proposals database: {e}");
                return;
            }
        };
        if waiting.is_empty() {
            return;
        }
        let Some(rules) = self.rules() else { return };
        for proposal in waiting {
            match self.store.claim_launch(proposal.id, &self.me) {
                Ok(true) => self.launch(&proposal, &rules),
                Ok(false) => {} // another serve process has it
                Err(e) => tracing::error!("cannot claim proposal {}: {e}", proposal.id),
            }
        }
    }

    /// The rules file as it is now. An invalid file launches nothing (and
    /// fails nothing): the person fixes it and the proposals wait.
    fn rules(&mut self) -> Option<Rules> {
        let Some(path) = &self.rules_path else { return Some(Rules::default()) };
        match Rules::load(path) {
            Ok(rules) => {
                self.reported_rules_error = None;
                Some(rules)
            }
            Err(e) => {
                let message = e.to_string();
                if self.reported_rules_error.as_deref() != Some(message.as_str()) {
                    eprintln!("paddock serve: approved proposals wait until the rules file is fixed: {message}");
                    self.reported_rules_error = Some(message);
                }
                None
            }
        }
    }

    fn launch(&self, proposal: &Proposal, rules: &Rules) {
        let result = match rules.target(&proposal.repo) {
            None => Err(self.unmapped_reason(&proposal.repo)),
            Some(template) => self
                .engine
                .launch(task_spec(proposal, template))
                .map_err(|e| format!("the engine refused the task: {e}")),
        };
        let outcome = match &result {
            Ok(task_id) => LaunchOutcome::Launched { task_id },
            Err(reason) => LaunchOutcome::Failed { reason },
        };
        if let Err(e) = self.store.finish_launch(proposal.id, &self.me, outcome) {
            tracing::error!("cannot record the launch of proposal {}: {e}", proposal.id);
        }
        match &result {
            Ok(task) => eprintln!("paddock serve: proposal {} ({}) launched as task {task}", proposal.id, proposal.repo),
            Err(reason) => eprintln!("paddock serve: proposal {} ({}) not launched: {reason}", proposal.id, proposal.repo),
        }
        self.audit(proposal, result.as_ref().ok().map(String::as_str), result.as_ref().err().map(String::as_str));
    }

    fn unmapped_reason(&self, repo: &str) -> String {
        match &self.rules_path {
            Some(path) => format!(
                "no local checkout is mapped for {repo}: add it under [repos] in {} (e.g. \"{repo}\" = \"/path/to/checkout\") and send the request again",
                path.display()
            ),
            None => format!(
                "no local checkout is mapped for {repo}: there is no rules file; create {} with a [repos] table (e.g. \"{repo}\" = \"/path/to/checkout\") and send the request again",
                paddock_webhooks::default_rules_path().map(|p| p.display().to_string()).unwrap_or_else(|| "webhook-rules.toml".into())
            ),
        }
    }

    /// Claims whose serve process is gone are failed, never retried: the
    /// task may have started before the process died, and a second run of
    /// someone else's request is worse than none.
    fn abandon_dead_claims(&self) {
        let Ok(claims) = self.store.launch_claims() else { return };
        for (id, holder) in claims {
            if holder == self.me || claimant_alive(&holder) {
                continue;
            }
            let pid = holder.split_once(':').map_or(holder.as_str(), |(pid, _)| pid);
            let reason = format!(
                "the serve process launching it (pid {pid}) stopped before recording the task; not retried, so it \
                 cannot run twice: check `paddock tasks list`"
            );
            if let Ok(proposal) = self.store.finish_launch(id, &holder, LaunchOutcome::Failed { reason: &reason }) {
                eprintln!("paddock serve: proposal {id} not launched: {reason}");
                self.audit(&proposal, None, Some(&reason));
            }
        }
    }

    fn audit(&self, p: &Proposal, task: Option<&str>, error: Option<&str>) {
        let mut event = NewEvent::new(Actor::System, Kind::Webhook, "proposal.launch")
            .resource(p.repo.clone())
            .outcome(if task.is_some() { "launched" } else { "failed" })
            .detail(json!({
                "proposal": p.id,
                "delivery": p.delivery,
                "task": task,
                "source": p.source,
                "sender": p.sender,
                "reference": p.reference,
                "decided_by": p.decided_by,
                "error": error,
            }));
        if let Some(task) = task {
            event = event.task(task);
        }
        if let Err(e) = self.engine.audit().append(event) {
            eprintln!("paddock serve: warning: could not append to the audit trail: {e}");
        }
    }
}
